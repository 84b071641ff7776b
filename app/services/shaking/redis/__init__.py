"""The Redis draw engine: one Lua script decides a shake; the database records behind it.

On the SQL engine every shake is a transaction, and a compound-wide burst queues on the
round's row locks. Here the shake_id's stored answer, the per-shopper limits, the stock and
the pacing are decided atomically in one script (draw.lua), in one round trip:
- a lose is answered at once and logged to a Redis stream that the log writer copies into the
  database in batches (log_writer.py);
- a win is recorded in the database before it is answered (decided_wins.py: the coupon or
  pickup order made, the stock and the shopper's win limit checked again there), so the
  database never holds more winners than the stock even if Redis lost its state.

engine.py        RedisDrawEngine: the script run, its decision (decision.py) acted on
round_view.py    what a shake needs of its round, read once a second per worker
pipeline.py      draws that come while one is on the wire go to Redis together
decided_wins.py  the database side of a win
log_writer.py    the background loop copying logged loses into the database
"""
