"""One shake: one atomic draw against the round's stock, within the per-shopper limits.

Every limit is a conditional UPDATE whose row count decides (never count-then-insert):
- shakes: `round_shoppers.shakes < shakes_per_shopper`;
- wins:   `round_shoppers.wins < wins_per_shopper`;
- stock:  `round_prizes.awarded < stock AND awarded < released`.

Pacing: a round's stock is released linearly over its window (one prize at once, the rest
spread evenly), so the prizes last through the window instead of all going in the first
second. Stock not won early stays released, so a quiet round can still award all of it.
"""
from __future__ import annotations

import functools
import logging
import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, case, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, joinedload, lazyload

from app.database import dialect_of
from app.models import CampaignPrize, Coupon, RoundPrize, RoundShopper, Shake, ShakeRound
from app.services.errors import NotFound, NotInCompound, RoundClosed, RoundNotOpen, ShakeLimitReached
from app.services.prizes import PRIZE_KINDS
from app.services.residence import shopper_compound_ids

if TYPE_CHECKING:
    from app.services.redis_shakes import RoundView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShakeOutcome:
    shake: Shake
    round_prize: RoundPrize | None
    shakes_left: int


def released(stock: int, shake_round: ShakeRound | RoundView, now: datetime) -> int:
    """How much of a prize's stock may have been awarded by `now` (linear release)."""
    window = (shake_round.closes_at - shake_round.opens_at).total_seconds()
    elapsed = (now - shake_round.opens_at).total_seconds()
    if window <= 0:
        return stock
    return min(stock, math.floor(stock * elapsed / window) + 1)


def check_round_open(shake_round: ShakeRound | RoundView, now: datetime) -> None:
    if shake_round.closed_at is not None or now >= shake_round.closes_at:
        raise RoundClosed()
    if now < shake_round.opens_at or shake_round.campaign_status != "active":
        raise RoundNotOpen()


def shake(session: Session, shopper_id: int, round_id: int, shake_id: str, now: datetime,
          rng: random.Random | None = None) -> ShakeOutcome:
    """Shake once in a round: a win takes one prize of the round's stock, or nothing."""
    shake_round = session.get(ShakeRound, round_id)
    if shake_round is None:
        raise NotFound("No such shake round.")
    check_round_open(shake_round, now)
    if shake_round.compound_id not in shopper_compound_ids(session, shopper_id):
        raise NotInCompound()
    campaign = shake_round.campaign
    counted = count_shake(session, round_id, shopper_id, campaign.shakes_per_shopper)
    if counted is None:
        raise ShakeLimitReached()
    participant_id, used = counted
    round_prize = draw(session, shake_round, participant_id, now, rng or random)
    record = record_shake(session, shake_round, shopper_id, shake_id, round_prize, now)
    return ShakeOutcome(record, round_prize, max(campaign.shakes_per_shopper - used, 0))


def record_shake(session: Session, shake_round: ShakeRound, shopper_id: int, shake_id: str,
                 round_prize: RoundPrize | None, now: datetime) -> Shake:
    """The shake's row; a win also makes what the prize gives (a coupon, or an order to pick up)."""
    record = Shake(round_id=shake_round.id, shopper_id=shopper_id, shake_id=shake_id,
                   won=round_prize is not None, round_prize_id=round_prize.id if round_prize else None)
    if round_prize is not None:
        give_prize(session, record, round_prize, shake_round, now)
    session.add(record)
    session.flush()
    return record


def give_prize(session: Session, record: Shake, round_prize: RoundPrize, shake_round: ShakeRound,
               now: datetime) -> None:
    """Make what a winning shake's prize gives (a coupon, or an order to pick up) and link it."""
    awarded = PRIZE_KINDS[round_prize.prize.kind].award(session, round_prize.prize, record.shopper_id,
                                                         shake_round, now)
    record.coupon, record.order = awarded.get("coupon"), awarded.get("order")


