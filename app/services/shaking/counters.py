"""Each shopper's shakes and wins in a round (round_shoppers), counted by conditional statements.

Every limit is a conditional write whose row count decides, never count-then-insert:
- shakes: `round_shoppers.shakes < shakes_per_shopper`;
- wins:   `round_shoppers.wins < wins_per_shopper`.
The Redis engine counts in Redis first and raises these rows to its counts behind it.
"""
from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.database import dialect_insert
from app.models import RoundShopper


def count_shake(session: Session, round_id: int, shopper_id: int, limit: int) -> tuple[int, int] | None:
    """Count one more shake unless the shopper is at the limit: (counter row id, shakes used).

    One UPDATE ... RETURNING in the common case. The first shake inserts the counter row;
    when it already exists (at the limit, or the same shopper's concurrent first shake just
    made it) the UPDATE is tried once more and decides.
    """
    mine = (RoundShopper.round_id == round_id, RoundShopper.shopper_id == shopper_id)
    count_one_more = (
        update(RoundShopper).where(*mine, RoundShopper.shakes < limit)
        .values(shakes=RoundShopper.shakes + 1).returning(RoundShopper.id, RoundShopper.shakes)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(count_one_more).first()
    if row is not None:
        return row.id, row.shakes
    if session.scalar(select(RoundShopper.id).where(*mine)) is None:
        try:
            with session.begin_nested():
                first = RoundShopper(round_id=round_id, shopper_id=shopper_id, shakes=1, wins=0)
                session.add(first)
            return first.id, 1
        except IntegrityError:
            pass
    row = session.execute(count_one_more).first()
    return (row.id, row.shakes) if row is not None else None


def count_win(session: Session, row_id: int, limit: int | None) -> bool:
    """Count one more win for the shopper unless they are at `limit` (None: whatever the count)."""
    within = (RoundShopper.wins < limit,) if limit is not None else ()
    return session.execute(
        update(RoundShopper).where(RoundShopper.id == row_id, *within)
        .values(wins=RoundShopper.wins + 1).execution_options(synchronize_session=False)
    ).rowcount == 1


def sync_shake_count(session: Session, round_id: int, shopper_id: int, used: int) -> int:
    """Raise the shopper's shake count to `used` (never lower it); the counter row's id."""
    row = {"round_id": round_id, "shopper_id": shopper_id, "shakes": used, "wins": 0}
    return session.execute(shake_count_upsert(session).returning(RoundShopper.id), row).scalar_one()


def shake_count_upsert(session: Session):
    """INSERT a counter row, or raise an existing one's shakes to the one given (never lower)."""
    row = dialect_insert(session)(RoundShopper.__table__)
    return row.on_conflict_do_update(
        index_elements=[RoundShopper.round_id, RoundShopper.shopper_id],
        set_={"shakes": raised_shakes(row)},
    ).execution_options(synchronize_session=False)


def raised_shakes(row):
    """An upsert's shakes: the count given, unless the stored one is higher (never lowered)."""
    return case((RoundShopper.shakes > row.excluded.shakes, RoundShopper.shakes), else_=row.excluded.shakes)


def shakes_used(session: Session, round_id: int, shopper_id: int) -> int:
    """The shopper's shakes in the round, as the database counted them."""
    return session.scalar(select(RoundShopper.shakes).where(RoundShopper.round_id == round_id,
                                                            RoundShopper.shopper_id == shopper_id)) or 0
