"""Editing a campaign before it starts: the service, PATCH /api/v1/console/campaigns/<id>, and the form."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Campaign, CampaignPrize, utcnow
from app.services.campaigns.edits import CampaignStarted, update_campaign
from app.services.errors import InvalidRequest
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.factories import now

CONSOLE = "/api/v1/console"


@pytest.fixture
def upcoming(make):
    """A campaign starting tomorrow, with one coupon prize."""
    home = make.compound()
    return make.campaign([home], title="明天开始", starts_at=now() + timedelta(days=1),
                         ends_at=now() + timedelta(days=2))


def test_settings_change_before_the_start_and_the_changes_are_told(upcoming, make):
    other = make.compound()
    before = upcoming.compounds[0].id
    changed = update_campaign(db.session, upcoming, utcnow(), title="新名字", window_seconds=90,
                              shakes_per_shopper=3, compound_ids=[other.id])
    db.session.commit()
    assert changed == {"title": ["明天开始", "新名字"], "window_seconds": [120, 90],
                       "compound_ids": [[before], [other.id]]}
    assert [c.id for c in db.session.get(Campaign, upcoming.id).compounds] == [other.id]


def test_a_started_campaign_cannot_be_edited(make):
    running = make.campaign([make.compound()])
    with pytest.raises(CampaignStarted) as refusal:
        update_campaign(db.session, running, utcnow(), title="太晚了")
    assert refusal.value.status == 409 and refusal.value.code == "campaign_started"


def test_a_new_prize_pool_replaces_the_old_one(upcoming, make):
    product = make.product()
    update_campaign(db.session, upcoming, utcnow(), prizes=[
        {"kind": "item", "product_id": product.id, "per_round": 2, "win_probability": 0.5},
        {"kind": "coupon", "coupon_template_id": upcoming.prizes[0].coupon_template_id, "per_round": 4,
         "win_probability": 0.1}])
    db.session.commit()
    prizes = db.session.get(Campaign, upcoming.id).prizes
    assert [(p.kind, p.per_round) for p in prizes] == [("item", 2), ("coupon", 4)]
    assert db.session.scalar(db.select(db.func.count()).select_from(CampaignPrize)) == 2


def test_the_same_pool_again_keeps_its_rows(upcoming):
    prize = upcoming.prizes[0]
    same = [{"kind": "coupon", "coupon_template_id": prize.coupon_template_id, "per_round": prize.per_round,
             "win_probability": prize.win_probability}]
    assert update_campaign(db.session, upcoming, utcnow(), prizes=same) == {}
    assert upcoming.prizes[0].id == prize.id


def test_the_end_must_stay_after_the_start(upcoming):
    with pytest.raises(InvalidRequest) as refusal:
        update_campaign(db.session, upcoming, utcnow(), ends_at=upcoming.starts_at - timedelta(minutes=1))
    assert refusal.value.extra["fields"] == {"ends_at": "must be after starts_at"}


# --- PATCH /api/v1/console/campaigns/<id> ------------------------------------------------

def test_patch_changes_the_given_fields_only(client, make, upcoming):
    answer = client.patch(f"{CONSOLE}/campaigns/{upcoming.id}",
                          json={"title": "改过了", "wins_per_shopper": 2},
                          headers=make.staff_headers("marketing"))
    assert answer.status_code == 200
    body = answer.get_json()["campaign"]
    assert (body["title"], body["wins_per_shopper"], body["window_seconds"]) == ("改过了", 2, 120)
    assert body["status"] == "scheduled"


def test_patch_after_the_start_is_409_campaign_started(client, make):
    running = make.campaign([make.compound()])
    answer = client.patch(f"{CONSOLE}/campaigns/{running.id}", json={"title": "x"},
                          headers=make.staff_headers("marketing"))
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "campaign_started"


def test_patch_checks_fields_like_creation(client, make, upcoming):
    headers = make.staff_headers("marketing")
    answer = client.patch(f"{CONSOLE}/campaigns/{upcoming.id}",
                          json={"window_seconds": 5, "prizes": [], "title": ""}, headers=headers)
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"window_seconds", "prizes", "title"}
    missing = client.patch(f"{CONSOLE}/campaigns/987654", json={}, headers=headers)
    assert missing.status_code == 404


@pytest.mark.one_database
def test_patch_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "patch" in spec["paths"]["/api/v1/console/campaigns/{campaign_id}"]


# --- the console's edit form -----------------------------------------------------------------

def test_the_edit_form_is_filled_in_and_saves(console, upcoming):
    marketer = console("marketing")
    page = text(marketer.get(f"/console/campaigns/{upcoming.id}/edit"))
    assert 'value="明天开始"' in page and 'value="120"' in page
    prize = upcoming.prizes[0]
    answer = marketer.post(f"/console/campaigns/{upcoming.id}/edit", {
        "title": "表单改名", "compound_ids": str(upcoming.compounds[0].id),
        "starts_at": "2090-01-01T10:00", "ends_at": "2090-01-02T10:00", "window_seconds": "60",
        "shakes_per_shopper": "5", "wins_per_shopper": "1",
        "prizes.0.prize": f"coupon:{prize.coupon_template_id}", "prizes.0.per_round": "7",
        "prizes.0.win_probability": "12.5"})
    assert answer.status_code == 302, text(answer)
    saved = db.session.get(Campaign, upcoming.id)
    db.session.refresh(saved)
    assert (saved.title, saved.window_seconds, saved.prizes[0].per_round) == ("表单改名", 60, 7)
    assert saved.prizes[0].win_probability == pytest.approx(0.125)
    assert saved.starts_at.isoformat() == "2090-01-01T02:00:00+00:00"  # 10:00 in Shanghai


def test_a_started_campaign_has_no_edit_form(console, make):
    running = make.campaign([make.compound()])
    answer = console("marketing").get(f"/console/campaigns/{running.id}/edit")
    assert answer.status_code == 409 and "A campaign can be edited only before it starts." in text(answer)
