"""The run, phase by phase, inside one asyncio loop (so idle sockets keep answering pings):
connect, fan-out, socket shakes, then HTTP (trivial endpoint, shakes) with wrk.
Each phase records the CPU its process groups used (bench.procs.CpuMeter) and the client's loop lag.
"""
from __future__ import annotations

import asyncio
import gc
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from bench import world
from bench.dbwatch import DbWatch
from bench.procs import CpuMeter, Gunicorn, open_sockets, rss_kib
from bench.report import summary_ms
from bench.shoppers import Crowd, LoopLag, shake_all, shake_at_rate
from bench.wrk import run_wrk


def memory_snapshot(server: Gunicorn) -> dict:
    return {pid: {"rss_kib": rss_kib(pid), "sockets": open_sockets(pid)} for pid in server.worker_pids}


def memory_figures(before: dict, after: dict) -> tuple[dict, dict]:
    """Per worker: RSS growth over sockets gained, in KiB per connection; and the raw numbers."""
    lines, raw = {}, {}
    for pid in before:
        b, a = before[pid], after.get(pid) or {}
        if a.get("rss_kib") is None or b.get("rss_kib") is None:
            lines[str(pid)] = "worker gone"
            continue
        grown, conns = a["rss_kib"] - b["rss_kib"], a["sockets"] - b["sockets"]
        per = grown / conns if conns > 0 else None
        raw[str(pid)] = {"rss_before_kib": b["rss_kib"], "rss_after_kib": a["rss_kib"], "sockets_gained": conns,
                         "kib_per_connection": None if per is None else round(per, 1)}
        lines[str(pid)] = (f"RSS {b['rss_kib'] / 1024:.1f} → {a['rss_kib'] / 1024:.1f} MiB for {conns} more sockets: "
                           + ("—" if per is None else f"{per:.1f} KiB per connected shopper"))
    return lines, raw


