"""The interface of live popularity counters, and what they answer per product."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.services.places.live import bought_today
from app.services.popularity.notes import OrderChange

# A `viewing` signal counts a shopper as watching that product this long; clients renew it
# (every minute) while the product stays on screen.
WATCH_WINDOW = timedelta(minutes=2)

# {product_id: (watching, bought_today)}, products whose figures are both 0 left out.
Figures = dict[int, tuple[int, int]]


class PopularityCounters(ABC):
    """Per compound and product: shoppers viewing it now, shoppers who bought it today."""

    def __init__(self, window_seconds: float):
        self.window = timedelta(seconds=window_seconds)

    @abstractmethod
    def view(self, session: Session, compound_id: int, shopper_id: int, product_id: int | None,
             now: datetime) -> None:
        """The shopper views the product (None: the store, no product) from now on; their view of
        any other product in the compound ends."""

    @abstractmethod
    def watching(self, session: Session, compound_id: int, now: datetime) -> dict[int, int]:
        """{product_id: shoppers whose latest view, within the window, is of it}."""

    @abstractmethod
    def bought_today(self, session: Session, compound_id: int, now: datetime) -> dict[int, int]:
        """{product_id: shoppers here whose order of today (Shanghai) holds it, cancelled aside}."""

    def orders_changed(self, changes: list[OrderChange]) -> None:
        """Orders placed and cancelled, just committed (a counter of its own may follow them)."""

    @abstractmethod
    def swap_shown(self, compound_id: int, figures: Figures) -> Figures:
        """Remember `figures` as the compound's last pushed ones; answer those that differ from the
        previous push (a product gone from it as (0, 0))."""

    def figures(self, session: Session, compound_id: int, now: datetime) -> Figures:
        watching = self.watching(session, compound_id, now)
        bought = self.bought_today(session, compound_id, now)
        return {pid: (watching.get(pid, 0), bought.get(pid, 0)) for pid in watching.keys() | bought.keys()
                if watching.get(pid, 0) or bought.get(pid, 0)}

    def close(self) -> None:
        """Let go of connections (an app being thrown away)."""


class SqlBoughtToday:
    """bought_today over the day's orders (places.live): one grouped query, exact, no counter to keep."""

    def bought_today(self, session: Session, compound_id: int, now: datetime) -> dict[int, int]:
        return bought_today(session, compound_id, now)


class ShownInMemory:
    """The last pushed figures, in this process: right for the embedded default's one server."""

    def __init__(self):
        self._shown: dict[int, Figures] = {}
        self._lock = threading.Lock()

    def swap_shown(self, compound_id: int, figures: Figures) -> Figures:
        with self._lock:
            before = self._shown.get(compound_id, {})
            self._shown[compound_id] = dict(figures)
        return changed_figures(before, figures)


def changed_figures(before: Figures, after: Figures) -> Figures:
    changed = {pid: value for pid, value in after.items() if before.get(pid) != value}
    changed.update({pid: (0, 0) for pid in before.keys() - after.keys()})
    return changed
