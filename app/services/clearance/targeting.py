"""Clearance goes to compounds whose portrait is price-sensitive: `"target": "price_sensitive"`
in a deal's body instead of `compound_ids`, resolved here and nowhere else.

Which compounds are price-sensitive is the portrait's to say (issue 15 part 1); the caller
passes that function in (app/wiring.py: `price_sensitive_finder()`), so this module needs
nothing from the portrait and tests can name the compounds.
"""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy.orm import Session

from app.services.errors import InvalidRequest

PRICE_SENSITIVE = "price_sensitive"
TARGETS = (PRICE_SENSITIVE,)

CompoundFinder = Callable[[Session], Iterable[int]]


def no_portrait_yet(session: Session) -> list[int]:
    """The finder until the portrait is wired in: no compound is known to be price-sensitive."""
    return []


def with_target_resolved(session: Session, body: dict, find_price_sensitive: CompoundFinder) -> dict:
    """The deal body with its `target` (if any) turned into the `compound_ids` it names."""
    body = dict(body)
    target = body.pop("target", None)
    if target is None:
        return body
    compound_ids = sorted(set(find_price_sensitive(session)))
    if not compound_ids:
        raise InvalidRequest({"target": "no compound's portrait is price-sensitive yet: name compound_ids"})
    body["compound_ids"] = compound_ids
    return body
