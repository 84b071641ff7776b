"""Live popularity in Redis, for production (several workers), each figure one key per compound:

- watching: a sorted set `pop:views:<compound>` of "<product>:<shopper>" scored by the view's
  time, and a hash `pop:viewer:<compound>` of each shopper's product, so a new view ends the
  last; views older than the window are dropped as views come, the keys expire when idle;
- bought_today: a hash `pop:bought:<compound>:<day>` of product → distinct buyers, kept by a
  hash `pop:buyers:<compound>:<day>` of "<product>:<shopper>" → their live orders of it (a
  cancel takes a buyer off only with their last order of it); both expire two days on;
- the last pushed figures, `pop:shown:<compound>`, swapped in one script so several workers
  pushing the same compound send each change once.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

import redis
from sqlalchemy.orm import Session

from app.services.places.live import local_midnight
from app.services.popularity.counters import Figures, PopularityCounters
from app.services.popularity.notes import OrderChange

VIEW = """
local prev = redis.call('HGET', KEYS[2], ARGV[1])
if prev and prev ~= ARGV[2] then redis.call('ZREM', KEYS[1], prev .. ':' .. ARGV[1]) end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2] .. ':' .. ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
"""

BOUGHT = """
local delta = tonumber(ARGV[2])
for i = 3, #ARGV do
  local field = ARGV[i] .. ':' .. ARGV[1]
  local n = redis.call('HINCRBY', KEYS[1], field, delta)
  if delta > 0 and n == 1 then redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
  if n <= 0 then
    redis.call('HDEL', KEYS[1], field)
    if delta < 0 and n == 0 and redis.call('HINCRBY', KEYS[2], ARGV[i], -1) <= 0 then
      redis.call('HDEL', KEYS[2], ARGV[i])
    end
  end
end
redis.call('EXPIRE', KEYS[1], 172800)
redis.call('EXPIRE', KEYS[2], 172800)
"""

SWAP_SHOWN = """
local before = redis.call('HGETALL', KEYS[1])
local old = {}
for i = 1, #before, 2 do old[before[i]] = before[i + 1] end
local changed = {}
redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 2 do
  if old[ARGV[i]] ~= ARGV[i + 1] then table.insert(changed, ARGV[i]); table.insert(changed, ARGV[i + 1]) end
  old[ARGV[i]] = nil
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
for field, _ in pairs(old) do table.insert(changed, field); table.insert(changed, '0:0') end
redis.call('EXPIRE', KEYS[1], 86400)
return changed
"""


class RedisCounters(PopularityCounters):
    def __init__(self, redis_url: str, key_prefix: str, window_seconds: float):
        super().__init__(window_seconds)
        self.redis = redis.Redis.from_url(redis_url)
        self.prefix = key_prefix
        self._view = self.redis.register_script(VIEW)
        self._bought = self.redis.register_script(BOUGHT)
        self._swap = self.redis.register_script(SWAP_SHOWN)

    def key(self, *parts) -> str:
        return self.prefix + "pop:" + ":".join(str(part) for part in parts)

    def view(self, session: Session, compound_id: int, shopper_id: int, product_id: int | None,
             now: datetime) -> None:
        idle = int(2 * self.window.total_seconds()) + 1
        self._view(keys=[self.key("views", compound_id), self.key("viewer", compound_id)],
                   args=[shopper_id, "" if product_id is None else product_id, now.timestamp(),
                         (now - self.window).timestamp(), idle])

    def watching(self, session: Session, compound_id: int, now: datetime) -> dict[int, int]:
        members = self.redis.zrangebyscore(self.key("views", compound_id), (now - self.window).timestamp(), "+inf")
        return dict(Counter(int(member.split(b":", 1)[0]) for member in members))

    def bought_today(self, session: Session, compound_id: int, now: datetime) -> dict[int, int]:
        day = local_midnight(now).date()
        counts = self.redis.hgetall(self.key("bought", compound_id, day.isoformat()))
        return {int(pid): int(n) for pid, n in counts.items() if int(n) > 0}

    def orders_changed(self, changes: list[OrderChange]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for change in changes:
            day = change.day.isoformat()
            self._bought(keys=[self.key("buyers", change.compound_id, day), self.key("bought", change.compound_id, day)],
                         args=[change.shopper_id, change.delta, *change.product_ids], client=pipe)
        pipe.execute()

    def swap_shown(self, compound_id: int, figures: Figures) -> Figures:
        flat = [value for pid, (w, b) in sorted(figures.items()) for value in (pid, f"{w}:{b}")]
        changed = self._swap(keys=[self.key("shown", compound_id)], args=flat)
        pairs = iter(changed)
        return {int(pid): tuple(int(x) for x in value.split(b":")) for pid, value in zip(pairs, pairs)}

    def close(self) -> None:
        self.redis.close()
