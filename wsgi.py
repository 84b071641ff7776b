"""The WSGI entry point: `gunicorn -k gevent -w 1 -b HOST:PORT wsgi:app`."""
import gc

from app import create_app

app = create_app()

# Everything built so far (the app, its libraries, ~180,000 objects) lives as long as the
# worker: keep it out of the cyclic garbage collector's full passes, which otherwise scan it
# each time and, with thousands of connected shoppers, stall a worker for ~180 ms (issue 6).
gc.freeze()
