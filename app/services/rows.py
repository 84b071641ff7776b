"""Finding a row by id for the console, and editing it field by field with a record of what changed."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.errors import NotFound


def get_row(session: Session, model, row_id: int, what: str):
    """The `model` row with this id, else 404 naming `what` it is."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"No such {what}.")
    return row


def apply_changes(row, changes: dict) -> dict:
    """Set each given attribute that differs; returns {field: [before, after]} of those."""
    changed = {}
    for name, value in changes.items():
        before = getattr(row, name)
        if before != value:
            changed[name] = [before, value]
            setattr(row, name, value)
    return changed


def lock_row(session: Session, row) -> None:
    """Hold `row` until the transaction ends (PostgreSQL: FOR UPDATE, which also makes a new
    foreign key to it wait; SQLite: writers are one at a time anyway), and reload its columns."""
    model = type(row)
    session.execute(select(model.id).where(model.id == row.id).with_for_update())
    session.refresh(row, [c.key for c in model.__table__.columns])