class Run:
    def __init__(self, args, app, seeded: world.Seeded, plan: world.Plan, server: Gunicorn, figures: dict,
                 problems: list[str], workdir: Path, database_url: str):
        self.args, self.app, self.seeded, self.plan, self.server = args, app, seeded, plan, server
        self.f, self.problems, self.workdir = figures, problems, workdir
        self.cpu = CpuMeter(server)
        self.lag = LoopLag()
        self.db = DbWatch(database_url, args.database)
        self.f.setdefault("cpu", {})
        self.f.setdefault("client_lag", {})
        self.f.setdefault("db_waits", {})
        self.rounds: dict[str, int] = {}

    def begin(self) -> dict:
        self.lag.take()
        self.db.take()
        return self.cpu.sample()

    def end(self, phase: str, started: dict) -> None:
        self.f["cpu"][phase] = CpuMeter.delta(started, self.cpu.sample())
        lag = summary_ms(self.lag.take())
        self.f["client_lag"][phase] = lag
        self.f["db_waits"][phase] = self.db.take()

    async def go(self) -> None:
        self.lag.start()
        await self.db.start()
        try:
            async with Crowd(self.server.url, self.seeded.shopper_tokens) as crowd:
                try:
                    await self.connect(crowd)
                    self.rounds["socket"] = await self.fan_out(crowd, "fanout", "arrival (fan-out)")
                    if not self.args.pacing:
                        world.release_all_stock(self.app, self.rounds["socket"], self.plan.stock)
                    await self.socket_shakes(crowd)
                    await self.http(crowd)
                    self.f["memory_end"] = memory_snapshot(self.server)
                    self.f["still_connected"] = len(crowd.connected)
                finally:
                    self.f["client_problems"] = dict(crowd.problems)
                    self.f["engineio_pings_answered"] = crowd.pings
        finally:
            await self.lag.stop()
            await self.db.stop()

    async def connect(self, crowd: Crowd) -> None:
        warm_count = min(50, max(1, len(crowd.shoppers) // 20))
        warm, rest = crowd.shoppers[:warm_count], crowd.shoppers[warm_count:]
        await crowd.connect(warm, self.args.connect_concurrency)
        await asyncio.sleep(1.0)
        before = memory_snapshot(self.server)
        started = self.begin()
        began = time.perf_counter()
        took = await crowd.connect(rest, self.args.connect_concurrency)
        self.f["connect_seconds"] = time.perf_counter() - began
        # The load generator's own 2,000 connections, out of its garbage collector's full
        # passes: those stalled its loop for ~250 ms, which showed up as the server's latency.
        gc.freeze()
        self.end("connect", started)
        await asyncio.sleep(2.0)  # let the workers settle before reading RSS
        after = memory_snapshot(self.server)
        self.f["memory_fresh"], _ = memory_figures(before, after)
        # Idle means after a ping cycle: a connection's first ping is still pending until then.
        await asyncio.sleep(self.args.idle_seconds)
        after = memory_snapshot(self.server)
        self.f["memory"], self.f["memory_raw"] = memory_figures(before, after)
        self.f["memory_after_connect"] = after
        grown = sum(a["rss_kib"] - before[p]["rss_kib"] for p, a in after.items() if a["rss_kib"] and p in before)
        self.f["kib_per_shopper_all_workers"] = round(grown / len(rest), 1) if rest else None
        self.f["connected"] = len(crowd.connected)
        self.f["connect_ms"] = summary_ms(took)

    async def arrive(self, crowd: Crowd) -> tuple[float, float, dict]:
        body = {"event_id": uuid.uuid4().hex, "compound_id": self.seeded.compound_id,
                "occurred_at": datetime.now(timezone.utc).isoformat()}
        headers = {"Authorization": f"Bearer {self.seeded.courier_token}"}
        sent = time.perf_counter()
        async with crowd.session.post(f"{self.server.url}/api/v1/courier/arrivals", json=body,
                                      headers=headers) as answer:
            payload = await answer.json()
            if answer.status != 201 or not payload.get("rounds"):
                raise RuntimeError(f"arrival answered {answer.status}: {payload}")
        return sent, time.perf_counter(), payload

    async def fan_out(self, crowd: Crowd, key: str, phase: str) -> int:
        """Announce an arrival; how long each connected shopper waited for its shake_open."""
        listening = len(crowd.connected)
        started = self.begin()
        sent, answered, payload = await self.arrive(crowd)
        round_id = payload["rounds"][0]["id"]
        complete = await crowd.until_heard("shake_open", round_id, listening, self.args.fanout_timeout)
        self.end(phase, started)
        delays = [stamp - sent for stamp in crowd.heard_at("shake_open", round_id)]
        self.f[key] = {**summary_ms(delays), "connected": listening, "rest_ms": round((answered - sent) * 1000, 1),
                       "spread_ms": round((max(delays) - min(delays)) * 1000, 1) if delays else None,
                       "round_id": round_id}
        if not complete:
            self.problems.append(f"{key}: only {len(delays)}/{listening} shoppers heard shake_open "
                                 f"within {self.args.fanout_timeout} s")
        await asyncio.sleep(1.0)
        return round_id

    async def socket_shakes(self, crowd: Crowd) -> None:
        started = self.begin()
        done = await shake_all(crowd, self.rounds["socket"], self.args.shakes_per_shopper, self.args.socket_inflight,
                               self.args.socket_deadline)
        self.end("socket shakes", started)
        lat = summary_ms(done["latencies"])
        self.f["socket_shakes"] = {"answered": done["answered"], "seconds": done["seconds"],
                                   "rate": done["answered"] / done["seconds"] if done["seconds"] else 0.0,
                                   "p50": lat["p50"], "p99": lat["p99"], "max": lat["max"],
                                   "outcomes": done["outcomes"]}

    async def http(self, crowd: Crowd) -> None:
        """The HTTP phase's own round (opened by a second arrival), then wrk: trivial endpoint, shakes."""
        world.add_http_campaign(self.app, self.seeded, self.plan)
        self.rounds["http"] = await self.fan_out(crowd, "fanout2", "2nd arrival (fan-out)")
        if not self.args.pacing:
            world.release_all_stock(self.app, self.rounds["http"], self.plan.stock)
        tokens = self.workdir / "shopper-tokens.txt"
        tokens.write_text("\n".join(self.seeded.shopper_tokens) + "\n")
        common = {"seconds": self.args.http_seconds, "connections": self.args.connections,
                  "threads": self.args.wrk_threads}
        for name, phase, script_args in (
                ("healthz", "wrk GET /api/v1/healthz", ["healthz"]),
                ("http_shakes", "wrk shakes", ["shake", str(self.rounds["http"]), str(tokens)])):
            await asyncio.sleep(1.0)
            started = self.begin()
            self.f[name] = await run_wrk(self.server.url, script_args=script_args, **common)
            self.end(phase, started)
        self.f["ratio"] = self.f["http_shakes"]["rps"] / self.f["healthz"]["rps"] if self.f["healthz"]["rps"] else 0.0
        if self.args.paced_rate > 0:
            await asyncio.sleep(1.0)
            await self.paced_shakes(crowd)

    async def paced_shakes(self, crowd: Crowd) -> None:
        """Socket shakes at a fixed rate, in the HTTP round (its shake limit is high)."""
        started = self.begin()
        done = await shake_at_rate(crowd, self.rounds["http"], self.args.paced_rate, self.args.paced_seconds)
        self.end("paced socket shakes", started)
        lat = summary_ms(done["latencies"])
        self.f["paced_shakes"] = {"rate_asked": self.args.paced_rate, "sent": done["sent"],
                                  "answered": done["answered"], "sending_seconds": round(done["sending_seconds"], 2),
                                  "seconds": round(done["seconds"], 2),
                                  "rate": done["answered"] / done["seconds"] if done["seconds"] else 0.0,
                                  "p50": lat["p50"], "p99": lat["p99"], "max": lat["max"],
                                  "outcomes": done["outcomes"]}
