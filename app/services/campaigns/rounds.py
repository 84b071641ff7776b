"""Shake rounds: opened by an arrival, closed on time (by a timer, a sweep, or the next arrival).

A round's stock comes out of its campaign's budget: each prize line's `allocated` grows by the
stock a round takes when it opens (no more than what its `total` leaves) and shrinks by what
the round did not award when it closes. Locks are taken in one order everywhere (a round's
row, then its prize lines, then the campaign's prize rows; campaigns by id; the van's load
items last, as orders take them after their shopper's row), so arrivals and sweepers closing
and opening rounds at once never deadlock. An item prize's stock is also reserved from the
courier's van load at open and what was not awarded goes back to it at close (app/services/van).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Arrival, Campaign, CampaignPrize, RoundPrize, ShakeRound
from app.services.campaigns import live_campaigns_for
from app.services.draws.numbers import commitment, new_seed
from app.services.places.live import local_midnight
from app.services.van import stock as van_stock


class DailyRoundsUsed(Exception):
    """The campaign opened all its rounds of the day in the compound (rolls the attempt back)."""


def open_slot(campaign_id: int, compound_id: int) -> str:
    return f"{campaign_id}:{compound_id}"


def settle_compound(session: Session, arrival: Arrival, now: datetime,
                    may_open: bool = True) -> tuple[list[ShakeRound], list[ShakeRound]]:
    """Close the compound's due rounds and (if may_open) open one round per live campaign
    covering it that has none open, campaign by campaign in id order: (closed, opened)."""
    due = {}
    for shake_round in due_rounds(session, now, arrival.compound_id):
        due.setdefault(shake_round.campaign_id, []).append(shake_round)
    live = {c.id: c for c in live_campaigns_for(session, arrival.compound_id, now)} if may_open else {}
    closed, opened = [], []
    for campaign_id in sorted(due.keys() | live.keys()):
        closed += [r for r in due.get(campaign_id, ()) if close_round(session, r, now)]
        if campaign_id in live:
            shake_round = try_open_round(session, live[campaign_id], arrival, now)
            if shake_round is not None:
                opened.append(shake_round)
    return closed, opened


def try_open_round(session: Session, campaign: Campaign, arrival: Arrival, now: datetime) -> ShakeRound | None:
    """Open a round unless one is open (the unique open_slot settles two vans at once) or the
    campaign has opened its rounds of the day here; its stock is taken from the budget."""
    closes_at = min(now + timedelta(seconds=campaign.window_seconds), campaign.ends_at)
    seed = new_seed()  # its shakes' numbers come from it (app/services/draws); shown once the round closes
    shake_round = ShakeRound(campaign=campaign, compound_id=arrival.compound_id, arrival_id=arrival.id,
                             opens_at=now, closes_at=closes_at, open_slot=open_slot(campaign.id, arrival.compound_id),
                             seed=seed, seed_sha256=commitment(seed))
    try:
        with session.begin_nested():
            session.add(shake_round)
            session.flush()
            # Counted once this round holds the open slot: a round opened by anyone else either
            # committed before this one took the slot (and is counted) or waits for it to close.
            opened_today = rounds_today(session, campaign.id, arrival.compound_id, now)
            if opened_today > campaign.rounds_per_compound_per_day:
                raise DailyRoundsUsed()
            shake_round.prizes = [
                RoundPrize(prize_id=p.id, awarded=0,
                           stock=take_stock(session, p.id, shake_round.id, arrival.courier_id, now))
                for p in campaign.prizes]
            session.flush()
    except (IntegrityError, DailyRoundsUsed):
        return None
    return shake_round


def rounds_today(session: Session, campaign_id: int, compound_id: int, now: datetime) -> int:
    """Rounds of the campaign opened in the compound on now's day in Shanghai."""
    midnight = local_midnight(now)
    return session.scalar(select(func.count()).select_from(ShakeRound).where(
        ShakeRound.campaign_id == campaign_id, ShakeRound.compound_id == compound_id,
        ShakeRound.opens_at >= midnight, ShakeRound.opens_at < midnight + timedelta(days=1)))


