"""A gunicorn config file for bench/idle_memory.py's `--probe`: what holds a worker's memory.

`gunicorn -c bench/memprobe.py ...` with XIAOGE_MEMPROBE_DIR set. Each worker starts
tracemalloc once the app is loaded (post_worker_init) and watches that folder: for a file
`<pid>.<label>.request` it writes `<pid>.<label>.json` with a tracemalloc snapshot's
statistics, the GC-tracked objects by type, glibc's malloc figures, pymalloc's arenas and
how many Engine.IO sockets the worker holds; the harness diffs two labels. tracemalloc
itself costs memory, so RSS from a probed run is no figure to quote: measure without it.
XIAOGE_MEMPROBE_FRAMES=0 leaves tracemalloc off (pymalloc's figures need it off).

`-c` replaces the project's gunicorn.conf.py, so this file takes over its settings and hooks:
a probed worker runs the same server policy (GC tuning, keep-alive turns) as any other.
"""
from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import re
import runpy
import sys
import tempfile
import tracemalloc
from collections import Counter
from pathlib import Path

# Every setting and hook of gunicorn.conf.py (gunicorn ignores the names it does not know);
# post_worker_init below runs the policy's before probing.
SERVER_POLICY = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
globals().update({name: value for name, value in SERVER_POLICY.items() if not name.startswith("_")})

FRAMES = int(os.environ.get("XIAOGE_MEMPROBE_FRAMES", "10"))


def post_worker_init(worker) -> None:
    """The server policy's post_worker_init, then the probe (when XIAOGE_MEMPROBE_DIR is set)."""
    import gevent

    SERVER_POLICY["post_worker_init"](worker)
    probe_dir = os.environ.get("XIAOGE_MEMPROBE_DIR")
    if not probe_dir:
        return
    if FRAMES > 0:
        tracemalloc.start(FRAMES)
    gevent.spawn(watch, Path(probe_dir), os.getpid())


def watch(folder: Path, pid: int) -> None:
    import gevent

    while True:
        for request in folder.glob(f"{pid}.*.request"):
            label = request.name.split(".")[1]
            request.unlink()
            out = folder / f"{pid}.{label}.json"
            tmp = out.with_suffix(".tmp")
            tmp.write_text(json.dumps(take(folder / f"{pid}.{label}.snapshot")))
            tmp.rename(out)
        gevent.sleep(0.2)


def take(snapshot_path: Path) -> dict:
    gc.collect()
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot().filter_traces([
            tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)])
        snapshot.dump(str(snapshot_path))
    types = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
    traced, _peak = tracemalloc.get_traced_memory()
    return {"traced": traced, "types": dict(types), "malloc": mallinfo(), "pymalloc": pymalloc_stats(),
            "engineio_sockets": engineio_sockets(), "greenlets": greenlet_count(), "rss_kib": rss_kib()}


def engineio_sockets() -> int | None:
    with contextlib.suppress(Exception):
        from app.extensions import socketio
        return len(socketio.server.eio.sockets)
    return None


def greenlet_count() -> int:
    import greenlet
    return sum(1 for o in gc.get_objects() if isinstance(o, greenlet.greenlet))


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def mallinfo() -> dict:
    """glibc: bytes in the brk/arena heaps (in use, free) and in mmap'd chunks."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
        return {"heap": info.arena, "in_use": info.uordblks, "free": info.fordblks, "mmap": info.hblkhd}
    return {}


def pymalloc_stats() -> dict:
    """pymalloc's arenas (sys._debugmallocstats, which writes to fd 2: captured)."""
    with tempfile.TemporaryFile("w+") as capture:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            os.dup2(capture.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read()
    figures = {}
    for key, pattern in (("arenas", r"# arenas allocated current\s*=\s*([\d,]+)"),
                         ("allocated_blocks_bytes", r"# bytes in allocated blocks\s*=\s*([\d,]+)"),
                         ("arena_bytes", r"Total\s*=\s*([\d,]+)")):
        found = re.search(pattern, text)
        if found:
            figures[key] = int(found.group(1).replace(",", ""))
    return figures
