"""What the bench database's backends are doing, sampled every 250 ms during each phase:
how many wait on a lock (and on which statement), how many sit idle in a transaction.

A diagnostic, not a target: it says where a shake waits when the workers are not busy.
"""
from __future__ import annotations

import asyncio
from collections import Counter

import psycopg

QUERY = """
SELECT coalesce(wait_event_type, ''), state, left(regexp_replace(query, '\\s+', ' ', 'g'), 90)
FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()
"""


class DbWatch:
    def __init__(self, database_url: str, database: str, period: float = 0.25):
        self.url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.database, self.period = database, period
        self.conn: psycopg.AsyncConnection | None = None
        self.task: asyncio.Task | None = None
        self.reset()

    def reset(self) -> None:
        self.samples = 0
        self.lock_waits: list[int] = []
        self.idle_in_tx: list[int] = []
        self.backends: list[int] = []
        self.blocked: Counter = Counter()

    async def start(self) -> None:
        self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        while True:
            try:
                rows = await (await self.conn.execute(QUERY, (self.database,))).fetchall()
            except psycopg.Error:
                rows = []
            waiting = [query for wait, state, query in rows if wait == "Lock"]
            self.samples += 1
            self.lock_waits.append(len(waiting))
            self.idle_in_tx.append(sum(1 for _, state, _ in rows if state == "idle in transaction"))
            self.backends.append(len(rows))
            self.blocked.update(waiting)
            await asyncio.sleep(self.period)

    def take(self) -> dict:
        """Figures since the last take(): max and mean lock waiters, top blocked statements."""
        if not self.samples:
            return {}
        taken = {
            "samples": self.samples, "backends_max": max(self.backends),
            "lock_waiters_max": max(self.lock_waits),
            "lock_waiters_mean": round(sum(self.lock_waits) / self.samples, 1),
            "idle_in_transaction_mean": round(sum(self.idle_in_tx) / self.samples, 1),
            "blocked_statements": [{"statement": q, "sampled_waiters": n} for q, n in self.blocked.most_common(3)],
        }
        self.reset()
        return taken

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.conn is not None:
            await self.conn.close()
