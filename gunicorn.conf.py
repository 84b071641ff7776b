"""Server policy for `gunicorn -k gevent -w N -b HOST:PORT wsgi:app`, kept out of the app.

gunicorn reads ./gunicorn.conf.py from its working directory (run it from the project root, or
pass `-c /path/to/gunicorn.conf.py`); flags on the command line win over the settings here.
bench/memprobe.py, a config file of its own, loads this one so a probed worker runs the same.
"""
import gc
import os
from pathlib import Path

import gevent
from gevent import monkey

# A worker holds every connected shopper's WebSocket (2,000 each in the bench); gunicorn's
# default of 1,000 connections per worker would turn the rest away. Each is an open file:
# raise `ulimit -n` to match.
worker_connections = 10000

TURN_SECONDS = 1e-6  # any positive delay: a timer, so the loop polls for I/O before it resumes


def post_worker_init(worker) -> None:
    """Tune the worker's garbage collector once the app is loaded, then start its background loops."""
    # The cyclic garbage collector's full passes stall a worker (~180 ms with 2,000 connected
    # shoppers), and under a burst they came every 2-3 s: requests alive at each young pass get
    # promoted, which counts towards the next full one. So (issue 6, bench/README.md):
    # - everything built so far (the app and its libraries, ~180,000 objects) lives as long as
    #   the worker: frozen, full passes no longer scan it (~180 → ~75 ms);
    # - a full pass at most every 1,000 middle passes instead of 10: the young generations still
    #   free short-lived garbage as usual; cycles that reach the old one go minutes later.
    gc.freeze()
    gc.set_threshold(700, 10, 1000)
    worker.log.info("Garbage collector: %d objects frozen, thresholds %s",
                    gc.get_freeze_count(), gc.get_threshold())
    # The round sweeper (and the Redis engine's shake-log writer) start now, not on the first
    # request or socket: rounds left open by a restart close on time with no client about.
    app = getattr(worker, "wsgi", None)
    if app is not None:
        from app.realtime import start_worker_background_tasks  # the worker has loaded the app by now

        start_worker_background_tasks(app)


def post_request(worker, req, environ, resp) -> None:
    """Under gevent, let every waiting connection have a turn before this one's next request."""
    # A greenlet gives the worker up only when it would block. A keep-alive client that sends
    # its next request as soon as it has the answer (a shopper's phone, wrk, a proxy's pool)
    # often has it in the kernel before the greenlet reads again, so the greenlet serves request
    # after request without ever yielding, while the other connections' requests wait: at
    # saturation most requests were answered in under a millisecond and one in a hundred waited
    # 100-500 ms (healthz p99; issue 6, bench/README.md). gunicorn's gevent worker (`-k gevent`;
    # `-k gevent_pywsgi` never calls this hook) calls it once the response is written, before
    # it reads the connection's next request: waiting one turn of the event loop here puts that
    # connection behind every one already waiting. The same requests are served in the same
    # time, in the order they came.
    if monkey.is_module_patched("socket"):  # the gevent worker patched it; other workers block
        gevent.sleep(TURN_SECONDS)


# Prometheus multiprocess mode (app/metrics.py): with several workers, set PROMETHEUS_MULTIPROC_DIR
# to a directory of its own; each worker writes its figures there and /metrics adds them up.
def on_starting(server) -> None:
    """Start the figures from zero: a previous run's files would be added to this run's."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    """Forget a dead worker's live gauges (shakes in flight); its counters stay counted."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # the master never needs it otherwise

        multiprocess.mark_process_dead(worker.pid)
