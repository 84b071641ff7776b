"""The courier's whole store for one shopper: every product, by category or name, a page at a
time, each at the one price this shopper pays (catalog.price_book, as orders are priced) and
with the figures the storefront shows beside it (`on_van`, `watching`, `bought_today`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Product, StoreSession
from app.services.paging import DEFAULT_LIMIT, page_of
from app.services.store import catalog
from app.services.popularity import PopularityCounters
from app.services.store.storefront import in_store, item_figures

MAX_CATEGORIES = 100  # the category bar of a phone; a catalogue with more lists the first by name


@dataclass(frozen=True)
class CataloguePage:
    categories: list[str]
    items: list[catalog.PricedItem]
    next_after: int | None


def browse(session: Session, store_session: StoreSession, now: datetime, counters: PopularityCounters, *,
           category: str | None = None, text: str | None = None, after: int | None = None,
           limit: int = DEFAULT_LIMIT) -> CataloguePage:
    """Products in `category` whose name holds `text` (either may be None), in id order."""
    query = select(Product)
    if category:
        query = query.where(Product.category == category)
    if text:
        query = query.where(Product.name.ilike(f"%{like_escaped(text)}%", escape="\\"))
    page = page_of(session, query, Product.id, after, limit, newest_first=False)
    book = catalog.price_book(session, store_session.shopper_id, store_session.compound_id, now)
    items = [catalog.priced(book, product) for product in page.items]
    figures = item_figures(session, store_session, now, counters)
    return CataloguePage(categories(session), in_store(items, figures), page.next_after)


def categories(session: Session) -> list[str]:
    return list(session.scalars(select(Product.category).distinct().order_by(Product.category)
                                .limit(MAX_CATEGORIES)))


def like_escaped(text: str) -> str:
    """`text` matched literally by LIKE: its % and _ are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
