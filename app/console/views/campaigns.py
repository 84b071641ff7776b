"""Shake campaigns (marketing): list, create, edit before the start, pause and resume, and the
prize pool made plain."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.console.auth import may, requires
from app.console.blueprint import bp
from app.console.campaign_form import campaign_form, form_for, read_campaign_form
from app.console.forms import load_data, run
from app.console.odds import pool_summary
from app.extensions import db
from app.models import Campaign, utcnow
from app.schemas.shake import CampaignIn
from app.services import campaigns as campaign_service
from app.services.audit import changes, trail
from app.services.campaigns import dashboard, display_status, edits


@bp.get("/campaigns")
@requires("campaigns")
def campaigns():
    """Every campaign, newest first, with what can be done to it now."""
    now = utcnow()
    listed = list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(500)))
    return render_template("console/campaigns.html", active="campaigns", now=now, campaigns=listed,
                           status={c.id: display_status(c, now) for c in listed})


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires("campaigns")
def new_campaign():
    """Schedule a campaign (the same checks as POST /api/v1/console/campaigns)."""
    if request.method == "GET":
        return form_page(campaign_form(), None)
    form, data = read_campaign_form(request.form)
    body = load_data(form, CampaignIn, data)
    created = None if body is None else run(
        form, lambda: changes.create_campaign(db.session, g.staff.id, body))
    if not created:
        return form_page(form, None, 422)
    flash(f"已创建活动 Campaign created: {created.title}")
    return redirect(url_for("console_web.campaign", campaign_id=created.id))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("campaigns")
def edit_campaign(campaign_id: int):
    """Change a campaign before it starts (PATCH /api/v1/console/campaigns/<id>); 409 after."""
    campaign = campaign_service.get_campaign(db.session, campaign_id)
    if not edits.is_editable(db.session, campaign, utcnow()):
        raise edits.CampaignStarted()
    if request.method == "GET":
        return form_page(form_for(campaign), campaign)
    form, data = read_campaign_form(request.form)
    body = load_data(form, CampaignIn, data)  # the form always sends every field
    saved = None if body is None else run(
        form, lambda: changes.update_campaign(db.session, g.staff.id, campaign, body))
    if not saved:
        return form_page(form, campaign, 422)
    flash(f"已保存 Saved: {saved.title}")
    return redirect(url_for("console_web.campaign", campaign_id=campaign_id))


def form_page(form, campaign, status: int = 200):
    return render_template("console/campaign_form.html", active="campaigns", form=form,
                           campaign=campaign), status


@bp.get("/campaigns/<int:campaign_id>")
@requires("campaigns")
def campaign(campaign_id: int):
    """One campaign: settings, the prize pool with odds and pacing, figures, and its change history."""
    campaign = campaign_service.get_campaign(db.session, campaign_id)
    now = utcnow()
    stats = campaign_service.campaign_stats(db.session, campaign)
    history = None
    if may(g.staff.role, "audit"):
        history = trail.entries(db.session, target_type="campaign", target_id=campaign.id)
    return render_template(
        "console/campaign.html", active="campaigns", campaign=campaign, status=display_status(campaign, now),
        editable=edits.is_editable(db.session, campaign, now),
        pool=pool_summary(campaign.prizes, campaign.window_seconds), stats=stats, history=history,
        rounds_today={r["compound_id"]: r["rounds"] for r in stats.rounds_today},
        flagged=[{**a, "at": datetime.fromisoformat(a["arrived_at"])}
                 for a in dashboard.flagged_arrivals(db.session, campaign)])


@bp.post("/campaigns/<int:campaign_id>/pause")
@requires("campaigns")
def pause_campaign(campaign_id: int):
    """Pause: no new rounds, and open rounds take no shakes."""
    return set_paused(campaign_id, True)


@bp.post("/campaigns/<int:campaign_id>/resume")
@requires("campaigns")
def resume_campaign(campaign_id: int):
    return set_paused(campaign_id, False)


def set_paused(campaign_id: int, paused: bool):
    campaign = campaign_service.get_campaign(db.session, campaign_id)
    if (campaign.status == "paused") == paused:
        abort(409)
    changes.set_paused(db.session, g.staff.id, campaign, paused)
    db.session.commit()
    flash("已暂停 Paused" if paused else "已恢复 Resumed")
    if request.form.get("back") == "list":
        return redirect(url_for("console_web.campaigns"))
    return redirect(url_for("console_web.campaign", campaign_id=campaign_id))
