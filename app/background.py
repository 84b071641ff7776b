"""A loop every worker runs in a background task (a greenlet under gevent), started once."""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from flask import Flask

from app.extensions import socketio

log = logging.getLogger(__name__)


class BackgroundLoop(ABC):
    """Calls `tick()` until stopped, sleeping the seconds it returns; a failed tick (a database
    or Redis hiccup) is logged and retried after `retry_seconds`, never ends the loop."""

    retry_seconds = 1.0

    def __init__(self, app: Flask):
        self.app = app
        self.running = False

    def start(self) -> None:
        if not self.running:
            self.running = True
            socketio.start_background_task(self.run)

    def stop(self) -> None:
        self.running = False

    def run_in_foreground(self) -> None:
        """The loop in this process, until interrupted: a process of its own (a CLI command)."""
        self.running = True
        self.run()

    def run(self) -> None:
        while self.running:
            try:
                pause = self.tick()
            except Exception:
                log.exception("%s failed; retrying", type(self).__name__)
                self.failed()
                pause = self.retry_seconds
            socketio.sleep(pause)

    @abstractmethod
    def tick(self) -> float:
        """One round of work; how long to sleep before the next."""

    def failed(self) -> None:
        """Forget what a failure may have made stale."""
