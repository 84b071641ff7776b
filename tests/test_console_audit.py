"""The audit log: every change to a campaign, prize pool, coupon or courier is written with it,
from the JSON API and from the web console alike, and admins read it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Campaign, Courier
from app.services.audit import trail
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.factories import now

CONSOLE = "/api/v1/console"


def entries(action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def campaign_body(make, compounds_, **kw):
    coupon = make.coupon_template(compounds_)
    body = {"title": "夜宵摇一摇", "compound_ids": [c.id for c in compounds_],
            "starts_at": (now() + timedelta(hours=1)).isoformat(),
            "ends_at": (now() + timedelta(days=1)).isoformat(),
            "window_seconds": 60, "shakes_per_shopper": 3, "wins_per_shopper": 1,
            "prizes": [{"kind": "coupon", "coupon_template_id": coupon.id, "per_round": 5,
                        "win_probability": 0.2}]}
    body.update(kw)
    return body


# --- the service ---------------------------------------------------------------------------

def test_record_keeps_who_what_and_details_as_json(make):
    member = make.staff_member("marketing")
    courier = make.courier()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    trail.record(db.session, member.id, "courier.create", courier, {"at": when, "ids": (1, 2)})
    db.session.commit()
    (entry,) = entries()
    assert (entry.staff_id, entry.action, entry.target_type, entry.target_id) == (
        member.id, "courier.create", "courier", courier.id)
    assert entry.details == {"at": "2026-01-02T03:04:05+00:00", "ids": [1, 2]}
    assert entry.created_at is not None


def test_record_takes_a_type_and_id_pair(make):
    member = make.staff_member()
    trail.record(db.session, member.id, "prize_pool.set", ("campaign", 7))
    db.session.commit()
    assert (entries()[0].target_type, entries()[0].target_id) == ("campaign", 7)


def test_a_rolled_back_change_leaves_no_entry(make):
    member = make.staff_member()
    trail.record(db.session, member.id, "courier.rotate_code", ("courier", 1))
    db.session.rollback()
    assert entries() == []


def test_entries_filter_and_page_newest_first(make):
    member = make.staff_member()
    for n in range(5):
        trail.record(db.session, member.id, "campaign.pause" if n % 2 else "campaign.resume", ("campaign", n))
    db.session.commit()
    newest = trail.entries(db.session, limit=2)
    assert [e.target_id for e in newest] == [4, 3]
    assert [e.target_id for e in trail.entries(db.session, before_id=newest[-1].id)] == [2, 1, 0]
    assert [e.target_id for e in trail.entries(db.session, action="campaign.pause")] == [3, 1]
    assert [e.target_id for e in trail.entries(db.session, target_type="campaign", target_id=2)] == [2]


# --- the JSON API writes it ----------------------------------------------------------------

def test_creating_a_campaign_over_the_api_logs_it_and_its_prize_pool(client, make):
    home = make.compound()
    headers = make.staff_headers("marketing")
    answer = client.post(f"{CONSOLE}/campaigns", json=campaign_body(make, [home]), headers=headers)
    assert answer.status_code == 201
    campaign_id = answer.get_json()["campaign"]["id"]
    created, pool = entries("campaign.create"), entries("prize_pool.set")
    assert created[0].target_id == campaign_id and created[0].details["title"] == "夜宵摇一摇"
    assert pool[0].details["prizes"][0]["per_round"] == 5
    assert pool[0].details["prizes"][0]["win_probability"] == 0.2


def test_pause_resume_and_edit_over_the_api_are_logged(client, make):
    campaign = make.campaign([make.compound()], starts_at=now() + timedelta(hours=2))
    headers = make.staff_headers("marketing")
    assert client.post(f"{CONSOLE}/campaigns/{campaign.id}/pause", headers=headers).status_code == 200
    assert client.post(f"{CONSOLE}/campaigns/{campaign.id}/resume", headers=headers).status_code == 200
    renamed = client.patch(f"{CONSOLE}/campaigns/{campaign.id}", json={"title": "改名了"}, headers=headers)
    assert renamed.status_code == 200
    assert [e.action for e in entries()] == ["campaign.pause", "campaign.resume", "campaign.update"]
    assert entries()[0].details == {"status": ["active", "paused"]}
    assert entries()[2].details["changes"]["title"] == ["到车摇一摇", "改名了"]


def test_a_refused_change_writes_no_entry(client, make):
    headers = make.staff_headers("marketing")
    body = campaign_body(make, [make.compound()], compound_ids=[987654])
    assert client.post(f"{CONSOLE}/campaigns", json=body, headers=headers).status_code == 422
    assert entries() == []


def test_coupon_and_courier_changes_over_the_api_are_logged_without_secrets(client, make):
    home = make.compound()
    client.post(f"{CONSOLE}/coupon-templates", json=make.coupon_template_body([home]),
                headers=make.staff_headers("marketing"))
    ops = make.staff_headers("ops")
    created = client.post(f"{CONSOLE}/couriers", json=make.courier_body([home]), headers=ops)
    courier_id = created.get_json()["courier"]["id"]
    client.post(f"{CONSOLE}/couriers/{courier_id}/rotate-code", headers=ops)
    assert [e.action for e in entries()] == [
        "coupon_template.create", "courier.create", "courier.rotate_code"]
    courier = db.session.get(Courier, courier_id)
    for entry in entries():
        assert "handheld-pass" not in str(entry.details) and courier.courier_code not in str(entry.details)


# --- the web console writes it, and admins read it ---------------------------------------

def test_console_changes_are_logged_under_the_signed_in_staff(console, make):
    home = make.compound()
    marketer = console("marketing")
    campaign = make.campaign([home])
    assert marketer.post(f"/console/campaigns/{campaign.id}/pause").status_code == 302
    ops = console("ops")
    courier = make.courier([home])
    assert ops.post(f"/console/couriers/{courier.id}/rotate-code").status_code == 302
    logged = entries()
    assert [(e.action, e.staff_id) for e in logged] == [
        ("campaign.pause", marketer.member.id), ("courier.rotate_code", ops.member.id)]


def test_admins_read_the_log_with_filters(console, make):
    campaign = make.campaign([make.compound()])
    marketer = console("marketing")
    marketer.post(f"/console/campaigns/{campaign.id}/pause")
    marketer.post(f"/console/campaigns/{campaign.id}/resume")
    admin = console("admin")
    page = text(admin.get("/console/audit"))
    assert "campaign.pause" in page and "campaign.resume" in page and marketer.member.username in page
    only_pauses = text(admin.get("/console/audit?action=campaign.pause"))
    assert "<code>campaign.pause</code>" in only_pauses and "<code>campaign.resume</code>" not in only_pauses
    assert marketer.get("/console/audit").status_code == 403


def test_an_admin_sees_a_campaigns_history_on_its_page(console, make):
    campaign = make.campaign([make.compound()])
    console("marketing").post(f"/console/campaigns/{campaign.id}/pause")
    assert "campaign.pause" in text(console("admin").get(f"/console/campaigns/{campaign.id}"))
    assert "变更记录" not in text(console("marketing").get(f"/console/campaigns/{campaign.id}"))
    assert db.session.get(Campaign, campaign.id).status == "paused"
