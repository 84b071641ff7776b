"""What a campaign's live dashboard shows when it opens, and the live counts pushed after.

The rest arrives over the `/console` socket: `arrival`, `round_opened`, `round_closed` and
`campaign_stats` (every second while a round is open).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Integer, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from app.models import Arrival, Campaign, Compound, Courier, Shake, ShakeRound, StoreSession
from app.models.campaign import campaign_compounds
from app.services.places.live import WATCHING_WINDOW

TIMELINE_WINDOW = timedelta(minutes=15)
TIMELINE_BUCKET_SECONDS = 5


def open_rounds(session: Session, campaign_id: int) -> list[ShakeRound]:
    """The campaign's rounds not closed yet, closing soonest first."""
    return list(session.scalars(
        select(ShakeRound).where(ShakeRound.campaign_id == campaign_id, ShakeRound.closed_at.is_(None))
        .order_by(ShakeRound.closes_at, ShakeRound.id)
    ))


def in_its_compounds_while_it_ran(campaign: Campaign):
    """The WHERE conditions of arrivals in the campaign's compounds between its start and end."""
    compound_ids = (select(campaign_compounds.c.compound_id)
                    .where(campaign_compounds.c.campaign_id == campaign.id))
    return and_(Arrival.compound_id.in_(compound_ids), Arrival.received_at >= campaign.starts_at,
                Arrival.received_at < campaign.ends_at)


def recent_arrivals(session: Session, campaign: Campaign, limit: int = 20) -> list[dict]:
    """The latest arrivals that opened a round of this campaign, and those refused as too far
    from one of its compounds while it ran (marketing should see both), newest first."""
    refused_here = and_(Arrival.too_far, in_its_compounds_while_it_ran(campaign))
    return arrival_rows(session, campaign, or_(ShakeRound.id.is_not(None), refused_here), limit)


def flagged_arrivals(session: Session, campaign: Campaign, limit: int = 50) -> list[dict]:
    """Arrivals in its compounds while it ran whose GPS fix was past the compound's radius
    (flagged) or its margin too (refused, too_far), newest first: the campaign page lists them."""
    return arrival_rows(session, campaign, and_(or_(Arrival.far_from_compound, Arrival.too_far),
                                                in_its_compounds_while_it_ran(campaign)), limit)


def arrival_rows(session: Session, campaign: Campaign, where, limit: int) -> list[dict]:
    """Arrivals matching `where`, newest first, each with the round of the campaign it opened (or None)."""
    rows = session.execute(
        select(Arrival, ShakeRound.id, Courier.name, Compound.name)
        .outerjoin(ShakeRound, and_(ShakeRound.arrival_id == Arrival.id,
                                    ShakeRound.campaign_id == campaign.id))
        .join(Courier, Courier.id == Arrival.courier_id)
        .join(Compound, Compound.id == Arrival.compound_id)
        .where(where).order_by(Arrival.id.desc()).limit(limit)
    ).all()
    return [{"arrival_id": arrival.id, "round_id": round_id, "campaign_id": campaign.id,
             "compound": {"id": arrival.compound_id, "name": compound_name},
             "courier": {"id": arrival.courier_id, "name": courier_name},
             "arrived_at": arrival.received_at.isoformat(),
             "far_from_compound": bool(arrival.far_from_compound), "too_far": bool(arrival.too_far),
             "distance_m": arrival.distance_m}
            for arrival, round_id, courier_name, compound_name in rows]


def watching_by_compound(session: Session, compound_ids: list[int], now: datetime) -> dict[int, int]:
    """Shoppers who entered a store of each compound in the last 15 minutes (as the storefront counts)."""
    if not compound_ids:
        return {}
    rows = session.execute(
        select(StoreSession.compound_id, func.count(func.distinct(StoreSession.shopper_id)))
        .where(StoreSession.compound_id.in_(compound_ids), StoreSession.created_at >= now - WATCHING_WINDOW)
        .group_by(StoreSession.compound_id)
    ).all()
    counts = dict(rows)
    return {compound_id: int(counts.get(compound_id, 0)) for compound_id in compound_ids}


def live_counts(session: Session, campaign: Campaign, now: datetime) -> dict:
    """The `campaign_live` payload: shoppers watching in each of the campaign's compounds."""
    watching = watching_by_compound(session, [c.id for c in campaign.compounds], now)
    return {"campaign_id": campaign.id, "watching": sum(watching.values()),
            "compounds": [{"id": c.id, "name": c.name, "watching": watching[c.id]}
                          for c in campaign.compounds]}


def campaigns_worth_watching(session: Session, now: datetime) -> list[Campaign]:
    """Campaigns running now or with a round still open: the ones dashboards follow live."""
    has_open_round = select(ShakeRound.campaign_id).where(ShakeRound.closed_at.is_(None))
    return list(session.scalars(
        select(Campaign).where(or_(
            (Campaign.starts_at <= now) & (Campaign.ends_at > now), Campaign.id.in_(has_open_round)))
        .order_by(Campaign.id)
    ))


def epoch_seconds(session: Session, column):
    """A UTC timestamp column as whole seconds since 1970, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def shake_timeline(session: Session, campaign_id: int, now: datetime,
                   window: timedelta = TIMELINE_WINDOW, bucket: int = TIMELINE_BUCKET_SECONDS) -> list[dict]:
    """Shakes and wins of the campaign per `bucket` seconds over the last `window`, oldest first."""
    slot = epoch_seconds(session, Shake.created_at) // bucket
    rows = session.execute(
        select(slot.label("slot"), func.count(Shake.id), func.count(Shake.round_prize_id))
        .join(ShakeRound, ShakeRound.id == Shake.round_id)
        .where(ShakeRound.campaign_id == campaign_id, Shake.created_at >= now - window)
        .group_by("slot").order_by("slot")
    ).all()
    return [{"t": int(slot) * bucket, "shakes": shakes, "wins": wins} for slot, shakes, wins in rows]
