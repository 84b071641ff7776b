"""Ops set commission rates (audited) and read any courier's monthly statement through the console API."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry
from tests.assertions import assert_error
from tests.earnings import EXPECTED, make_month

RULES = "/api/v1/console/commission-rules"


def audit_entries() -> list[tuple]:
    return [(e.action, e.target_type, e.details) for e in
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "commission_rule.set").order_by(AuditEntry.id))]


def test_ops_set_a_default_and_a_category_rate_and_every_change_is_audited_once(client, make):
    make.product(category="生鲜")
    make.product(category="零食")
    ops = make.staff_headers("ops")

    assert client.get(RULES, headers=ops).get_json() == {
        "default_rate_bp": 0, "rules": [],
        "categories": [{"category": "生鲜", "rate_bp": 0, "has_rule": False},
                       {"category": "零食", "rate_bp": 0, "has_rule": False}]}
    assert client.put(RULES, json={"rate_bp": 300}, headers=ops).status_code == 200
    answer = client.put(RULES, json={"category": "生鲜", "rate_bp": 550}, headers=ops)
    again = client.put(RULES, json={"category": "生鲜", "rate_bp": 550}, headers=ops)

    assert answer.status_code == 200 and again.get_json() == answer.get_json()
    body = answer.get_json()
    assert body["default_rate_bp"] == 300
    assert [(r["category"], r["rate_bp"]) for r in body["rules"]] == [("生鲜", 550)]
    assert body["categories"] == [{"category": "生鲜", "rate_bp": 550, "has_rule": True},
                                  {"category": "零食", "rate_bp": 300, "has_rule": False}]
    removed = client.put(RULES, json={"category": "生鲜", "rate_bp": None}, headers=ops).get_json()
    assert removed["rules"] == [] and removed["categories"][0] == {"category": "生鲜", "rate_bp": 300, "has_rule": False}
    assert [(action, details["category"], details["rate_bp"]) for action, _, details in audit_entries()] == [
        ("commission_rule.set", None, [None, 300]), ("commission_rule.set", "生鲜", [None, 550]),
        ("commission_rule.set", "生鲜", [550, None])]


def test_a_bad_rate_or_category_is_refused_naming_the_field(client, make):
    ops = make.staff_headers("ops")
    for body, field in (({"rate_bp": 10_001}, "rate_bp"), ({"rate_bp": -1}, "rate_bp"), ({"rate_bp": "5"}, "rate_bp"),
                        ({"category": "生鲜"}, "rate_bp"), ({"category": "*", "rate_bp": 5}, "category"),
                        ({"category": "x" * 61, "rate_bp": 5}, "category"), ({"category": "", "rate_bp": 5}, "category")):
        error = assert_error(client.put(RULES, json=body, headers=ops), 422, "invalid_request")
        assert field in error["fields"], (body, error)
    assert audit_entries() == []


def test_ops_read_a_couriers_month_and_others_may_not(client, make):
    month = make_month(make)
    path = f"/api/v1/console/couriers/{month.courier.id}/earnings?month=2026-03"

    for role in ("ops", "admin"):
        body = client.get(path, headers=make.staff_headers(role)).get_json()
        assert {key: body[key] for key in EXPECTED} == EXPECTED
        assert body["courier"] == {"id": month.courier.id, "name": month.courier.name,
                                   "employee_no": month.courier.employee_no}
    assert_error(client.get(path, headers=make.staff_headers("marketing")), 403, "forbidden")
    assert_error(client.get(RULES, headers=make.staff_headers("marketing")), 403, "forbidden")
    assert_error(client.put(RULES, json={"rate_bp": 1}, headers=make.staff_headers("marketing")), 403, "forbidden")
    assert_error(client.get(path, headers=make.courier_headers(month.courier)), 401, "unauthorized")
    assert_error(client.get("/api/v1/console/couriers/999999/earnings", headers=make.staff_headers("ops")),
                 404, "not_found")
