"""The promotion calendar: marketing keeps it (audited), shoppers read what is running or to come (both databases)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry
from tests.assertions import assert_error, assert_invalid
from tests.shopping_plan import PROMOTIONS, day, planning  # noqa: F401  (fixture)


def audit_actions(event_id: int) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "promotion", AuditEntry.target_id == event_id).order_by(AuditEntry.id)))


def test_marketing_adds_edits_and_deletes_events_each_audited(client, planning):
    event = planning.event(starts_in=10, pct={"母婴": 20, "*": 5})
    assert {k: event[k] for k in ("name", "starts_on", "ends_on", "expected_discount_pct")} == \
        {"name": "618", "starts_on": day(10), "ends_on": day(12), "expected_discount_pct": {"母婴": 20, "*": 5}}
    path = f"{PROMOTIONS}/{event['id']}"
    edited = client.patch(path, json={"name": "618大促", "ends_on": day(15)}, headers=planning.marketing)
    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["event"]["name"], edited.get_json()["event"]["ends_on"]) == ("618大促", day(15))
    listed = client.get(PROMOTIONS, headers=planning.marketing).get_json()["events"]
    assert [e["id"] for e in listed] == [event["id"]]
    assert client.delete(path, headers=planning.marketing).status_code == 204
    assert client.get(PROMOTIONS, headers=planning.marketing).get_json()["events"] == []
    assert audit_actions(event["id"]) == ["promotion.create", "promotion.update", "promotion.delete"]
    assert_error(client.delete(path, headers=planning.marketing), 404, "not_found")


def test_only_marketing_keeps_the_calendar_and_bad_events_are_refused(client, make, planning):
    body = {"name": "双11", "starts_on": day(5), "ends_on": day(6), "expected_discount_pct": {"母婴": 30}}
    assert_error(client.post(PROMOTIONS, json=body, headers=make.staff_headers("ops")), 403, "forbidden")
    assert_error(client.post(PROMOTIONS, json=body, headers=planning.shop.headers), 401, "unauthorized")
    assert_invalid(client.post(PROMOTIONS, json={**body, "ends_on": day(4)}, headers=planning.marketing), "ends_on")
    too_deep = assert_error(client.post(PROMOTIONS, json={**body, "expected_discount_pct": {"母婴": 95}},
                                        headers=planning.marketing), 422, "invalid_request")
    assert list(too_deep["fields"]) == ["expected_discount_pct.母婴.value"]
    assert_invalid(client.post(PROMOTIONS, json={**body, "starts_on": "11/11"}, headers=planning.marketing),
                   "starts_on")
    event = planning.event(starts_in=5, lasts=2)
    assert_invalid(client.patch(f"{PROMOTIONS}/{event['id']}", json={"ends_on": day(1)},
                                headers=planning.marketing), "ends_on")


def test_shoppers_see_events_running_or_to_come(client, planning):
    over = planning.event(starts_in=-10, lasts=3, name="五一")
    running = planning.event(starts_in=-1, lasts=3, name="年中")
    coming = planning.event(starts_in=30, name="双11")
    answer = client.get("/api/v1/promotions", headers=planning.shop.headers)
    assert answer.status_code == 200
    events = answer.get_json()["events"]
    assert [e["id"] for e in events] == [running["id"], coming["id"]]
    assert over["id"] not in [e["id"] for e in events]
    assert set(events[0]) == {"id", "name", "starts_on", "ends_on", "expected_discount_pct"}
    assert_error(client.get("/api/v1/promotions"), 401, "unauthorized")
