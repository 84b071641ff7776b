"""Console: shake campaigns (marketing)."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.extensions import db
from app.schemas import shake as s
from app.schemas.campaign_edit import CampaignPatchIn
from app.services import campaigns
from app.services.audit import changes

blp = Blueprint("console_campaigns", __name__, url_prefix="/api/v1/console", description="Shake campaigns")


@blp.post("/campaigns")
@auth_required("staff", "marketing")
@blp.arguments(s.CampaignIn)
@blp.response(201, s.CampaignEnvelope)
def create_campaign(body):
    """Schedule a shake campaign: compounds, dates, window, per-shopper limits, prize pool."""
    campaign = changes.create_campaign(db.session, principal().subject_id, body)
    db.session.commit()
    return {"campaign": campaign}


@blp.patch("/campaigns/<int:campaign_id>")
@auth_required("staff", "marketing")
@blp.arguments(CampaignPatchIn)
@blp.response(200, s.CampaignEnvelope)
def edit(body, campaign_id):
    """Change a campaign before it starts (409 `campaign_started` after); `prizes` replaces the pool."""
    campaign = changes.update_campaign(db.session, principal().subject_id,
                                       campaigns.get_campaign(db.session, campaign_id), body)
    db.session.commit()
    return {"campaign": campaign}


@blp.post("/campaigns/<int:campaign_id>/pause")
@auth_required("staff", "marketing")
@blp.response(200, s.CampaignEnvelope)
def pause(campaign_id):
    """Pause: no new rounds, and open rounds take no shakes."""
    return set_paused(campaign_id, True)


@blp.post("/campaigns/<int:campaign_id>/resume")
@auth_required("staff", "marketing")
@blp.response(200, s.CampaignEnvelope)
def resume(campaign_id):
    """Resume a paused campaign."""
    return set_paused(campaign_id, False)


def set_paused(campaign_id: int, paused: bool) -> dict:
    campaign = changes.set_paused(db.session, principal().subject_id,
                                  campaigns.get_campaign(db.session, campaign_id), paused)
    db.session.commit()
    return {"campaign": campaign}


@blp.get("/campaigns/<int:campaign_id>")
@auth_required("staff", "marketing")
@blp.response(200, s.CampaignWithStats)
def show(campaign_id):
    """A campaign with its figures: rounds, shakes, wins, and awarded per prize."""
    campaign = campaigns.get_campaign(db.session, campaign_id)
    return {"campaign": campaign, "stats": campaigns.campaign_stats(db.session, campaign)}
