"""Shake rounds: opened by an arrival, closed on time (by a timer, a sweep, or the next arrival)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Arrival, Campaign, RoundPrize, ShakeRound
from app.services.campaigns import live_campaigns_for


def open_slot(campaign_id: int, compound_id: int) -> str:
    return f"{campaign_id}:{compound_id}"


def open_rounds_for_arrival(session: Session, arrival: Arrival, now: datetime) -> list[ShakeRound]:
    """One round per live campaign covering the compound that has no round open there yet."""
    opened = []
    for campaign in live_campaigns_for(session, arrival.compound_id, now):
        shake_round = try_open_round(session, campaign, arrival, now)
        if shake_round is not None:
            opened.append(shake_round)
    return opened


def try_open_round(session: Session, campaign: Campaign, arrival: Arrival, now: datetime) -> ShakeRound | None:
    """Open a round unless one is open; the unique open_slot settles two vans at once."""
    closes_at = min(now + timedelta(seconds=campaign.window_seconds), campaign.ends_at)
    shake_round = ShakeRound(campaign=campaign, compound_id=arrival.compound_id, arrival_id=arrival.id,
                             opens_at=now, closes_at=closes_at,
                             open_slot=open_slot(campaign.id, arrival.compound_id))
    shake_round.prizes = [RoundPrize(prize_id=p.id, stock=p.per_round, awarded=0) for p in campaign.prizes]
    try:
        with session.begin_nested():
            session.add(shake_round)
    except IntegrityError:
        return None
    return shake_round


def close_due_rounds(session: Session, now: datetime, compound_id: int | None = None) -> list[ShakeRound]:
    """Close every round whose time is up; each is closed exactly once, whoever gets there first."""
    query = select(ShakeRound).where(ShakeRound.closed_at.is_(None), ShakeRound.closes_at <= now)
    if compound_id is not None:
        query = query.where(ShakeRound.compound_id == compound_id)
    closed = []
    for shake_round in session.scalars(query).all():
        won = session.execute(
            update(ShakeRound).where(ShakeRound.id == shake_round.id, ShakeRound.closed_at.is_(None))
            .values(closed_at=now, open_slot=None).execution_options(synchronize_session=False)
        ).rowcount
        if won == 1:
            closed.append(shake_round)
    return closed


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
