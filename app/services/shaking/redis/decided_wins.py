"""The wins the Redis engine decided, recorded in the database (engine.py calls these).

A win takes its stock with a claim (the winning shake's row, written once per shake_id), then
its prize is made: for a coupon in the same statement (claim_coupon), for an item after it.
The database checks the stock and the shopper's win limit again, so it never holds more
winners than the stock whatever Redis says; a claim whose prize was never made (its worker
stopped) is finished by the shake's retry or, failing that, by the shake-log writer
(prizes_unmade). The statements are built once and run with parameters, on a connection of
database.quick_writes: on PostgreSQL each commits by itself.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload

from app.models import CampaignPrize, Coupon, RoundPrize, RoundShopper, Shake, ShakeRound
from app.services.shaking.counters import count_win, raised_shakes, sync_shake_count
from app.services.shaking.recording import ShakeOutcome, give_prize, record_shake

log = logging.getLogger(__name__)


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
    record_decided_win reads which).

    Every winner of a round updates that prize's row. On PostgreSQL both writes are one
    statement committed by itself, so the row is locked only while PostgreSQL runs it: a
    burst's winners never queue behind a winner whose worker is busy with other requests
    between two statements.
    """
    claim = claim_parameters(round_id, round_prize_id, shopper_id, shake_id, now)
    if connection.dialect.name == "postgresql":
        try:
            return connection.execute(CLAIM, claim).scalar()
        except IntegrityError:
            return None  # the shake has its row already (a retry): the statement undid itself, stock included
    # SQLite, one writer at a time: the same in three statements, in one transaction
    shakes = Shake.__table__
    if connection.execute(select(shakes.c.id).where(shakes.c.shopper_id == shopper_id,
                                                    shakes.c.shake_id == shake_id)).first() is not None:
        return None
    if connection.execute(TAKE_ONE, claim).rowcount != 1:
        return None
    return connection.execute(insert(shakes).values(round_id=round_id, shopper_id=shopper_id, shake_id=shake_id,
                                                    created_at=now, won=True, round_prize_id=round_prize_id)
                              .returning(shakes.c.id)).scalar_one()


class ClaimedCoupon(NamedTuple):
    shake_row_id: int  # the winning shake's row
    coupon_id: int | None  # None: the database's win count refused the win (record_decided_win decides)


def claim_coupon(connection: Connection, round_id: int, round_prize_id: int, shopper_id: int, shake_id: str,
                 template_id: int, used: int, wins_per_shopper: int, now: datetime) -> ClaimedCoupon | None:
    """claim_prize for a coupon prize, and in the same go the common rest of the win: count it
    against the shopper's win limit, make the coupon, link it. The shake's winning row and its
    coupon; the coupon is None when the database's count refuses the win (record_decided_win
    then decides). None when claim_prize would be. On PostgreSQL all one statement."""
    win = {"win_round_id": round_id, "win_shopper_id": shopper_id, "win_shakes": used, "win_limit": wins_per_shopper,
           "coupon_template_id": template_id, "win_at": now}
    if connection.dialect.name == "postgresql":
        try:
            made = connection.execute(
                CLAIM_COUPON, {**claim_parameters(round_id, round_prize_id, shopper_id, shake_id, now), **win}).first()
        except IntegrityError:
            return None  # the shake has its row already (a retry): the statement undid itself, stock included
        return ClaimedCoupon(made.id, made.coupon_id) if made is not None else None
    # SQLite, one writer at a time: the same in several statements, in one transaction
    claimed = claim_prize(connection, round_id, round_prize_id, shopper_id, shake_id, now)
    if claimed is None or connection.execute(WIN_COUNTED, win).first() is None:
        return ClaimedCoupon(claimed, None) if claimed is not None else None
    coupon_id = connection.execute(NEW_COUPON, win).scalar_one()
    connection.execute(LINK_COUPON, {"shake_row_id": claimed, "new_coupon_id": coupon_id})
    return ClaimedCoupon(claimed, coupon_id)


# The winning shake's values, as claim_<column> parameters: named apart from the columns,
# since a parameter named like a column of the stock's UPDATE would be set there.
CLAIMED = ("round_id", "shopper_id", "shake_id", "created_at")


def claim_parameters(round_id: int, round_prize_id: int, shopper_id: int, shake_id: str, now: datetime) -> dict:
    return {"claim_round_id": round_id, "claim_shopper_id": shopper_id, "claim_shake_id": shake_id,
            "claim_created_at": now, "claim_round_prize_id": round_prize_id}


