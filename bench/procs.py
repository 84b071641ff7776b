"""Processes: the gunicorn server under test, and what /proc says about it and its neighbours.

CPU time is read from /proc/<pid>/stat (utime + stime, in clock ticks), memory from
/proc/<pid>/status (VmRSS), and a worker's open sockets from /proc/<pid>/fd.
"""
from __future__ import annotations

import contextlib
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
TICK = os.sysconf("SC_CLK_TCK")


def raise_open_files_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit; children (gunicorn, wrk) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def machine() -> dict:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
    return {"nproc": os.cpu_count(), "cpu_model": model, "ram_gib": round(kib / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version()}


def code_version() -> str:
    """The commit under test, and how many files under app/ differ from it (others may be editing)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    served = ("app", "wsgi.py", "gunicorn.conf.py", "migrations")
    changed = len([line for line in git("status", "--porcelain", "--", *served).splitlines() if line.strip()])
    return f"{commit}" + (f" + {changed} changed files in app/, migrations/" if changed else " (clean)")


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a live process, in seconds; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def open_sockets(pid: int) -> int:
    """How many sockets a process holds open: listening, client, database and Redis ones."""
    count = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    count += 1
    return count


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot: /proc/stat's user nice system irq softirq
    (not idle, iowait, nor steal: time the hypervisor gave to other machines)."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8])
    return (user + nice + system + irq + softirq) / TICK


def machine_load(seconds: float = 2.0) -> float:
    """How many cores were busy, on average, over the next `seconds` (before the run starts)."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / seconds


def children_cpu_seconds() -> float:
    """CPU of this process's reaped children (wrk, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class MessageSenderProcess:
    """`flask --app wsgi send-messages` in its own process group: the subscribe messages sent
    apart from the workers (bench/run.py --sender-process; the workers run with MESSAGE_SENDER=0)."""

    env: dict
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "send-messages"], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def cpu_seconds(self) -> float:
        return (cpu_seconds(self.process.pid) or 0.0) if self.process is not None else 0.0

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
            self.process = None


@dataclass
class Gunicorn:
    """`gunicorn -k gevent -w W --worker-connections 10000 wsgi:app` in its own process group,
    run from the project root so it reads gunicorn.conf.py (another worker class with
    `worker_class`, more options with `extra_args`: a `-c FILE` there replaces gunicorn.conf.py)."""

    env: dict
    workers: int
    log_path: Path
    port: int = field(default_factory=free_port)
    worker_class: str = "gevent"
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None
    worker_pids: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        command = [str(BIN / "gunicorn"), "-k", self.worker_class, "-w", str(self.workers),
                   "--worker-connections", "10000", "-b", f"{HOST}:{self.port}",
                   "--no-control-socket", "--graceful-timeout", "3", *self.extra_args, "wsgi:app"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, preexec_fn=raise_open_files_limit)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            self.worker_pids = self.current_workers()
            if len(self.worker_pids) == self.workers and self.answers():
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not serve {self.workers} workers within {timeout} s; see {self.log_path}")

    def answers(self) -> bool:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{self.url}/api/v1/healthz", timeout=2) as answer:
                return answer.status == 200
        return False

    def current_workers(self) -> list[int]:
        if self.process is None:
            return []
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return sorted(int(p) for p in text.split())

    def stop(self) -> None:
        """SIGTERM the group (gunicorn's graceful stop), then SIGKILL whatever lingers."""
        if self.process is None:
            return
        for signum, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signum)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(wait)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # a worker outliving its master
        self.process = None

    def log_problems(self, limit: int = 12) -> tuple[int, list[str]]:
        """Tracebacks and error lines in the server log: how many, and the first few."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return 0, []
        hits = [line for line in lines
                if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line or "WORKER TIMEOUT" in line
                or line.startswith(("sqlalchemy.exc.", "psycopg.", "TimeoutError", "OSError", "RuntimeError"))]
        return len(hits), hits[:limit]


class CpuMeter:
    """CPU seconds used between two samples by each group of processes: gunicorn workers and
    master, PostgreSQL, Redis, this process (the asyncio client), wrk (reaped children), and
    everything else on the machine (the busy time /proc/stat counts that none of those used)."""

    def __init__(self, server: Gunicorn):
        self.server = server

    def sample(self) -> dict:
        processes = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    comm = Path(f"/proc/{entry}/comm").read_text().strip()
                    used = cpu_seconds(int(entry))
                    if used is not None:
                        processes[int(entry)] = (comm, used)
        return {"processes": processes, "client": self_cpu_seconds(), "wrk": children_cpu_seconds(),
                "machine": machine_busy_seconds(), "wall": time.monotonic(),
                "workers": list(self.server.worker_pids), "master": self.server.process.pid}

    @staticmethod
    def delta(before: dict, after: dict) -> dict:
        """CPU seconds per group over the interval (a process born in it counts whole)."""
        groups = {"workers": 0.0, "master": 0.0, "postgres": 0.0, "redis": 0.0}
        per_worker = {pid: 0.0 for pid in before["workers"]}
        others: dict[str, float] = {}
        for pid, (comm, used) in after["processes"].items():
            earlier = before["processes"].get(pid)
            spent = used - earlier[1] if earlier else used  # kernel threads change comm: go by pid
            if pid in per_worker:
                per_worker[pid] += spent
                groups["workers"] += spent
            elif pid == after["master"]:
                groups["master"] += spent
            elif comm == "postgres":
                groups["postgres"] += spent
            elif comm == "redis-server":
                groups["redis"] += spent
            elif pid != os.getpid() and spent > 0:
                name = comm.split("-", 1)[0] if comm.startswith("kworker") else comm
                others[name] = others.get(name, 0.0) + spent
        used = {name: round(value, 2) for name, value in groups.items()}
        used["per_worker"] = [round(v, 2) for v in per_worker.values()]
        used["client"] = round(after["client"] - before["client"], 2)
        used["wrk"] = round(after["wrk"] - before["wrk"], 2)
        used["machine"] = round(after["machine"] - before["machine"], 2)
        ours = sum(used[name] for name in ("workers", "master", "postgres", "redis", "client", "wrk"))
        used["other"] = round(max(0.0, used["machine"] - ours), 2)  # processes not in this run
        used["other_top"] = {comm: round(v, 2) for comm, v in sorted(others.items(), key=lambda kv: -kv[1])[:3]
                             if v >= 0.05}
        used["wall"] = round(after["wall"] - before["wall"], 2)
        used["cores"] = os.cpu_count()
        return used
