"""Compounds: registration, search by name or distance, matching free-text addresses."""
from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Compound
from app.services.errors import InvalidRequest
from app.services.rows import apply_changes

EARTH_RADIUS_M = 6_371_000
def create_compound(session: Session, *, name, city, lat, lng, radius_m, district=None, aliases=()) -> Compound:
    compound = Compound(name=name.strip(), city=city, district=district, lat=lat, lng=lng,
                        radius_m=radius_m, aliases=clean_aliases(aliases, name))
    session.add(compound)
    session.flush()
    return compound


def clean_aliases(aliases, name: str) -> list[str]:
    """Aliases trimmed, each once, without the name itself."""
    trimmed = [a.strip() for a in aliases if a and a.strip() and a.strip() != name.strip()]
    return list(dict.fromkeys(trimmed))


def update_compound(session: Session, compound: Compound, **changes) -> dict:
    """Apply the given fields (those of `create_compound`); returns {field: [before, after]}."""
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "name" in changes or "aliases" in changes:
        changes["aliases"] = clean_aliases(changes.get("aliases", compound.aliases or []),
                                           changes.get("name", compound.name))
    changed = apply_changes(compound, changes)
    session.flush()
    return changed


def get_compounds(session: Session, ids: list[int], field: str = "compound_ids") -> list[Compound]:
    """The compounds with these ids, or a 422 naming the ids that do not exist."""
    wanted = list(dict.fromkeys(ids))
    found = session.scalars(select(Compound).where(Compound.id.in_(wanted))).all()
    missing = sorted(set(wanted) - {c.id for c in found})
    if missing:
        raise InvalidRequest({field: f"unknown compound ids: {missing}"})
    return sorted(found, key=lambda c: wanted.index(c.id))


def replace_compounds(session: Session, row, compound_ids: list[int], changed: dict) -> None:
    """Give `row` (a deal, a coupon template) these compounds; notes [before, after] ids in `changed`."""
    before = sorted(c.id for c in row.compounds)
    compounds = get_compounds(session, compound_ids)
    if sorted(c.id for c in compounds) != before:
        changed["compound_ids"] = [before, sorted(c.id for c in compounds)]
        row.compounds = compounds


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def search_compounds(session: Session, q: str | None = None, lat: float | None = None,
                     lng: float | None = None, limit: int = 20) -> list[tuple[Compound, int | None]]:
    """Compounds whose name, alias or district contains `q`, nearest first given a position."""
    compounds = session.scalars(select(Compound).order_by(Compound.id)).all()
    if q and q.strip():
        needle = q.strip().lower()
        compounds = [c for c in compounds
                     if any(needle in n.lower() for n in [*c.names(), c.district or ""])]
    if lat is None or lng is None:
        return [(c, None) for c in compounds[:limit]]
    ranked = sorted(((c, round(distance_m(lat, lng, c.lat, c.lng))) for c in compounds),
                    key=lambda pair: pair[1])
    return ranked[:limit]


def match_compound(session: Session, address_text: str) -> Compound | None:
    """The compound whose name or alias appears in a written address; the longest match wins.

    "阳光花园二期3栋" names both 阳光花园 and 阳光花园二期; the longer one is the precise one.
    """
    text = "".join(address_text.split()).lower()
    best: tuple[int, Compound] | None = None
    for compound in session.scalars(select(Compound)):
        for name in compound.names():
            key = "".join(name.split()).lower()
            if key and key in text and (best is None or len(key) > best[0]):
                best = (len(key), compound)
    return best[1] if best else None
