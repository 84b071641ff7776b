"""The WSGI entry point: `gunicorn -k gevent -w 1 -b HOST:PORT wsgi:app`."""
import gc

from app import create_app

app = create_app()

# The cyclic garbage collector's full passes stall a worker (~180 ms with 2,000 connected
# shoppers), and under a burst they came every 2-3 s: requests alive at each young pass get
# promoted, which counts towards the next full one. So (issue 6, bench/README.md):
# - everything built so far (the app and its libraries, ~180,000 objects) lives as long as the
#   worker: frozen, full passes no longer scan it (~180 → ~75 ms);
# - a full pass at most every 1,000 middle passes instead of 10: the young generations still
#   free short-lived garbage as usual; cycles that reach the old one go minutes later.
gc.freeze()
gc.set_threshold(700, 10, 1000)
