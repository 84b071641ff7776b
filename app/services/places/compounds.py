"""Compounds: registration, search by name or distance, matching free-text addresses.

Every search runs in SQL with a limit: names and aliases are kept normalised in
`compound_names` (indexed by their first two characters), and nearest-first search looks in
boxes around the position (the lat/lng index) before it sorts.
"""
from __future__ import annotations

import math

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.database import dialect_of
from app.models import Compound, CompoundName
from app.services.errors import InvalidRequest
from app.services.rows import apply_changes

EARTH_RADIUS_M = 6_371_000
METRES_PER_DEGREE = 111_195
# Nearest-first search looks this far around the position, wider each time it finds too few.
SEARCH_RADII_M = (2_000, 10_000, 50_000)
SEARCH_LIMIT = 20


def create_compound(session: Session, *, name, city, lat, lng, radius_m, district=None, aliases=()) -> Compound:
    compound = Compound(name=name.strip(), city=city, district=district, lat=lat, lng=lng,
                        radius_m=radius_m, aliases=clean_aliases(aliases, name))
    session.add(compound)
    session.flush()
    index_names(session, compound)
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
    if "name" in changed or "aliases" in changed:
        index_names(session, compound)
    return changed


def search_key(text: str) -> str:
    """How names are compared: without blanks, lowercase ("Sunny Garden" is "sunnygarden")."""
    return "".join(text.split()).lower()


def index_names(session: Session, compound: Compound) -> None:
    """Write the compound's searchable names; call again whenever its name or aliases change."""
    session.execute(delete(CompoundName).where(CompoundName.compound_id == compound.id))
    keys = dict.fromkeys(key for key in map(search_key, compound.names()) if key)
    session.add_all(CompoundName(compound_id=compound.id, key=key, head=key[:2]) for key in keys)
    session.flush()


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
                     lng: float | None = None, limit: int = SEARCH_LIMIT) -> list[tuple[Compound, int | None]]:
    """At most `limit` compounds whose name, alias or district contains `q`, nearest first given a position."""
    query = select(Compound)
    needle = search_key(q or "")
    if needle:
        named = select(CompoundName.compound_id).where(CompoundName.key.contains(needle, autoescape=True))
        query = query.where(Compound.id.in_(named)
                            | func.lower(Compound.district).contains(needle, autoescape=True))
    if lat is None or lng is None:
        return [(c, None) for c in session.scalars(query.order_by(Compound.id).limit(limit))]
    radii = () if needle else SEARCH_RADII_M  # a name narrows enough by itself
    return nearest(session, query, lat, lng, limit, radii)


def nearest(session: Session, query, lat: float, lng: float, limit: int,
            radii: tuple[int, ...]) -> list[tuple[Compound, int]]:
    """The `limit` compounds of `query` nearest the position, looking in ever wider boxes first.

    A box's hits are the true nearest once `limit` of them lie within its radius: anything
    outside the box is farther. SQL sorts by a flat-earth distance (exact enough to rank
    within a city, and arithmetic both databases have); the answer is re-ranked by haversine.
    """
    stretch = max(math.cos(math.radians(lat)), 0.01)  # a degree of longitude is shorter away from the equator
    closeness = (Compound.lat - lat) * (Compound.lat - lat) \
        + (Compound.lng - lng) * stretch * (Compound.lng - lng) * stretch
    for radius in (*radii, None):
        boxed = query if radius is None else query.where(within_box(lat, lng, radius, stretch))
        found = session.scalars(boxed.order_by(closeness, Compound.id).limit(limit)).all()
        ranked = sorted(((c, round(distance_m(lat, lng, c.lat, c.lng))) for c in found), key=lambda p: p[1])
        if radius is None or (len(ranked) == limit and ranked[-1][1] <= radius):
            return ranked
    raise AssertionError("unreachable: the last pass has no box")


def within_box(lat: float, lng: float, radius_m: float, stretch: float):
    """Compounds whose centre is in the box around the position that holds the circle of `radius_m`."""
    dlat = radius_m / METRES_PER_DEGREE
    dlng = dlat / stretch
    return Compound.lat.between(lat - dlat, lat + dlat) & Compound.lng.between(lng - dlng, lng + dlng)


def match_compound(session: Session, address_text: str) -> Compound | None:
    """The compound whose name or alias appears in a written address; the longest match wins.

    "阳光花园二期3栋" names both 阳光花园 and 阳光花园二期; the longer one is the precise one.
    One indexed query: only names whose first two characters occur in the address are compared.
    """
    text = search_key(address_text)
    heads = {text[i:i + n] for n in (1, 2) for i in range(len(text) - n + 1)}  # a one-letter name's head is itself
    if not heads:
        return None
    found = session.scalar(
        select(CompoundName.compound_id)
        .where(CompoundName.head.in_(heads), contains(session, text, CompoundName.key))
        .order_by(func.length(CompoundName.key).desc(), CompoundName.compound_id).limit(1)
    )
    return None if found is None else session.get(Compound, found)


def contains(session: Session, text: str, column):
    """SQL: `text` contains the column's value as is (no LIKE wildcards): instr or strpos."""
    position = func.strpos if dialect_of(session) == "postgresql" else func.instr
    return position(text, column) > 0
