"""Options for the console's pickers."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Compound


def compound_choices() -> list[tuple[int, str]]:
    """Every compound as (id, "name · district")."""
    compounds = db.session.scalars(select(Compound).order_by(Compound.city, Compound.name, Compound.id))
    return [(c.id, f"{c.name} · {c.district}" if c.district else c.name) for c in compounds]
