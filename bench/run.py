"""The shake benchmark, in one command: `python -m bench.run` (or `make bench BENCH_ARGS=...`).

Starts the production set-up on this machine (fresh PostgreSQL database, Redis, `flask db
upgrade`, gunicorn gevent workers), connects N shoppers over WebSocket to one compound,
announces an arrival, has every shopper shake, drives HTTP shakes and a trivial endpoint
with wrk, checks correctness in the database, prints a Markdown table and writes it (and a
JSON of everything) to --out. Everything it starts is stopped at the end, whatever happens.
See bench/README.md for what each figure means.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shlex
import signal
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from pathlib import Path

import uvloop

from bench import world
from bench.phases import Run
from bench.procs import (ROOT, Gunicorn, MessageSenderProcess, code_version, machine, machine_load,
                         raise_open_files_limit)
from bench.report import write
from wechat.sandbox import start_sandbox

DEFAULT_OUT = ROOT / "bench" / "results" / "latest.md"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--shoppers", type=int, default=2000, help="shoppers connected over WebSocket (2000)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn gevent workers (2)")
    p.add_argument("--shakes-per-shopper", type=int, default=3, help="socket shakes each shopper sends (3)")
    p.add_argument("--http-seconds", type=int, default=15, help="seconds of each wrk run (15)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections (50)")
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1)")
    p.add_argument("--socket-inflight", type=int, default=None,
                   help="socket shakes outstanding at once (default: --connections; 0: all shoppers at once)")
    p.add_argument("--socket-deadline", type=float, default=600.0,
                   help="seconds the socket shake phase may take at most (600)")
    p.add_argument("--paced-rate", type=float, default=1500,
                   help="socket shakes a second sent on schedule, open loop, in the last phase (1500; 0: skip)")
    p.add_argument("--paced-seconds", type=float, default=10.0, help="seconds of the paced phase (10)")
    p.add_argument("--idle-seconds", type=float, default=28.0,
                   help="seconds the connected crowd idles before memory is read (28: past a 25 s ping)")
    p.add_argument("--stock", type=int, default=200, help="coupon prize per_round stock (200)")
    p.add_argument("--win-probability", type=float, default=0.5, help="prize win_probability (0.5)")
    p.add_argument("--wins-per-shopper", type=int, default=1, help="campaigns' wins_per_shopper (1)")
    p.add_argument("--http-shakes-per-shopper", type=int, default=100_000,
                   help="the HTTP round's shakes_per_shopper: high, so wrk's shakes are draws, not 429s")
    p.add_argument("--pacing", action="store_true",
                   help="keep the linear stock release (default: release all stock, so draws race for it)")
    p.add_argument("--subscribed", type=int, default=None,
                   help="shoppers subscribed to the van-arrived message, sent through a WeChat sandbox while "
                        "the run goes on (default: all; 0: none)")
    p.add_argument("--sender-process", action="store_true",
                   help="send the subscribe messages from a process of their own (`flask send-messages`, the "
                        "workers with MESSAGE_SENDER=0) instead of from every worker")
    p.add_argument("--connect-concurrency", type=int, default=100, help="WebSocket handshakes at once (100)")
    p.add_argument("--fanout-timeout", type=float, default=30.0, help="seconds to wait for every shake_open")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown results (JSON beside it)")
    p.add_argument("--pg-admin-url", default=os.environ.get(
        "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--database", default="xiaoge_bench", help="database dropped and created (xiaoge_bench)")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
                   help="Redis DB flushed and used (redis://127.0.0.1:6379/8)")
    args = p.parse_args(argv)
    if args.socket_inflight is None:
        args.socket_inflight = args.connections
    if args.shoppers < 1 or args.workers < 1 or args.shakes_per_shopper < 1 or args.http_seconds < 1:
        p.error("--shoppers, --workers, --shakes-per-shopper and --http-seconds must be at least 1")
    if args.subscribed is not None and not 0 <= args.subscribed <= args.shoppers:
        p.error("--subscribed must be between 0 and --shoppers")
    return args


def server_env(database_url: str, redis_url: str, secret_key: str, channel: str) -> dict:
    drop = {"XIAOGE_DEMO", "SOCKETIO_ASYNC_MODE", "SOCKETIO_PING_INTERVAL", "SOCKETIO_PING_TIMEOUT",
            "RATELIMIT_STORAGE_URI"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=secret_key, SOCKETIO_CHANNEL=channel,
               ROUND_SWEEPER="1", PYTHONUNBUFFERED="1", PUBLIC_URL="http://127.0.0.1")
    return env


def stop_on_signal(signum, _frame) -> None:
    """SIGTERM or SIGHUP (`timeout`, a closed terminal): unwind, so the finally stops the server."""
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    limit = raise_open_files_limit()
    if limit < args.shoppers + 200:
        print(f"warning: open files limit {limit} is low for {args.shoppers} sockets", file=sys.stderr)
    plan = world.Plan(shoppers=args.shoppers, shakes_per_shopper=args.shakes_per_shopper, stock=args.stock,
                      win_probability=args.win_probability, wins_per_shopper=args.wins_per_shopper,
                      http_shakes_per_shopper=args.http_shakes_per_shopper, subscribed=args.subscribed)
    result = {"started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), "args": vars(args) | {
        "out": str(args.out)}, "command": "python -m bench.run " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "code": code_version(), "figures": {}, "problems": []}
    figures, problems = result["figures"], result["problems"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    server = app = sender = None
    workers_at_start: list[int] = []
    # The subscribe messages the arrivals queue leave for a local WeChat stand-in, never WeChat.
    wechat = start_sandbox()
    try:
        figures["machine_busy_before"] = round(machine_load(), 2)
        if figures["machine_busy_before"] > 0.25:
            problems.append(f"the machine was not idle: {figures['machine_busy_before']:.2f} cores busy before the "
                            "run started (other processes); figures are lower and noisier than on a quiet machine")
        step("fresh database and Redis, flask db upgrade")
        database_url = world.fresh_database(args.pg_admin_url, args.database)
        world.flush_redis(args.redis_url)
        env = server_env(database_url, args.redis_url, secrets.token_urlsafe(32), f"xiaoge-bench-{uuid.uuid4().hex[:8]}")
        env["WECHAT_API_BASE"] = wechat.url
        world.migrate(env)
        step(f"seeding {args.shoppers} shoppers")
        app = world.harness_app(database_url, env["SECRET_KEY"])
        seeded = world.seed(app, plan)
        with wechat.state.lock:  # the shoppers are WeChat users there, so their messages are taken
            for n in range(plan.shoppers):
                wechat.state.user(f"bench-{n}")
        world.dispose(app)
        step(f"starting gunicorn -k gevent -w {args.workers}")
        if args.sender_process:
            env["MESSAGE_SENDER"] = "0"
            sender = MessageSenderProcess(env, args.out.with_name(args.out.stem + "-sender.log"))
            sender.start()
        server = Gunicorn(env, args.workers, args.out.with_name(args.out.stem + "-server.log"))
        server.start()
        workers_at_start = list(server.worker_pids)
        step(f"running at {server.url}: connect, fan-out, socket shakes, wrk")
        with tempfile.TemporaryDirectory(prefix="xiaoge-bench-") as workdir:  # the tokens file for wrk
            run = Run(args, app, seeded, plan, server, figures, problems, Path(workdir), database_url)
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(run.go())
        figures["correctness"] = world.correctness(app, run.rounds)
        figures["subscribe_messages_sent"] = len(wechat.state.sent_messages())
        if sender is not None:
            figures["sender_process_cpu_seconds"] = round(sender.cpu_seconds(), 2)
    except Exception as error:
        problems.append(f"the run stopped early: {type(error).__name__}: {error}")
        traceback.print_exc()
    finally:
        if server is not None:
            if workers_at_start and server.current_workers() != workers_at_start:
                problems.append(f"gunicorn workers changed during the run: {workers_at_start} → "
                                f"{server.current_workers()} (a worker died or was restarted)")
            server.stop()
            if sender is not None:
                sender.stop()
            count, lines = server.log_problems()
            if count:
                problems.append(f"server log {server.log_path.name}: {count} error/traceback lines, first: "
                                + " / ".join(line.strip()[:160] for line in lines[:4]))
        if app is not None:
            world.dispose(app)
        wechat.stop()
    judge(result)
    markdown = write(result, args.out)
    print("\n" + markdown)
    print(f"\nwritten: {args.out} and {args.out.with_suffix('.json')}")
    return 1 if any(p.startswith("the run stopped early") for p in problems) else 0


def step(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def judge(result: dict) -> None:
    """Errors line, the targets (pass/fail), and whether the load generator kept up."""
    f, args = result["figures"], result["args"]
    f.setdefault("connected", 0)
    f.setdefault("connect_seconds", 0.0)
    f.setdefault("connect_ms", {"p50": None, "p99": None})
    sock, http, health = f.get("socket_shakes"), f.get("http_shakes"), f.get("healthz")
    paced = f.get("paced_shakes")
    cpu = f.get("cpu", {})
    f["cpu_ms_per_request"] = {phase: round(1000 * sum(cpu[phase]["per_worker"]) / count, 2)
                               for phase, count in (("socket shakes", sock and sock["answered"]),
                                                    ("paced socket shakes", paced and paced["answered"]),
                                                    ("wrk shakes", http and http["requests"]),
                                                    ("wrk GET /api/v1/healthz", health and health["requests"]))
                               if count and phase in cpu}
    for phase, used in cpu.items():
        if used["wall"] >= 1 and used["other"] / used["wall"] > 0.2:
            result["problems"].append(f"{phase}: other processes on the machine used {used['other']:.1f} CPU s "
                                      f"({used['other'] / used['wall']:.2f} cores; busiest: {used.get('other_top') or 'processes that exited'}) "
                                      "during the phase; its figures "
                                      "are lower than on a quiet machine")
    socket_errors = Counter()
    for phase in (sock, paced):
        socket_errors.update({k: v for k, v in (phase or {}).get("outcomes", {}).items() if k.startswith("error")})
    internal = socket_errors.get("error: internal_error", 0)
    five = sum(r["status_5xx"] for r in (http, health) if r)
    transport = sum(sum(r["errors"].values()) - r["errors"]["status"] for r in (http, health) if r)
    client = f.get("client_problems", {})
    f["errors_line"] = (f"HTTP 5xx {five}; wrk socket errors/timeouts {transport}; socket shake errors "
                        f"{', '.join(f'{k[7:]} {v}' for k, v in socket_errors.items()) or 'none'}; "
                        f"client problems {', '.join(f'{k} {v}' for k, v in client.items()) or 'none'}; "
                        f"problems listed below {len(result['problems'])}")
    fan, corr = f.get("fanout"), f.get("correctness", {})
    per_conn = [m.get("kib_per_connection") for m in f.get("memory_raw", {}).values()]
    over = sum(c["over_award"] for c in corr.values())
    over_limits = sum(c["shoppers_over_shake_limit"] + c["shoppers_over_win_limit"] for c in corr.values())
    size = "" if args["shoppers"] >= 2000 else f" (run at {args['shoppers']} shoppers, target is 2,000)"
    verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    targets = []
    if fan:
        targets.append(f"{verdict(fan['n'] == fan['connected'] and (fan['p99'] or 1e9) < 250)} fan-out p99 "
                       f"{fan['p99']} ms < 250 ms to every connected shopper{size}")
    for label, rate, p99 in (("HTTP", http and http["rps"], http and http["latency_ms"]["p99"]),
                             ("socket", sock and sock["rate"], sock and sock["p99"])):
        if rate is not None:
            targets.append(f"{verdict(rate >= 1500 and (p99 or 1e9) < 150)} {label} shakes {rate:.0f}/s ≥ 1,500 "
                           f"with p99 {p99} ms < 150 ms")
    if paced:
        served = paced["answered"] - sum(v for k, v in paced["outcomes"].items() if k.startswith("error"))
        targets.append(f"{verdict(paced['rate_asked'] >= 1500 and served == paced['sent'] and (paced['p99'] or 1e9) < 150)} "
                       f"socket shakes sent at {paced['rate_asked']:.0f}/s: {served}/{paced['sent']} served (target: "
                       f"all, none refused or lost), p99 {paced['p99']} ms < 150 ms")
    if http and health:
        targets.append(f"{verdict(f['ratio'] >= 0.5)} shake/trivial throughput {f['ratio']:.2f} ≥ 0.5")
    if per_conn and all(v is not None for v in per_conn):
        targets.append(f"{verdict(max(per_conn) < 40)} memory {max(per_conn):.1f} KiB per idle connected shopper "
                       f"(worst worker) < 40 KiB")
    if corr:
        targets.append(f"{verdict(over == 0 and over_limits == 0)} over-award {over}, shoppers over a limit "
                       f"{over_limits}")
    if http or health or sock:
        targets.append(f"{verdict(five == 0 and internal == 0)} 5xx {five}, socket internal_error {internal}")
    result["targets"] = targets
    result["generator_check"] = generator_check(f)


def generator_check(f: dict) -> list[str]:
    """Per phase: the load generator's CPU next to the server's, and the client's loop lag."""
    lines = []
    for phase, cpu in f.get("cpu", {}).items():
        wall = cpu["wall"] or 1
        server = sum(cpu["per_worker"])
        who, gen = ("wrk", cpu["wrk"]) if phase.startswith("wrk") else ("asyncio client", cpu["client"])
        lag = f.get("client_lag", {}).get(phase, {})
        lines.append(f"{phase}: {who} {gen:.1f} CPU s ({gen / wall:.2f} cores) vs gunicorn workers {server:.1f} CPU s "
                     f"({server / wall:.2f} cores), postgres {cpu['postgres']:.1f} s, other processes "
                     f"{cpu['other']:.1f} s; machine busy {cpu['machine'] / wall:.2f} of {cpu['cores']} cores; "
                     f"client loop lag p99 {lag.get('p99')} ms, max {lag.get('max')} ms")
    return lines


if __name__ == "__main__":
    sys.exit(main())
