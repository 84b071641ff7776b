"""Editing a campaign before it starts: its settings and its prize pool, nothing once it runs.

Once a campaign has started, rounds hold stock counted against its prize lines and shoppers
have shaken under its limits; changing them then would rewrite what people already played,
so an edit is refused (409 `campaign_started`). Pause and resume stay available throughout.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Campaign, CampaignPrize, ShakeRound
from app.services.campaigns import prize_line
from app.services.errors import Conflict, InvalidRequest
from app.services.places.compounds import get_compounds

SETTINGS = ("title", "starts_at", "ends_at", "window_seconds", "shakes_per_shopper", "wins_per_shopper",
            "rounds_per_compound_per_day")


class CampaignStarted(Conflict):
    status, code, message = 409, "campaign_started", "A campaign can be edited only before it starts."


def is_editable(session: Session, campaign: Campaign, now: datetime) -> bool:
    """Not started yet (paused or not) and no round ever opened for it."""
    if now >= campaign.starts_at:
        return False
    rounds = session.scalar(select(func.count()).select_from(ShakeRound)
                            .where(ShakeRound.campaign_id == campaign.id))
    return not rounds


def prize_pool(campaign: Campaign) -> list[dict]:
    """The prize pool as plain data, for the audit log."""
    return [{"kind": p.kind, "title": p.title, "coupon_template_id": p.coupon_template_id,
             "product_id": p.product_id, "per_round": p.per_round, "win_probability": p.win_probability,
             "total": p.total}
            for p in campaign.prizes]


def pool_line(prize: CampaignPrize) -> tuple:
    return (prize.kind, prize.coupon_template_id, prize.product_id, prize.per_round, prize.win_probability,
            prize.total)


def update_campaign(session: Session, campaign: Campaign, now: datetime, **changes) -> dict:
    """Apply the given fields (any of SETTINGS, `compound_ids`, `prizes`) before the campaign starts.

    `prizes`, when given, replaces the whole pool. Returns what changed, {field: [before, after]}.
    """
    if not is_editable(session, campaign, now):
        raise CampaignStarted()
    starts_at = changes.get("starts_at", campaign.starts_at)
    ends_at = changes.get("ends_at", campaign.ends_at)
    if ends_at <= starts_at:
        raise InvalidRequest({"ends_at": "must be after starts_at"})
    changed: dict = {}
    for name in SETTINGS:
        if name in changes and changes[name] != getattr(campaign, name):
            changed[name] = [getattr(campaign, name), changes[name]]
            setattr(campaign, name, changes[name])
    if "compound_ids" in changes:
        before = [c.id for c in campaign.compounds]
        compounds = get_compounds(session, changes["compound_ids"])
        if [c.id for c in compounds] != before:
            changed["compound_ids"] = [before, [c.id for c in compounds]]
            campaign.compounds = compounds
    if "prizes" in changes:
        replace_prizes(session, campaign, changes["prizes"], changed)
    session.flush()
    return changed


def replace_prizes(session: Session, campaign: Campaign, lines: list[dict], changed: dict) -> None:
    """Swap the pool for `lines` (checked like a new campaign's); records the change if any."""
    before = prize_pool(campaign)
    new_prizes = [prize_line(session, n, line) for n, line in enumerate(lines)]
    if [pool_line(p) for p in new_prizes] == [pool_line(p) for p in campaign.prizes]:
        return  # the same pool again: keep its rows
    old_prizes = list(campaign.prizes)
    campaign.prizes = new_prizes
    for old in old_prizes:
        session.delete(old)  # no round used them: the campaign has not started
    session.flush()
    after = prize_pool(campaign)
    if after != before:
        changed["prizes"] = [before, after]
