"""Roles decide every console page and action, and their JSON API counterparts (API.md, Console).

Marketing: campaigns, coupons, deals. Ops: compounds, couriers, products. Reports: both.
Admin: everything, staff accounts and the audit log included. Anyone else: 403.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import STAFF_ROLES, PromotionEvent
from tests.console_web import StaffBrowser, console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.factories import now

pytestmark = pytest.mark.one_database  # roles and documents, not data

ALLOWED = {
    "campaigns": {"admin", "marketing"}, "coupons": {"admin", "marketing"}, "deals": {"admin", "marketing"},
    "compounds": {"admin", "ops"}, "couriers": {"admin", "ops"}, "products": {"admin", "ops"},
    "reports": {"admin", "marketing", "ops"}, "audit": {"admin"}, "staff": {"admin"},
    "orders": {"admin", "ops"}, "earnings": {"admin", "ops"}, "portraits": {"admin", "marketing", "ops"},
    "group_deals": {"admin", "marketing"}, "promotions": {"admin", "marketing"},
}
CONSOLE_ROUTES = [  # (section, method, path): every console page and action
    ("campaigns", "GET", "/console/campaigns"), ("campaigns", "GET", "/console/campaigns/new"),
    ("campaigns", "POST", "/console/campaigns/new"), ("campaigns", "GET", "/console/campaigns/{campaign}"),
    ("campaigns", "GET", "/console/campaigns/{campaign}/edit"),
    ("campaigns", "POST", "/console/campaigns/{campaign}/edit"),
    ("campaigns", "POST", "/console/campaigns/{campaign}/pause"),
    ("campaigns", "POST", "/console/campaigns/{campaign}/resume"),
    ("campaigns", "GET", "/console/campaigns/{campaign}/live"),
    ("campaigns", "GET", "/console/campaigns/{campaign}/live.json"),
    ("coupons", "GET", "/console/coupons"), ("coupons", "POST", "/console/coupons"),
    ("deals", "GET", "/console/deals"), ("deals", "POST", "/console/deals"),
    ("group_deals", "GET", "/console/group-deals"), ("group_deals", "POST", "/console/group-deals"),
    ("promotions", "GET", "/console/promotions"), ("promotions", "POST", "/console/promotions"),
    ("promotions", "POST", "/console/promotions/{promotion}"),
    ("promotions", "POST", "/console/promotions/{promotion}/delete"),
    ("compounds", "GET", "/console/compounds"), ("compounds", "POST", "/console/compounds"),
    ("couriers", "GET", "/console/couriers"), ("couriers", "POST", "/console/couriers"),
    ("couriers", "GET", "/console/couriers/{courier}"),
    ("couriers", "GET", "/console/couriers/{courier}/badge.png"),
    ("couriers", "POST", "/console/couriers/{courier}/rotate-code"),
    ("couriers", "POST", "/console/couriers/{courier}/sign-out"),
    ("couriers", "POST", "/console/couriers/{courier}/disabled"),
    ("couriers", "GET", "/console/couriers/{courier}/van-load"),
    ("couriers", "POST", "/console/couriers/{courier}/van-load"),
    ("couriers", "GET", "/console/couriers/{courier}/prestock"),
    ("couriers", "POST", "/console/couriers/{courier}/prestock"),
    ("couriers", "POST", "/console/prestock/margin"),
    ("products", "GET", "/console/products"), ("products", "POST", "/console/products"),
    ("reports", "GET", "/console/reports"), ("reports", "GET", "/console/reports/campaigns.csv"),
    ("reports", "GET", "/console/reports/compounds.csv"),
    ("reports", "GET", "/console/deals/{clearance}/clearance"),
    ("audit", "GET", "/console/audit"),
    ("staff", "GET", "/console/staff"), ("staff", "POST", "/console/staff"),
    ("staff", "POST", "/console/staff/{staff}"),
    ("campaigns", "GET", "/console/socket-token"),
    ("orders", "GET", "/console/orders"), ("orders", "POST", "/console/orders/{order}/cancel"),
    ("orders", "POST", "/console/orders/{order}/unlock-handover"),
    ("orders", "POST", "/console/orders/{order}/refund"), ("orders", "GET", "/console/orders/reconciliation"),
    ("earnings", "GET", "/console/earnings"), ("earnings", "GET", "/console/earnings.csv"),
    ("earnings", "GET", "/console/commission-rules"), ("earnings", "POST", "/console/commission-rules"),
    ("portraits", "GET", "/console/compounds/{compound}/portrait"),
    ("portraits", "POST", "/console/compounds/{compound}/portrait/refresh"),
    ("portraits", "GET", "/console/compounds/by-portrait.json"),
]
API_ROUTES = [  # the JSON API counterparts of those pages
    ("campaigns", "POST", "/api/v1/console/campaigns"),
    ("campaigns", "GET", "/api/v1/console/campaigns/{campaign}"),
    ("campaigns", "PATCH", "/api/v1/console/campaigns/{campaign}"),
    ("campaigns", "POST", "/api/v1/console/campaigns/{campaign}/pause"),
    ("campaigns", "POST", "/api/v1/console/campaigns/{campaign}/resume"),
    ("coupons", "POST", "/api/v1/console/coupon-templates"), ("deals", "POST", "/api/v1/console/deals"),
    ("compounds", "POST", "/api/v1/console/compounds"), ("couriers", "POST", "/api/v1/console/couriers"),
    ("couriers", "GET", "/api/v1/console/couriers/{courier}/badge.png"),
    ("couriers", "POST", "/api/v1/console/couriers/{courier}/rotate-code"),
    ("products", "POST", "/api/v1/console/products"), ("staff", "POST", "/api/v1/console/staff"),
    ("staff", "PATCH", "/api/v1/console/staff/{staff}"),
    ("couriers", "PATCH", "/api/v1/console/couriers/{courier}"),
    ("couriers", "POST", "/api/v1/console/couriers/{courier}/sign-out"),
    ("couriers", "GET", "/api/v1/console/couriers/{courier}/van-load"),
    ("couriers", "PUT", "/api/v1/console/couriers/{courier}/van-load"),
    ("couriers", "GET", "/api/v1/console/couriers/{courier}/prestock"),
    ("couriers", "PUT", "/api/v1/console/couriers/{courier}/prestock"),
    ("couriers", "GET", "/api/v1/console/prestock/margin"),
    ("couriers", "PUT", "/api/v1/console/prestock/margin"),
    ("orders", "POST", "/api/v1/console/orders/{order}/cancel"),
    ("orders", "POST", "/api/v1/console/orders/{order}/unlock-handover"),
    ("orders", "POST", "/api/v1/console/orders/{order}/refund"),
    ("orders", "GET", "/api/v1/console/reports/reconciliation"),
    ("earnings", "GET", "/api/v1/console/couriers/{courier}/earnings"),
    ("earnings", "GET", "/api/v1/console/commission-rules"), ("earnings", "PUT", "/api/v1/console/commission-rules"),
    ("portraits", "GET", "/api/v1/console/compounds/{compound}/portrait"),
    ("portraits", "POST", "/api/v1/console/compounds/{compound}/portrait/refresh"),
    ("portraits", "GET", "/api/v1/console/compounds/by-portrait"),
    ("reports", "GET", "/api/v1/console/deals/{clearance}/clearance-report"),
    ("promotions", "GET", "/api/v1/console/promotions"), ("promotions", "POST", "/api/v1/console/promotions"),
    ("promotions", "PATCH", "/api/v1/console/promotions/{promotion}"),
    ("promotions", "DELETE", "/api/v1/console/promotions/{promotion}"),
]
OPEN_TO_ANY_STAFF = {"console_web.home", "console_web.logout"}
PUBLIC = {"console_web.login", "console_web.static", "console_web.not_found"}


@pytest.fixture
def ids(make) -> dict:
    """A campaign that has not started (so it can still be edited), a courier, an order at their
    van, a staff member, a clearance deal and a promotion event."""
    home = make.compound()
    campaign = make.campaign([home], starts_at=now() + timedelta(days=1), ends_at=now() + timedelta(days=2))
    courier = make.courier([home])
    _, headers = make.shopper(home=home)
    order = make.placed_order(headers, make.store_session(headers, courier), [(make.product(), 1)])
    clearance = make.deal(make.product(), [home], 100, kind="clearance")
    promotion = PromotionEvent(name="618", starts_on=date(2027, 6, 1), ends_on=date(2027, 6, 18),
                               expected_discount_pct={"*": 10})
    db.session.add(promotion)
    db.session.commit()
    return {"campaign": campaign.id, "courier": courier.id, "order": order["id"], "compound": home.id,
            "staff": make.staff_member("ops").id, "clearance": clearance.id, "promotion": promotion.id}


def routes_of(section: str, table, ids: dict):
    return [(method, path.format(**ids)) for name, method, path in table if name == section]


def test_every_console_route_is_in_the_role_matrix(app):
    listed = {(method, re.sub(r"\{[a-z]+\}", "<id>", path)) for _, method, path in CONSOLE_ROUTES}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console_web.") or rule.endpoint in PUBLIC | OPEN_TO_ANY_STAFF:
            continue
        path = re.sub(r"<int:[a-z_]+>", "<id>", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in listed, f"{method} {rule.rule} has no row in the role matrix"


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("section", sorted(ALLOWED))
def test_each_role_reaches_only_its_console_pages(console, ids, role, section):
    browser = console(role)
    for method, path in routes_of(section, CONSOLE_ROUTES, ids):
        answer = browser.get(path) if method == "GET" else browser.post(path, {})
        if role in ALLOWED[section]:
            assert answer.status_code in (200, 302, 422), (role, method, path, answer.status_code)
        else:
            assert answer.status_code == 403, (role, method, path, answer.status_code)
            assert "无权访问" in text(answer)


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("section", sorted(ALLOWED))
def test_each_role_calls_only_its_json_api(client, make, ids, role, section):
    headers = make.staff_headers(role)
    for method, path in routes_of(section, API_ROUTES, ids):
        answer = client.open(path, method=method, json={}, headers=headers)
        if role in ALLOWED[section]:
            assert answer.status_code != 403, (role, method, path)
        else:
            assert answer.status_code == 403, (role, method, path, answer.status_code)
            assert answer.get_json()["error"]["code"] == "forbidden"


def test_the_menu_shows_only_the_roles_sections(console):
    menu = {role: text(console(role).get("/console/")) for role in STAFF_ROLES}
    assert "Campaigns" in menu["marketing"] and "Compounds" not in menu["marketing"]
    assert "Compounds" in menu["ops"] and "Campaigns" not in menu["ops"] and "Audit log" not in menu["ops"]
    assert all(label in menu["admin"] for label in ("Campaigns", "Compounds", "Staff", "Audit log"))


def test_a_signed_out_visitor_reaches_no_console_page(app, ids):
    browser = StaffBrowser(app.test_client())
    for _, method, path in CONSOLE_ROUTES:
        path = path.format(**ids)
        answer = browser.get(path) if method == "GET" else browser.post(path, {})
        assert answer.status_code == 302 and "/console/login" in answer.headers["Location"], (method, path)