def record_decided_win(session: Session, round_id: int, shopper_id: int, shake_id: str, used: int,
                       now: datetime) -> ShakeOutcome:
    """Record a win decided elsewhere (the Redis draw) once claim_prize has run for it, checked
    again against the database's own stock and win limit, so the database never holds more
    winners than the stock whatever Redis says. If it refuses (Redis lost its counts), the
    shake is recorded as a lose. A claim whose prize was never made (its worker stopped) is
    finished here by the shake's retry, and a prize made but never answered is answered."""
    record = session.scalar(  # with its prize, and what the prize gives, in the same query
        select(Shake).where(Shake.shopper_id == shopper_id, Shake.shake_id == shake_id)
        .options(joinedload(Shake.round_prize).joinedload(RoundPrize.prize).joinedload(CampaignPrize.coupon_template)))
    shake_round = session.get(ShakeRound, round_id, options=[lazyload(ShakeRound.prizes)])
    limits = shake_round.campaign
    shakes_left = max(limits.shakes_per_shopper - used, 0)
    participant_id = sync_shake_count(session, round_id, shopper_id, used)
    if record is None:
        log.warning("round %s: the database refused a win Redis gave shopper %s: no stock", round_id, shopper_id)
        return ShakeOutcome(record_shake(session, shake_round, shopper_id, shake_id, None, now), None, shakes_left)
    if not record.won:  # a lose written behind, whose answer Redis no longer has
        return ShakeOutcome(record, None, shakes_left)
    if record.coupon_id is not None or record.order_id is not None:  # made, not yet answered (claim_coupon)
        return ShakeOutcome(record, record.round_prize, shakes_left)
    if not count_win(session, participant_id, limits.wins_per_shopper):
        log.warning("round %s: the database refused a win Redis gave shopper %s: win limit", round_id, shopper_id)
        give_back(session, record)
        return ShakeOutcome(record, None, shakes_left)
    give_prize(session, record, record.round_prize, shake_round, now)
    session.flush()
    return ShakeOutcome(record, record.round_prize, shakes_left)


def claim_prize(connection: Connection, round_id: int, round_prize_id: int, shopper_id: int, shake_id: str,
                now: datetime) -> int | None:
    """Take one of a round prize's stock for this shake and write its winning row; that row's id.
    None when the stock is gone or the shake has a row already (then nothing is taken:
    record_decided_win reads which). For a connection of database.quick_writes.

    Every winner of a round updates that prize's row. On PostgreSQL both writes are one
    statement committed by itself, so the row is locked only while PostgreSQL runs it: a
    burst's winners never queue behind a winner whose worker is busy with other requests
    between two statements.
    """
    row = {"round_id": round_id, "shopper_id": shopper_id, "shake_id": shake_id, "created_at": now}
    if connection.dialect.name == "postgresql":
        try:
            return connection.execute(CLAIM, {**{f"claim_{name}": value for name, value in row.items()},
                                              "claim_round_prize_id": round_prize_id}).scalar()
        except IntegrityError:
            return None  # the shake has its row already (a retry): the statement undid itself, stock included
    shakes_table = Shake.__table__
    mine = (shakes_table.c.shopper_id == shopper_id, shakes_table.c.shake_id == shake_id)
    if connection.execute(select(shakes_table.c.id).where(*mine)).first() is not None:
        return None
    if connection.execute(TAKE_ONE, {"round_prize_id": round_prize_id}).rowcount != 1:
        return None
    return connection.execute(insert(shakes_table).values(**row, won=True, round_prize_id=round_prize_id)
                              .returning(shakes_table.c.id)).scalar_one()


def _claim_statement():
    """PostgreSQL: take one of a round prize's stock and insert the shake's winning row, in one
    statement (built once: a shake's statements are executed with their values as parameters)."""
    taken = (update(RoundPrize)
             .where(RoundPrize.id == bindparam("claim_round_prize_id"), RoundPrize.awarded < RoundPrize.stock)
             .values(awarded=RoundPrize.awarded + 1).returning(RoundPrize.id).cte("taken"))
    given = ("round_id", "shopper_id", "shake_id", "created_at")
    # named apart from the columns: a parameter named like a column of the UPDATE would be set there
    values = [bindparam(f"claim_{name}", type_=Shake.__table__.c[name].type) for name in given]
    return insert(Shake).from_select([*given, "won", "round_prize_id"],
                                     select(*values, literal(True), taken.c.id)).returning(Shake.id)


CLAIM = _claim_statement()
TAKE_ONE = (update(RoundPrize.__table__)
            .where(RoundPrize.__table__.c.id == bindparam("round_prize_id"),
                   RoundPrize.__table__.c.awarded < RoundPrize.__table__.c.stock)
            .values(awarded=RoundPrize.__table__.c.awarded + 1))


