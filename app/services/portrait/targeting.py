"""Picking compounds by their portrait: "baby products over 10% of spend", "price-sensitive"."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.services.portrait.portraits import stored_bodies

# Price-sensitive: this share of spend or more in the lowest bands (unit price up to CHEAP_FEN).
CHEAP_FEN = 3_000
PRICE_SENSITIVE_SHARE = 0.5


def cheap_share(body: dict) -> float:
    """Share of the compound's spend on items at CHEAP_FEN or less a unit."""
    return sum(band["share"] for band in body["price_bands"]
               if band["max_fen"] is not None and band["max_fen"] <= CHEAP_FEN)


def compounds_by_portrait(session: Session, category: str | None = None, min_share: float = 0.0,
                          price_sensitive: bool = False,
                          cheap_min_share: float = PRICE_SENSITIVE_SHARE) -> list[dict]:
    """Compounds whose stored portrait has at least `min_share` of spend in `category` (any
    category when None) and, when `price_sensitive`, at least `cheap_min_share` of spend in the
    cheap bands: [{"compound_id", "category_share", "cheap_share", "as_of"}], best match first."""
    found = []
    for compound_id, body in stored_bodies(session).items():
        if not body.get("orders"):
            continue
        share = body["category_shares"].get(category, 0.0) if category else 1.0
        cheap = cheap_share(body)
        if share >= min_share and (not price_sensitive or cheap >= cheap_min_share):
            found.append({"compound_id": compound_id, "category_share": share if category else None,
                          "cheap_share": cheap, "as_of": body["as_of"]})
    found.sort(key=lambda f: (-(f["category_share"] or 0), -f["cheap_share"], f["compound_id"]))
    return found


def price_sensitive_compound_ids(session: Session, min_share: float = PRICE_SENSITIVE_SHARE) -> list[int]:
    """Compounds whose spend goes mostly on cheap items (what clearance deals are aimed at)."""
    return sorted(f["compound_id"] for f in compounds_by_portrait(session, price_sensitive=True,
                                                                  cheap_min_share=min_share))
