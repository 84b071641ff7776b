"""Keyset pages ordered by id: the one way every console list is bounded.

A page is the rows after a given id, at most `limit` of them; the next page starts after the
last row shown. Unlike OFFSET, a row added or deleted meanwhile never shifts a page, so a
walk through every page sees each row that existed throughout exactly once.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    """Some rows, and the id to continue after (None on the last page)."""

    items: list
    next_after: int | None


def keyset_page(session: Session, model, after: int | None, limit: int, *options) -> Page:
    """Rows of `model` with an id above `after`, lowest first; `options` are loader options."""
    query = select(model).options(*options).order_by(model.id).limit(limit + 1)
    if after is not None:
        query = query.where(model.id > after)
    rows = list(session.scalars(query))
    more = len(rows) > limit  # one row beyond the page says whether there is a next one
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more else None)


# A shopper's or courier's own list (orders, coupons, wins, the pick list): at most this many a
# page, and as many by default, which is what those lists answered before they had pages.
OWN_LIST_LIMIT = 100


def page_of(session: Session, query, key, after: int | None, limit: int = OWN_LIST_LIMIT,
            newest_first: bool = True) -> Page:
    """Up to `limit` rows of `query` past the id `after`, by its id column `key`: newest first
    (ids below `after`), or oldest first (ids above it)."""
    if after is not None:
        query = query.where(key < after if newest_first else key > after)
    rows = list(session.scalars(query.order_by(key.desc() if newest_first else key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more else None)