def claim_coupon(connection: Connection, round_id: int, round_prize_id: int, shopper_id: int, shake_id: str,
                 template_id: int, used: int, wins_per_shopper: int, now: datetime) -> tuple[int, int | None] | None:
    """claim_prize for a coupon prize, and in the same go the common rest of the win: count it
    against the shopper's win limit, make the coupon, link it. The shake's winning row and its
    coupon; the coupon is None when the database's count refuses the win (record_decided_win
    then decides). None when claim_prize would be. For a connection of database.quick_writes:
    on PostgreSQL all one statement, committed by itself."""
    win = {"win_round_id": round_id, "win_shopper_id": shopper_id, "win_shakes": used, "win_limit": wins_per_shopper,
           "coupon_template_id": template_id, "win_at": now}
    if connection.dialect.name == "postgresql":
        claim = {"claim_round_id": round_id, "claim_shopper_id": shopper_id, "claim_shake_id": shake_id,
                 "claim_created_at": now, "claim_round_prize_id": round_prize_id}
        try:
            made = connection.execute(CLAIM_COUPON, {**claim, **win}).first()
        except IntegrityError:
            return None  # the shake has its row already (a retry): the statement undid itself, stock included
        return (made.id, made.coupon_id) if made is not None else None
    # SQLite, one writer at a time: the same in four statements, in one transaction
    claimed = claim_prize(connection, round_id, round_prize_id, shopper_id, shake_id, now)
    if claimed is None or connection.execute(win_count_upsert("sqlite"), win).first() is None:
        return (claimed, None) if claimed is not None else None
    coupon_id = connection.execute(NEW_COUPON, win).scalar_one()
    connection.execute(LINK_COUPON, {"shake_row_id": claimed, "new_coupon_id": coupon_id})
    return claimed, coupon_id


# A prize coupon: no claim number (that counts claims against a template's per-shopper limit).
NEW_COUPON = (insert(Coupon.__table__).values(template_id=bindparam("coupon_template_id"),
                                              shopper_id=bindparam("win_shopper_id"), source="shake", status="unused",
                                              created_at=bindparam("win_at"))
              .returning(Coupon.id))
LINK_COUPON = (update(Shake.__table__).where(Shake.__table__.c.id == bindparam("shake_row_id"))
               .values(coupon_id=bindparam("new_coupon_id")))


def _claim_coupon_statement():
    """PostgreSQL: CLAIM's stock taken; the win counted (win_count_upsert) if it was; the coupon
    made if that counted; the shake's winning row written with it (or without it: refused by
    the count). One statement, built once; the row's unique key undoes all of it for a retry."""
    coupons, shakes_table, counters = Coupon.__table__, Shake.__table__, RoundShopper.__table__
    taken = (update(RoundPrize.__table__)
             .where(RoundPrize.__table__.c.id == bindparam("claim_round_prize_id"),
                    RoundPrize.__table__.c.awarded < RoundPrize.__table__.c.stock)
             .values(awarded=RoundPrize.__table__.c.awarded + 1).returning(RoundPrize.__table__.c.id).cte("taken"))
    counter = select(bindparam("win_round_id", type_=counters.c.round_id.type),
                     bindparam("win_shopper_id", type_=counters.c.shopper_id.type),
                     bindparam("win_shakes", type_=counters.c.shakes.type), literal(1)).select_from(taken)
    counted = counting_a_win(postgresql.insert(counters).from_select(
        ["round_id", "shopper_id", "shakes", "wins"], counter)).cte("counted")
    made = select(bindparam("coupon_template_id", type_=coupons.c.template_id.type),
                  bindparam("win_shopper_id", type_=coupons.c.shopper_id.type),
                  literal("shake"), literal("unused"), bindparam("win_at", type_=coupons.c.created_at.type))
    coupon = (insert(coupons).from_select(["template_id", "shopper_id", "source", "status", "created_at"],
                                          made.select_from(counted))
              .returning(coupons.c.id).cte("coupon"))
    given = ("round_id", "shopper_id", "shake_id", "created_at")
    values = [bindparam(f"claim_{name}", type_=shakes_table.c[name].type) for name in given]
    row = select(*values, literal(True), taken.c.id, select(coupon.c.id).scalar_subquery())
    return (insert(shakes_table).from_select([*given, "won", "round_prize_id", "coupon_id"], row)
            .returning(shakes_table.c.id, shakes_table.c.coupon_id))