def stock_taken():
    """One of the claim_round_prize_id prize's stock taken, if any is left."""
    prizes = RoundPrize.__table__
    return (update(prizes).where(prizes.c.id == bindparam("claim_round_prize_id"), prizes.c.awarded < prizes.c.stock)
            .values(awarded=prizes.c.awarded + 1))


def winning_row(taken, *more) -> tuple[list[str], object]:
    """The columns and the SELECT of a winning shake's row, for the stock `taken` (a CTE)."""
    shakes = Shake.__table__
    values = [bindparam(f"claim_{name}", type_=shakes.c[name].type) for name in CLAIMED]
    return [*CLAIMED, "won", "round_prize_id"], select(*values, literal(True), taken.c.id, *more)


def _claim_statement():
    """PostgreSQL: the stock taken and the winning row written, in one statement."""
    columns, row = winning_row(stock_taken().returning(RoundPrize.__table__.c.id).cte("taken"))
    return insert(Shake.__table__).from_select(columns, row).returning(Shake.__table__.c.id)


CLAIM = _claim_statement()
TAKE_ONE = stock_taken()
# A prize coupon: no claim number (that counts claims against a template's per-shopper limit).
NEW_COUPON = (insert(Coupon.__table__).values(template_id=bindparam("coupon_template_id"),
                                              shopper_id=bindparam("win_shopper_id"), source="shake", status="unused",
                                              created_at=bindparam("win_at"))
              .returning(Coupon.id))
LINK_COUPON = (update(Shake.__table__).where(Shake.__table__.c.id == bindparam("shake_row_id"))
               .values(coupon_id=bindparam("new_coupon_id")))


def _claim_coupon_statement():
    """PostgreSQL: CLAIM's stock taken; the win counted (counting_a_win) if it was; NEW_COUPON
    if that counted; the winning row written with it (or without it: refused by the count). One
    statement; the row's unique key undoes all of it for a retry."""
    coupons = Coupon.__table__
    taken = stock_taken().returning(RoundPrize.__table__.c.id).cte("taken")
    columns, values = counter_row()
    counted = counting_a_win(postgresql.insert(RoundShopper.__table__).from_select(
        columns, select(*values).select_from(taken))).cte("counted")
    made = select(bindparam("coupon_template_id", type_=coupons.c.template_id.type),
                  bindparam("win_shopper_id", type_=coupons.c.shopper_id.type),
                  literal("shake"), literal("unused"), bindparam("win_at", type_=coupons.c.created_at.type))
    coupon = (insert(coupons).from_select(["template_id", "shopper_id", "source", "status", "created_at"],
                                          made.select_from(counted))
              .returning(coupons.c.id).cte("coupon"))
    columns, row = winning_row(taken, select(coupon.c.id).scalar_subquery())
    return (insert(Shake.__table__).from_select([*columns, "coupon_id"], row)
            .returning(Shake.__table__.c.id, Shake.__table__.c.coupon_id))


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


def counter_row():
    """The columns and values of a counter row with one win: (win_round_id, win_shopper_id)
    with win_shakes shakes."""
    counters = RoundShopper.__table__
    return ("round_id", "shopper_id", "shakes", "wins"), [
        bindparam("win_round_id", type_=counters.c.round_id.type),
        bindparam("win_shopper_id", type_=counters.c.shopper_id.type),
        bindparam("win_shakes", type_=counters.c.shakes.type), literal(1)]


def counting_a_win(row):
    """A counter row's INSERT that, on the existing row, counts one more win (its shakes raised
    as shake_count_upsert does) unless it is at the win_limit parameter: then no row is RETURNed."""
    return row.on_conflict_do_update(
        index_elements=[RoundShopper.round_id, RoundShopper.shopper_id],
        set_={"shakes": raised_shakes(row), "wins": RoundShopper.wins + 1},
        where=RoundShopper.wins < bindparam("win_limit", type_=RoundShopper.__table__.c.wins.type),
    ).returning(RoundShopper.id)


CLAIM_COUPON = _claim_coupon_statement()
# SQLite: the win counted on its own (counting_a_win), in claim_coupon's transaction.
WIN_COUNTED = counting_a_win(sqlite.insert(RoundShopper.__table__).values(dict(zip(*counter_row()))))