def take_stock(session: Session, prize_id: int, round_id: int, courier_id: int, now: datetime) -> int:
    """A new round's stock of a prize line: per_round, or what its total leaves (maybe 0), and
    for an item no more than the courier's van has left (reserved from it now, not per shake),
    added to its allocation under the row's lock."""
    prize = session.scalars(select(CampaignPrize).where(CampaignPrize.id == prize_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
    left = prize.per_round if prize.total is None else prize.total - prize.allocated
    stock = max(0, min(prize.per_round, left))
    if prize.kind == "item":
        stock = van_stock.reserve_for_round(session, round_id, courier_id, prize.product_id, stock, now)
    prize.allocated += stock
    return stock


def due_rounds(session: Session, now: datetime, compound_id: int | None = None) -> list[ShakeRound]:
    """Open rounds whose time is up, oldest first."""
    query = select(ShakeRound).where(ShakeRound.closed_at.is_(None), ShakeRound.closes_at <= now)
    if compound_id is not None:
        query = query.where(ShakeRound.compound_id == compound_id)
    return list(session.scalars(query.order_by(ShakeRound.id)))


def close_round(session: Session, shake_round: ShakeRound, now: datetime) -> bool:
    """Close the round unless someone else did first (True if this call closed it), and give
    its campaign back the stock it did not award."""
    won = session.execute(
        update(ShakeRound).where(ShakeRound.id == shake_round.id, ShakeRound.closed_at.is_(None))
        .values(closed_at=now, open_slot=None).execution_options(synchronize_session=False)
    ).rowcount
    if won == 1:
        give_back_unawarded(session, shake_round.id)
        van_stock.give_back_round(session, shake_round.id)
    return won == 1


def give_back_unawarded(session: Session, round_id: int) -> None:
    """A closed round's stock becomes what it awarded (a win still in flight is refused by the
    stock check: never more than allocated) and the rest returns to the prize lines' budget."""
    lines = session.execute(
        select(RoundPrize.id, RoundPrize.prize_id, RoundPrize.stock, RoundPrize.awarded)
        .where(RoundPrize.round_id == round_id).order_by(RoundPrize.prize_id).with_for_update()).all()
    for line in lines:
        unawarded = line.stock - line.awarded
        if unawarded <= 0:
            continue
        session.execute(update(RoundPrize).where(RoundPrize.id == line.id).values(stock=line.awarded)
                        .execution_options(synchronize_session=False))
        session.execute(update(CampaignPrize).where(CampaignPrize.id == line.prize_id)
                        .values(allocated=CampaignPrize.allocated - unawarded)
                        .execution_options(synchronize_session=False))


def close_due_rounds(session: Session, now: datetime, compound_id: int | None = None) -> list[ShakeRound]:
    """Close every round whose time is up; each is closed exactly once, whoever gets there first."""
    return [r for r in due_rounds(session, now, compound_id) if close_round(session, r, now)]


def open_round_in(session: Session, compound_id: int, now: datetime) -> ShakeRound | None:
    """The round a shopper in this compound can shake now (the one closing soonest)."""
    return session.scalar(
        select(ShakeRound)
        .join(Campaign, Campaign.id == ShakeRound.campaign_id)
        .where(ShakeRound.compound_id == compound_id, ShakeRound.closed_at.is_(None),
               ShakeRound.opens_at <= now, ShakeRound.closes_at > now, Campaign.status == "active")
        .order_by(ShakeRound.closes_at, ShakeRound.id).limit(1)
    )


def next_closing_time(session: Session) -> datetime | None:
    return session.scalar(select(ShakeRound.closes_at).where(ShakeRound.closed_at.is_(None))
                          .order_by(ShakeRound.closes_at).limit(1))
