"""Live popularity in SQL, the embedded default: each shopper's latest view is one upserted row
(product_views); bought_today is the day's orders, grouped (places.live)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.database import dialect_insert
from app.models import ProductView
from app.services.popularity.counters import PopularityCounters, ShownInMemory, SqlBoughtToday


class SqlCounters(SqlBoughtToday, ShownInMemory, PopularityCounters):
    def __init__(self, window_seconds: float):
        PopularityCounters.__init__(self, window_seconds)
        ShownInMemory.__init__(self)

    def view(self, session: Session, compound_id: int, shopper_id: int, product_id: int | None,
             now: datetime) -> None:
        row = dialect_insert(session)(ProductView.__table__).values(
            compound_id=compound_id, shopper_id=shopper_id, product_id=product_id, seen_at=now)
        session.execute(row.on_conflict_do_update(
            index_elements=[ProductView.compound_id, ProductView.shopper_id],
            set_={"product_id": row.excluded.product_id, "seen_at": row.excluded.seen_at}))

    def watching(self, session: Session, compound_id: int, now: datetime) -> dict[int, int]:
        rows = session.execute(
            select(ProductView.product_id, func.count())
            .where(ProductView.compound_id == compound_id, ProductView.seen_at >= now - self.window,
                   ProductView.product_id.is_not(None))
            .group_by(ProductView.product_id))
        return dict(rows.all())
