"""A campaign's live dashboard: arrivals, open rounds with countdowns, shakes per second, wins and
stock per prize, shoppers watching, and charts; all kept fresh over the `/console` socket."""
from __future__ import annotations

from flask import current_app, g, jsonify, render_template

from app.console.auth import requires
from app.console.blueprint import bp
from app.extensions import db
from app.models import Campaign, utcnow
from app.realtime.console_live import ensure_live_feed
from app.schemas.shake import CampaignStatsOut
from app.services import campaigns
from app.services.campaigns import dashboard as dashboard_service
from app.services.campaigns import display_status
from app.wiring import tokens


def snapshot(campaign: Campaign) -> dict:
    """Everything the dashboard shows, as of now (the socket's events update it after)."""
    now = utcnow()
    stats = CampaignStatsOut().dump(campaigns.campaign_stats(db.session, campaign))
    rounds = [{"round_id": r.id, "compound_id": r.compound_id, "opens_at": r.opens_at.isoformat(),
               "closes_at": r.closes_at.isoformat(), "seed_sha256": r.seed_sha256}
              for r in dashboard_service.open_rounds(db.session, campaign.id)]
    return {
        "server_now": now.isoformat(),
        "campaign": {"id": campaign.id, "title": campaign.title, "status": display_status(campaign, now),
                     "window_seconds": campaign.window_seconds,
                     "compounds": {str(c.id): c.name for c in campaign.compounds}},
        "stats": {"campaign_id": campaign.id, **stats},
        "rounds": rounds,
        "arrivals": dashboard_service.recent_arrivals(db.session, campaign),
        "live": dashboard_service.live_counts(db.session, campaign, now),
        "timeline": {"bucket_seconds": dashboard_service.TIMELINE_BUCKET_SECONDS,
                     "points": dashboard_service.shake_timeline(db.session, campaign.id, now)},
    }


@bp.get("/campaigns/<int:campaign_id>/live")
@requires("campaigns")
def dashboard(campaign_id: int):
    """The page, with a staff token for the socket (the page is never cached)."""
    campaign = campaigns.get_campaign(db.session, campaign_id)
    boot = snapshot(campaign)
    boot["token"] = dashboard_token()
    ensure_live_feed(current_app._get_current_object())
    return render_template("console/dashboard.html", active="campaigns", campaign=campaign, boot=boot)


def dashboard_token() -> str:
    """A staff token for the page's socket: short-lived, and void once this console session ends
    (it carries the session's token_version, which sign-out bumps)."""
    return tokens().issue("staff", g.staff.id, g.staff.role, token_version=g.staff.token_version,
                          ttl=current_app.config["CONSOLE_TOKEN_SECONDS"])


@bp.get("/socket-token")
@requires("campaigns")
def socket_token():
    """A fresh dashboard token for the page's socket to reconnect with, while the session lives."""
    return jsonify({"token": dashboard_token()})


@bp.get("/campaigns/<int:campaign_id>/live.json")
@requires("campaigns")
def dashboard_snapshot(campaign_id: int):
    """The same figures as JSON: the page catches up with it after its socket reconnects."""
    return jsonify(snapshot(campaigns.get_campaign(db.session, campaign_id)))
