"""HTTP load with wrk (C, epoll; far faster than the server under test) and bench/wrk_shake.lua.

Runs as an asyncio subprocess so the shoppers' sockets keep answering pings meanwhile. Its
CPU time is this process's RUSAGE_CHILDREN delta across the run (wrk is the only child
reaped in between; gunicorn stays alive until the end).
"""
from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

from bench.procs import children_cpu_seconds

SCRIPT = Path(__file__).resolve().parent / "wrk_shake.lua"


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed: `apt-get install wrk` (make bench does it as root)")
    return found


async def run_wrk(url: str, *, seconds: int, connections: int, threads: int, script_args: list[str],
                  timeout_s: int = 10) -> dict:
    """One wrk run; its summary (requests/s, latency percentiles in ms, statuses, errors, CPU)."""
    command = [wrk_binary(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", f"{timeout_s}s", "--latency", "-s", str(SCRIPT), url, "--", *script_args]
    cpu_before = children_cpu_seconds()
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), seconds + timeout_s + 30)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"wrk did not finish: {' '.join(command)}") from None
    except BaseException:  # cancelled (the harness is stopping): wrk stops too
        if process.returncode is None:
            process.kill()
        raise
    text = out.decode(errors="replace")
    found = re.search(r"^WRK_JSON (\{.*\})$", text, re.M)
    if process.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text[-2000:]}")
    raw = json.loads(found[1])
    seconds_run = raw["duration_us"] / 1e6
    statuses = {int(k): v for k, v in raw["statuses"].items()}
    lat = {k: v / 1000 for k, v in raw["latency_us"].items()}
    return {
        "command": " ".join(command),
        "requests": raw["requests"], "seconds": round(seconds_run, 2),
        "rps": raw["requests"] / seconds_run if seconds_run else 0.0,
        "latency_ms": {k: round(v, 2) for k, v in lat.items()},
        "statuses": statuses, "errors": raw["errors"],
        "non_2xx": sum(v for k, v in statuses.items() if not 200 <= k < 300),
        "status_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "wrk_cpu_s": round(children_cpu_seconds() - cpu_before, 2),
        "output": text,
    }
