"""Shake campaigns: scheduling, pause/resume, and the figures marketing watches."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Campaign, CampaignPrize, CouponTemplate, Product, RoundPrize, Shake, ShakeRound, utcnow
from app.models.campaign import campaign_compounds
from app.services.errors import InvalidRequest, NotFound
from app.services.places.compounds import get_compounds
from app.services.places.live import local_midnight


def create_campaign(session: Session, *, title, compound_ids, starts_at, ends_at, window_seconds,
                    shakes_per_shopper, wins_per_shopper, prizes, rounds_per_compound_per_day=2) -> Campaign:
    if ends_at <= starts_at:
        raise InvalidRequest({"ends_at": "must be after starts_at"})
    campaign = Campaign(title=title, starts_at=starts_at, ends_at=ends_at, window_seconds=window_seconds,
                        shakes_per_shopper=shakes_per_shopper, wins_per_shopper=wins_per_shopper,
                        rounds_per_compound_per_day=rounds_per_compound_per_day,
                        status="active", compounds=get_compounds(session, compound_ids))
    campaign.prizes = [prize_line(session, n, line) for n, line in enumerate(prizes)]
    session.add(campaign)
    session.flush()
    return campaign


def prize_line(session: Session, n: int, line: dict) -> CampaignPrize:
    """One prize of the pool, its coupon template or product checked to exist."""
    if line["kind"] == "coupon":
        target = line.get("coupon_template_id")
        if target is None or session.get(CouponTemplate, target) is None:
            raise InvalidRequest({f"prizes.{n}.coupon_template_id": "an existing coupon template is required"})
        return CampaignPrize(kind="coupon", coupon_template_id=target, per_round=line["per_round"],
                             win_probability=line["win_probability"], total=line.get("total"), allocated=0)
    target = line.get("product_id")
    if target is None or session.get(Product, target) is None:
        raise InvalidRequest({f"prizes.{n}.product_id": "an existing product is required"})
    return CampaignPrize(kind="item", product_id=target, per_round=line["per_round"],
                         win_probability=line["win_probability"], total=line.get("total"), allocated=0)


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


def set_paused(campaign: Campaign, paused: bool) -> Campaign:
    """Pause: no new rounds open and open rounds take no shakes. Resume undoes it."""
    campaign.status = "paused" if paused else "active"
    return campaign


def display_status(campaign: Campaign, now: datetime) -> str:
    """scheduled, live, paused or ended: what the console shows."""
    if campaign.status == "paused":
        return "paused"
    if now < campaign.starts_at:
        return "scheduled"
    if now >= campaign.ends_at:
        return "ended"
    return "live"


def live_campaigns_for(session: Session, compound_id: int, now: datetime) -> list[Campaign]:
    """Active campaigns running now that cover this compound."""
    return list(session.scalars(
        select(Campaign)
        .join(campaign_compounds, campaign_compounds.c.campaign_id == Campaign.id)
        .where(campaign_compounds.c.compound_id == compound_id, Campaign.status == "active",
               Campaign.starts_at <= now, Campaign.ends_at > now)
        .order_by(Campaign.id)
    ))


@dataclass(frozen=True)
class CampaignStats:
    rounds: int
    shakes: int
    wins: int
    by_prize: list[dict]
    rounds_today: list[dict]


def campaign_stats(session: Session, campaign: Campaign) -> CampaignStats:
    round_ids = select(ShakeRound.id).where(ShakeRound.campaign_id == campaign.id)
    rounds = session.scalar(select(func.count()).select_from(ShakeRound)
                            .where(ShakeRound.campaign_id == campaign.id))
    shakes, wins = session.execute(
        select(func.count(Shake.id), func.count(Shake.round_prize_id)).where(Shake.round_id.in_(round_ids))
    ).one()
    awarded = dict(session.execute(
        select(RoundPrize.prize_id, func.sum(RoundPrize.awarded))
        .where(RoundPrize.round_id.in_(round_ids)).group_by(RoundPrize.prize_id)
    ).all())
    allocated = dict(session.execute(select(CampaignPrize.id, CampaignPrize.allocated)
                                     .where(CampaignPrize.campaign_id == campaign.id)).all())
    by_prize = [{"prize_id": p.id, "kind": p.kind, "title": p.title, "per_round": p.per_round,
                 "win_probability": p.win_probability, "awarded": int(awarded.get(p.id) or 0),
                 "total": p.total, "allocated": int(allocated.get(p.id) or 0)}
                for p in campaign.prizes]
    return CampaignStats(rounds=rounds or 0, shakes=shakes or 0, wins=wins or 0, by_prize=by_prize,
                         rounds_today=rounds_today_by_compound(session, campaign, utcnow()))


def rounds_today_by_compound(session: Session, campaign: Campaign, now: datetime) -> list[dict]:
    """Rounds of the campaign opened today (Asia/Shanghai) in each of its compounds."""
    midnight = local_midnight(now)
    counts = dict(session.execute(
        select(ShakeRound.compound_id, func.count()).where(
            ShakeRound.campaign_id == campaign.id, ShakeRound.opens_at >= midnight,
            ShakeRound.opens_at < midnight + timedelta(days=1))
        .group_by(ShakeRound.compound_id)).all())
    return [{"compound_id": c.id, "rounds": int(counts.get(c.id, 0))} for c in campaign.compounds]
