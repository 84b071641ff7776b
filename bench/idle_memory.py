"""Memory per idle connected shopper: `python -m bench.idle_memory` (issue 6: under 40 KiB).

Starts the production set-up as bench/run.py does (fresh PostgreSQL database, Redis,
`flask db upgrade`, N seeded shoppers, `gunicorn -k gevent -w W --worker-connections 10000`),
connects 5% of the shoppers as a warm-up, reads each worker's RSS and open sockets from
/proc, connects the rest over WebSocket (bench/shoppers.py's client, which answers pings),
waits until they have been idle a while (a ping interval and more), reads again, and prints
per worker: RSS before and after, sockets gained, KiB per idle connected shopper.

With `--probe` the workers run tracemalloc (bench/memprobe.py, a gunicorn config file) and
the run also prints WHAT grew between the two readings: tracemalloc's biggest allocation
sites, GC-tracked objects by type, glibc malloc and pymalloc figures, all per connection.
tracemalloc costs memory itself, so quote RSS from a run without --probe.
Everything it starts stops at the end, whatever happens.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shlex
import signal
import sys
import tempfile
import time
import traceback
import tracemalloc
import uuid
from collections import Counter
from pathlib import Path

import uvloop

from bench import world
from bench.phases import memory_figures, memory_snapshot
from bench.procs import ROOT, Gunicorn, code_version, raise_open_files_limit
from bench.run import server_env, stop_on_signal
from bench.shoppers import Crowd

PROBE_TIMEOUT = 120.0


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.idle_memory", description=__doc__.split("\n\n")[0])
    p.add_argument("--shoppers", type=int, default=2000, help="shoppers connected over WebSocket (2000)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    p.add_argument("--worker-class", default="gevent", help="gunicorn -k (gevent)")
    p.add_argument("--idle-seconds", type=float, default=35.0,
                   help="seconds to wait after the last connect before reading RSS (35: past a 25 s ping)")
    p.add_argument("--connect-concurrency", type=int, default=100, help="WebSocket handshakes at once (100)")
    p.add_argument("--probe", action="store_true", help="tracemalloc and object counts in the workers")
    p.add_argument("--probe-light", action="store_true",
                   help="object counts, malloc and pymalloc figures in the workers, without tracemalloc")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="extra environment for gunicorn (repeatable), e.g. MALLOC_ARENA_MAX=2")
    p.add_argument("--out", type=Path, default=None, help="write the figures as JSON here too")
    p.add_argument("--pg-admin-url", default=os.environ.get(
        "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--database", default="xiaoge_idle_memory", help="database dropped and created")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_IDLE_REDIS_URL", "redis://127.0.0.1:6379/9"),
                   help="Redis DB flushed and used (redis://127.0.0.1:6379/9)")
    args = p.parse_args(argv)
    if args.shoppers < 20 or args.workers < 1:
        p.error("--shoppers must be at least 20 and --workers at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    raise_open_files_limit()
    command = "python -m bench.idle_memory " + shlex.join(argv if argv is not None else sys.argv[1:])
    result = {"command": command, "code": code_version(), "started": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    plan = world.Plan(shoppers=args.shoppers, shakes_per_shopper=1, stock=1, win_probability=0.5,
                      wins_per_shopper=1, http_shakes_per_shopper=1)
    server = app = None
    status = 0
    with tempfile.TemporaryDirectory(prefix="xiaoge-idle-") as workdir:
        try:
            step("fresh database and Redis, flask db upgrade")
            database_url = world.fresh_database(args.pg_admin_url, args.database)
            world.flush_redis(args.redis_url)
            env = server_env(database_url, args.redis_url, secrets.token_urlsafe(32),
                             f"xiaoge-idle-{uuid.uuid4().hex[:8]}")
            world.migrate(env)
            step(f"seeding {args.shoppers} shoppers")
            app = world.harness_app(database_url, env["SECRET_KEY"])
            seeded = world.seed(app, plan)
            world.dispose(app)
            env.update(kv.split("=", 1) for kv in args.env)
            extra = []
            if args.probe_light:
                args.probe = True
                env["XIAOGE_MEMPROBE_FRAMES"] = "0"
            if args.probe:
                env["XIAOGE_MEMPROBE_DIR"] = workdir
                extra = ["-c", str(ROOT / "bench" / "memprobe.py")]
            step(f"starting gunicorn -k {args.worker_class} -w {args.workers}"
                 + (f" with {' '.join(args.env)}" if args.env else ""))
            server = Gunicorn(env, args.workers, Path(workdir) / "server.log", worker_class=args.worker_class,
                              extra_args=extra)
            server.start()
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                result.update(runner.run(measure(args, server, seeded.shopper_tokens, Path(workdir))))
        except Exception as error:
            traceback.print_exc()
            result["error"] = f"{type(error).__name__}: {error}"
            status = 1
        finally:
            if server is not None:
                server.stop()
                problems = server.log_problems()
                if problems[0]:
                    result["server_log_problems"] = problems
            if app is not None:
                world.dispose(app)
    print(report(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, default=str))
    return status


async def measure(args, server: Gunicorn, tokens: list[str], workdir: Path) -> dict:
    figures: dict = {}
    async with Crowd(server.url, tokens) as crowd:
        warm_count = max(1, len(crowd.shoppers) // 20)
        warm, rest = crowd.shoppers[:warm_count], crowd.shoppers[warm_count:]
        step(f"warm-up: {warm_count} shoppers")
        await crowd.connect(warm, args.connect_concurrency)
        await asyncio.sleep(3.0)
        probes = {}
        if args.probe:
            probes["before"] = await probe(server, workdir, "before")
        before = memory_snapshot(server)
        step(f"connecting {len(rest)} more shoppers")
        began = time.perf_counter()
        await crowd.connect(rest, args.connect_concurrency)
        figures["connect_seconds"] = round(time.perf_counter() - began, 1)
        step(f"{len(crowd.connected)} connected; idle for {args.idle_seconds:.0f} s")
        await asyncio.sleep(min(3.0, args.idle_seconds))
        just_connected = memory_snapshot(server)
        await asyncio.sleep(max(0.0, args.idle_seconds - 3.0))
        after = memory_snapshot(server)
        if args.probe:
            probes["after"] = await probe(server, workdir, "after")
        figures["still_connected"] = len(crowd.connected)
        figures["pings_answered"] = crowd.pings
        figures["client_problems"] = dict(crowd.problems)
    figures["memory_3s_after_connecting"] = memory_figures(before, just_connected)[0]
    figures["memory"], figures["memory_raw"] = memory_figures(before, after)
    grown = sum(after[p]["rss_kib"] - before[p]["rss_kib"] for p in before if after[p]["rss_kib"])
    figures["kib_per_shopper_all_workers"] = round(grown / len(rest), 1)
    if args.probe:
        figures["probe"] = {str(pid): breakdown(probes["before"][pid], probes["after"][pid], workdir, pid)
                            for pid in server.worker_pids}
    return figures


async def probe(server: Gunicorn, workdir: Path, label: str) -> dict:
    for pid in server.worker_pids:
        (workdir / f"{pid}.{label}.request").touch()
    answers, deadline = {}, time.monotonic() + PROBE_TIMEOUT
    while len(answers) < len(server.worker_pids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no probe answer from the workers within {PROBE_TIMEOUT} s")
        for pid in server.worker_pids:
            path = workdir / f"{pid}.{label}.json"
            if pid not in answers and path.exists():
                answers[pid] = json.loads(path.read_text())
        await asyncio.sleep(0.2)
    return answers


def package_of(filename: str) -> str:
    """site-packages/<pkg>/..., or app/..., or the stdlib module."""
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    try:
        return str(Path(filename).resolve().relative_to(ROOT).parts[0])
    except ValueError:
        return "stdlib:" + Path(filename).stem


def breakdown(before: dict, after: dict, workdir: Path, pid: int) -> dict:
    """What one worker gained between the two probes, per Engine.IO socket gained."""
    conns = (after["engineio_sockets"] or 0) - (before["engineio_sockets"] or 0)
    per = (lambda value: round(value / conns / 1024, 2)) if conns > 0 else (lambda value: None)
    types = Counter(after["types"])
    types.subtract(before["types"])
    malloc = {k: per(after["malloc"].get(k, 0) - before["malloc"].get(k, 0)) for k in after["malloc"]}
    pym = {k: per(after["pymalloc"].get(k, 0) - before["pymalloc"].get(k, 0)) for k in after["pymalloc"]}
    figures = {
        "connections_gained": conns,
        "rss_kib_per_connection": per((after["rss_kib"] - before["rss_kib"]) * 1024),
        "greenlets_per_connection": round((after["greenlets"] - before["greenlets"]) / conns, 2) if conns else None,
        "glibc_malloc_kib_per_connection": malloc, "pymalloc_kib_per_connection": pym,
        "gc_objects_per_connection": {k: round(v / conns, 2) for k, v in types.most_common(30)} if conns else {},
    }
    if not (workdir / f"{pid}.after.snapshot").exists():
        return figures
    old = tracemalloc.Snapshot.load(str(workdir / f"{pid}.before.snapshot"))
    new = tracemalloc.Snapshot.load(str(workdir / f"{pid}.after.snapshot"))
    by_line = [(per(d.size_diff), round(d.count_diff / conns, 2) if conns else None,
                f"{d.traceback[-1].filename.split('site-packages/')[-1]}:{d.traceback[-1].lineno}")
               for d in new.compare_to(old, "lineno")[:25]]
    stacks = []
    for d in new.compare_to(old, "traceback")[:12]:
        frames = [f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in d.traceback][-7:]
        stacks.append((per(d.size_diff), " < ".join(reversed(frames))))
    packages: Counter = Counter()
    for d in new.compare_to(old, "traceback"):
        packages[package_of(d.traceback[-1].filename)] += d.size_diff
    return {**figures, "tracemalloc_kib_per_connection": per(after["traced"] - before["traced"]),
            "top_lines_kib_per_connection": by_line, "top_stacks_kib_per_connection": stacks,
            "by_innermost_package_kib_per_connection": {k: per(v) for k, v in packages.most_common(15)}}


def report(result: dict) -> str:
    lines = [f"# idle memory: {result['command']}", f"code: {result['code']}; started {result['started']}"]
    if "error" in result:
        lines.append(f"STOPPED EARLY: {result['error']}")
    for key in ("connect_seconds", "still_connected", "pings_answered", "client_problems", "server_log_problems"):
        if key in result:
            lines.append(f"{key}: {result[key]}")
    for pid, line in result.get("memory_3s_after_connecting", {}).items():
        lines.append(f"worker {pid}, 3 s after connecting: {line}")
    for pid, line in result.get("memory", {}).items():
        lines.append(f"worker {pid}, idle: {line}")
    if "kib_per_shopper_all_workers" in result:
        lines.append(f"all workers: {result['kib_per_shopper_all_workers']} KiB per idle connected shopper")
    raw = result.get("memory_raw", {})
    if raw:
        worst = max(r["kib_per_connection"] or 0 for r in raw.values())
        lines.append(f"{'PASS' if worst < 40 else 'FAIL'}: worst worker {worst} KiB per idle connected shopper "
                     "(target < 40 KiB)")
    for pid, probe in result.get("probe", {}).items():
        lines.append(f"\n## probe, worker {pid} (tracemalloc on: its RSS is inflated)")
        for key, value in probe.items():
            if isinstance(value, list):
                lines.append(f"{key}:")
                lines.extend(f"    {row}" for row in value)
            elif isinstance(value, dict) and len(value) > 6:
                lines.append(f"{key}:")
                lines.extend(f"    {k}: {v}" for k, v in value.items())
            else:
                lines.append(f"{key}: {value}")
    return "\n".join(lines)


def step(text: str) -> None:
    print(f"[idle-memory {time.strftime('%H:%M:%S')}] {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