def prizes_unmade(session: Session, claimed_before: datetime, limit: int = 100) -> list:
    """Wins claimed before then whose prize was never made (round_id, shopper_id, shake_id,
    round_prize_id): their worker stopped between claim_prize and making the prize."""
    return list(session.execute(
        select(Shake.round_id, Shake.shopper_id, Shake.shake_id, Shake.round_prize_id)
        .where(Shake.won, Shake.coupon_id.is_(None), Shake.order_id.is_(None),  # the index's PRIZE_UNMADE
               Shake.created_at < claimed_before)
        .order_by(Shake.created_at).limit(limit)))


def give_back(session: Session, record: Shake) -> None:
    """Return a claimed prize to the round's stock: the shake becomes a lose."""
    session.execute(update(RoundPrize).where(RoundPrize.id == record.round_prize_id)
                    .values(awarded=RoundPrize.awarded - 1).execution_options(synchronize_session=False))
    record.won, record.round_prize_id = False, None
    session.flush()


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


@functools.cache
def win_count_upsert(dialect: str):
    """INSERT the counter row of (win_round_id, win_shopper_id) with win_shakes and one win, or
    count one more win on an existing one (counting_a_win). Built once per dialect."""
    table = RoundShopper.__table__
    return counting_a_win(DIALECT_INSERTS[dialect](table).values(
        round_id=bindparam("win_round_id", type_=table.c.round_id.type),
        shopper_id=bindparam("win_shopper_id", type_=table.c.shopper_id.type),
        shakes=bindparam("win_shakes", type_=table.c.shakes.type), wins=1))


def counting_a_win(row):
    """A counter row's INSERT that, on the existing row, counts one more win (its shakes raised
    as shake_count_upsert does) unless it is at the win_limit parameter: then no row is RETURNed."""
    return row.on_conflict_do_update(
        index_elements=[RoundShopper.round_id, RoundShopper.shopper_id],
        set_={"shakes": raised_shakes(row), "wins": RoundShopper.wins + 1},
        where=RoundShopper.wins < bindparam("win_limit", type_=RoundShopper.__table__.c.wins.type),
    ).returning(RoundShopper.id)


def raised_shakes(row):
    """An upsert's shakes: the count given, unless the stored one is higher (never lowered)."""
    return case((RoundShopper.shakes > row.excluded.shakes, RoundShopper.shakes), else_=row.excluded.shakes)


DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
CLAIM_COUPON = _claim_coupon_statement()


def dialect_insert(session: Session):
    """INSERT with ON CONFLICT for the database in use (PostgreSQL, or SQLite for the embedded default)."""
    return DIALECT_INSERTS[dialect_of(session)]


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


def draw(session: Session, shake_round: ShakeRound, participant_id: int, now: datetime,
         rng) -> RoundPrize | None:
    """Try each prize line at its odds; the first whose stock and the shopper's wins allow is won."""
    wins_limit = shake_round.campaign.wins_per_shopper
    for round_prize in shake_round.prizes:
        if rng.random() >= round_prize.prize.win_probability:
            continue
        attempt = session.begin_nested()
        if not count_win(session, participant_id, wins_limit):
            attempt.rollback()
            return None  # this shopper has won all they may in this round
        if take_prize(session, round_prize.id, released(round_prize.stock, shake_round, now)):
            attempt.commit()
            return round_prize
        attempt.rollback()
    return None


def take_prize(session: Session, round_prize_id: int, cap: int | None) -> bool:
    """Award one more of a round's prize unless its stock, or `cap` (what pacing has released), is used up."""
    within_cap = (RoundPrize.awarded < cap,) if cap is not None else ()
    return session.execute(
        update(RoundPrize)
        .where(RoundPrize.id == round_prize_id, RoundPrize.awarded < RoundPrize.stock, *within_cap)
        .values(awarded=RoundPrize.awarded + 1).execution_options(synchronize_session=False)
    ).rowcount == 1


def shopper_wins(session: Session, shopper_id: int) -> list[Shake]:
    return list(session.scalars(
        select(Shake).where(Shake.shopper_id == shopper_id, Shake.won.is_(True))
        .order_by(Shake.id.desc()).limit(100)
    ))


def shakes_left(session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
    used = session.scalar(select(RoundShopper.shakes).where(RoundShopper.round_id == shake_round.id,
                                                            RoundShopper.shopper_id == shopper_id))
    return max(shake_round.campaign.shakes_per_shopper - (used or 0), 0)
