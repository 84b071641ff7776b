"""What a compound's shoppers wish for (issue 16's shopping plan), for the portrait and area marketing:
open wishes (need-by today or later) counted per category and per event their plan waits for."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Product, Wish


def open_wishes_by_category(session: Session, compound_ids: Iterable[int], today: date) -> dict[int, dict[str, int]]:
    """{compound_id: {category: open wishes}}; a product wish counts in its product's category."""
    category = func.coalesce(Wish.category, Product.category)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for compound_id, name, wishes in session.execute(
            select(Wish.compound_id, category, func.count())
            .outerjoin(Product, Product.id == Wish.product_id)
            .where(Wish.compound_id.in_(list(compound_ids)), Wish.need_by >= today)
            .group_by(Wish.compound_id, category)):
        counts[compound_id][name] = wishes
    return {compound_id: dict(sorted(by_category.items())) for compound_id, by_category in counts.items()}


def waiting_by_event(session: Session, compound_ids: Iterable[int], today: date) -> dict[int, Counter]:
    """{compound_id: Counter(event id -> open wishes whose stored plan waits for it)}."""
    counts: dict[int, Counter] = defaultdict(Counter)
    for compound_id, event_id, wishes in session.execute(
            select(Wish.compound_id, Wish.plan_event_id, func.count())
            .where(Wish.compound_id.in_(list(compound_ids)), Wish.need_by >= today,
                   Wish.plan_event_id.is_not(None), Wish.plan_buy_on > today)
            .group_by(Wish.compound_id, Wish.plan_event_id)):
        counts[compound_id][event_id] = wishes
    return dict(counts)
