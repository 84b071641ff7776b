"""The SQL draw engine (the embedded default): every shake one database transaction.

The stock is taken by a conditional UPDATE whose row count decides:
`round_prizes.awarded < stock AND awarded < released` (released: rules.released, pacing);
the shopper's shakes and wins are counted the same way (counters.py). A shopper's first shake
in a round claims the round's compound for its campaign and day (rules.py: one compound a
day) with a unique row, `shopper_compound_days`, inserted ON CONFLICT DO NOTHING and read
back: of two first shakes at once in two compounds, the second waits for the first's commit
and is refused.

The number a shake draws comes from the round's seed and the shake_id (app/services/draws):
it falls in one prize line's share of [0, 1), or in none; only that line is tried.

Refusals are not stored under the shake_id (the idempotency table is never purged, and a
refused shake did nothing): the same shake_id again is decided again, which gives the same
refusal unless the shopper's situation changed.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.database import dialect_insert
from app.models import Order, RoundPrize, ShakeRound, ShopperCompoundDay, utcnow
from app.services import idempotency
from app.services.draws.numbers import drawn_number, prize_index
from app.services.errors import NotFound, NotInCompound, ShakeLimitReached
from app.services.places.residence import shopper_compound_ids
from app.services.shaking.answers import ShakeAnswer, ShakeResult
from app.services.shaking.counters import count_shake, count_win, shakes_used
from app.services.shaking.recording import ShakeOutcome, record_shake
from app.services.shaking.rules import check_round_open, released, round_day, taken_part_elsewhere


class SqlDrawEngine:
    def shake(self, session: Session, shopper_id: int, round_id: int, shake_id: str,
              known_home: int | None = None) -> ShakeResult:  # residence is read in the shake's transaction
        won: list[Order] = []

        def produce():
            outcome = decide_shake(session, shopper_id, round_id, shake_id, utcnow())
            if outcome.shake.order_id is not None:  # an item won: its pickup order, to announce
                won.append(outcome.shake.order)
            return 200, ShakeAnswer.of_record(outcome.shake, outcome.shakes_left).body()

        answer = idempotency.answer_once(session, "shake", shopper_id, shake_id, produce, keep_refusals=False)
        return ShakeResult(answer, won[0] if won and not answer.replayed else None)

    def shakes_left(self, session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
        used = shakes_used(session, shake_round.id, shopper_id)
        return max(shake_round.campaign.shakes_per_shopper - used, 0)

    def know_resident(self, shopper_id: int, compound_id: int) -> None:
        pass  # every shake reads it from the database in its own transaction

    def residence_changed(self, shopper_id: int) -> None:
        pass

    def background_tasks(self, app: Flask) -> list:
        return []

    def close(self) -> None:
        pass


def decide_shake(session: Session, shopper_id: int, round_id: int, shake_id: str, now: datetime) -> ShakeOutcome:
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
    if used == 1:  # the shopper's first shake in this round (counted once: the row count decides)
        claim_compound_day(session, shake_round, shopper_id)
    round_prize = draw(session, shake_round, participant_id, shake_id, now)
    record = record_shake(session, shake_round, shopper_id, shake_id, round_prize, now)
    return ShakeOutcome(record, round_prize, max(campaign.shakes_per_shopper - used, 0))


def claim_compound_day(session: Session, shake_round: ShakeRound, shopper_id: int) -> None:
    """Make the round's compound the shopper's for its campaign and day, unless another already
    is (taken_part_elsewhere). On PostgreSQL a concurrent claim waits for the other's commit."""
    mine = {"campaign_id": shake_round.campaign_id, "shopper_id": shopper_id,
            "day": round_day(shake_round.opens_at)}
    claim = dialect_insert(session)(ShopperCompoundDay.__table__).on_conflict_do_nothing(
        index_elements=["campaign_id", "shopper_id", "day"])
    session.execute(claim, {**mine, "compound_id": shake_round.compound_id})
    claimed = session.scalar(select(ShopperCompoundDay.compound_id).filter_by(**mine))
    if claimed != shake_round.compound_id:
        raise taken_part_elsewhere()


def draw(session: Session, shake_round: ShakeRound, participant_id: int, shake_id: str,
         now: datetime) -> RoundPrize | None:
    """The prize line the shake's number falls in, won if its stock and the shopper's wins allow."""
    lines = shake_round.prizes
    index = prize_index(drawn_number(shake_round.seed, shake_id), [line.prize.win_probability for line in lines])
    if index is None:
        return None
    round_prize = lines[index]
    attempt = session.begin_nested()
    if not count_win(session, participant_id, shake_round.campaign.wins_per_shopper):
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
