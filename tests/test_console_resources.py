"""Console API: creating compounds, couriers, products, deals and coupon templates; badges."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from app.services.couriers import badges
from tests.assertions import badge_texts

CONSOLE = "/api/v1/console"
PUBLIC_URL = "http://shop.test"  # tests/conftest.py app_config
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def parsed(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    assert moment.tzinfo is not None, f"{stamp} has no offset"
    return moment


def post(client, make, path, body, role="admin"):
    return client.post(f"{CONSOLE}/{path}", json=body, headers=make.staff_headers(role))


# --- compounds -----------------------------------------------------------------------------

def test_ops_creates_a_compound(client, make):
    body = make.compound_body(name="阳光花园", district="浦东新区", aliases=["阳光小区"])
    answer = post(client, make, "compounds", body, role="ops")
    assert answer.status_code == 201
    compound = answer.get_json()["compound"]
    assert isinstance(compound.pop("id"), int)
    assert compound == {"name": "阳光花园", "city": "上海", "district": "浦东新区", "lat": 31.18,
                        "lng": 121.43, "radius_m": 400, "aliases": ["阳光小区"]}


def test_compound_aliases_are_trimmed_and_deduplicated_and_exclude_the_name(client, make):
    body = make.compound_body(name="翠湖天地", aliases=[" 翠湖 ", "翠湖", "翠湖天地", "新天地"])
    answer = post(client, make, "compounds", body, role="ops")
    assert answer.get_json()["compound"]["aliases"] == ["翠湖", "新天地"]


def test_compound_without_district_or_aliases_is_accepted(client, make):
    body = make.compound_body()
    del body["district"], body["aliases"]
    compound = post(client, make, "compounds", body, role="ops").get_json()["compound"]
    assert compound["district"] is None and compound["aliases"] == []


def test_created_compounds_are_listed_for_the_console(client, make):
    first = post(client, make, "compounds", make.compound_body(), role="ops").get_json()["compound"]
    second = post(client, make, "compounds", make.compound_body(), role="ops").get_json()["compound"]
    listed = client.get(f"{CONSOLE}/compounds", headers=make.staff_headers("marketing")).get_json()
    assert listed["compounds"] == [first, second]


# --- couriers ------------------------------------------------------------------------------

def test_ops_creates_a_courier_with_an_unguessable_code_and_the_route(client, make):
    route = [make.compound(), make.compound()]
    body = make.courier_body(route, employee_no="SH-0042", name="王小明",
                             avatar_url="https://cdn.example.com/a.png")
    answer = post(client, make, "couriers", body, role="ops")
    assert answer.status_code == 201
    courier = answer.get_json()["courier"]
    assert isinstance(courier["id"], int)
    assert courier["employee_no"] == "SH-0042" and courier["name"] == "王小明"
    assert courier["avatar_url"] == "https://cdn.example.com/a.png"
    assert courier["compounds"] == [{"id": c.id, "name": c.name} for c in route]
    code = courier["courier_code"]
    assert URL_SAFE.match(code) and len(code) >= 16
    assert "0042" not in code and str(courier["id"]) != code
    assert "password" not in courier and "password_hash" not in courier


def test_repeated_compound_ids_put_a_compound_on_the_route_once(client, make):
    first, second = make.compound(), make.compound()
    body = make.courier_body([first, second, first, second])
    courier = post(client, make, "couriers", body, role="ops").get_json()["courier"]
    assert [c["id"] for c in courier["compounds"]] == [first.id, second.id]


def test_every_courier_gets_a_different_code(client, make):
    compound = make.compound()
    codes = {post(client, make, "couriers", make.courier_body([compound]), role="ops")
             .get_json()["courier"]["courier_code"] for _ in range(5)}
    assert len(codes) == 5


def test_created_courier_can_sign_in_on_the_handheld(client, make):
    compound = make.compound()
    body = make.courier_body([compound], password="van-key-77")
    created = post(client, make, "couriers", body, role="ops").get_json()["courier"]
    answer = client.post("/api/v1/courier/auth",
                         json={"employee_no": body["employee_no"], "password": "van-key-77"})
    assert answer.status_code == 200
    assert answer.get_json()["courier"]["id"] == created["id"]


def test_duplicate_employee_no_is_a_conflict(client, make):
    existing = make.courier()
    body = make.courier_body([make.compound()], employee_no=existing.employee_no)
    answer = post(client, make, "couriers", body, role="ops")
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "conflict"


# --- badges and code rotation --------------------------------------------------------------

def test_console_badge_is_a_png_whose_qr_opens_the_courier_store(client, make):
    courier = make.courier(name="赵师傅")
    answer = client.get(f"{CONSOLE}/couriers/{courier.id}/badge.png", headers=make.staff_headers("ops"))
    assert answer.status_code == 200
    assert answer.mimetype == "image/png"
    assert answer.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert badge_texts(answer.data) == [f"{PUBLIC_URL}/s/{courier.courier_code}"]


def test_badge_never_reads_files_outside_the_static_folder(client, make):
    courier = make.courier(avatar_url="/web-static/../../../../../../etc/passwd")
    assert badges.local_avatar(courier.avatar_url) is None
    answer = client.get(f"{CONSOLE}/couriers/{courier.id}/badge.png", headers=make.staff_headers("ops"))
    assert answer.status_code == 200
    assert badge_texts(answer.data) == [f"{PUBLIC_URL}/s/{courier.courier_code}"]


def test_badge_of_an_unknown_courier_is_not_found(client, make):
    answer = client.get(f"{CONSOLE}/couriers/999999/badge.png", headers=make.staff_headers("ops"))
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_rotating_the_code_voids_the_old_link_and_reprints_the_badge(client, make):
    courier = make.courier()
    old_code = courier.courier_code
    assert client.get(f"/s/{old_code}").status_code == 200
    ops = make.staff_headers("ops")

    answer = client.post(f"{CONSOLE}/couriers/{courier.id}/rotate-code", headers=ops)
    assert answer.status_code == 200
    new_code = answer.get_json()["courier"]["courier_code"]
    assert new_code != old_code and URL_SAFE.match(new_code) and len(new_code) >= 16

    assert client.get(f"/s/{old_code}").status_code == 404
    assert client.get(f"/s/{new_code}").status_code == 200
    badge = client.get(f"{CONSOLE}/couriers/{courier.id}/badge.png", headers=ops)
    assert badge_texts(badge.data) == [f"{PUBLIC_URL}/s/{new_code}"]


def test_after_rotation_the_old_code_no_longer_opens_a_store_in_the_mini_program(client, make):
    compound = make.compound()
    courier = make.courier([compound])
    old_code = courier.courier_code
    _, shopper = make.shopper(home=compound)
    client.post(f"{CONSOLE}/couriers/{courier.id}/rotate-code", headers=make.staff_headers("ops"))
    answer = client.post("/api/v1/store-sessions", json={"courier_code": old_code}, headers=shopper)
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "unknown_courier"


def test_rotating_the_code_of_an_unknown_courier_is_not_found(client, make):
    answer = client.post(f"{CONSOLE}/couriers/999999/rotate-code", headers=make.staff_headers("ops"))
    assert answer.status_code == 404


# --- products ------------------------------------------------------------------------------

def test_ops_creates_a_product(client, make):
    body = make.product_body(name="东北大米 5kg", category="粮油", price_fen=4590,
                             image_url="https://cdn.example.com/rice.jpg")
    answer = post(client, make, "products", body, role="ops")
    assert answer.status_code == 201
    product = answer.get_json()["product"]
    assert isinstance(product.pop("id"), int)
    assert product == {"name": "东北大米 5kg", "category": "粮油", "price_fen": 4590,
                       "image_url": "https://cdn.example.com/rice.jpg", "orderable_off_van": False}


def test_a_free_product_is_allowed(client, make):
    answer = post(client, make, "products", make.product_body(price_fen=0), role="ops")
    assert answer.status_code == 201 and answer.get_json()["product"]["image_url"] is None


# --- deals ---------------------------------------------------------------------------------

def test_marketing_creates_a_deal(client, make):
    product, route = make.product(price_fen=3000), [make.compound(), make.compound()]
    body = make.deal_body(product, route, deal_price_fen=2500, kind="clearance", quantity=40,
                          starts_at="2030-05-01T08:00:00+08:00", ends_at="2030-05-02T08:00:00+08:00")
    answer = post(client, make, "deals", body, role="marketing")
    assert answer.status_code == 201
    deal = answer.get_json()["deal"]
    assert isinstance(deal["id"], int)
    assert deal["product_id"] == product.id and deal["deal_price_fen"] == 2500
    assert deal["kind"] == "clearance" and deal["quantity"] == 40 and deal["sold"] == 0
    assert deal["compound_ids"] == [c.id for c in route]
    assert parsed(deal["starts_at"]) == datetime(2030, 5, 1, tzinfo=timezone.utc)
    assert parsed(deal["ends_at"]) == datetime(2030, 5, 2, tzinfo=timezone.utc)


def test_deal_without_a_window_runs_open_ended(client, make):
    product = make.product()
    for kind in ("compound", "staff"):  # a clearance needs an end (tests/test_clearance_deals.py)
        answer = post(client, make, "deals", make.deal_body(product, [make.compound()], kind=kind),
                      role="marketing")
        assert answer.status_code == 201
        deal = answer.get_json()["deal"]
        assert deal["kind"] == kind and deal["starts_at"] is None and deal["ends_at"] is None


def test_deal_and_coupon_with_repeated_compound_ids_are_created_once_per_compound(client, make):
    compound = make.compound()
    deal = post(client, make, "deals", make.deal_body(make.product(), [compound, compound]), role="marketing")
    assert deal.status_code == 201 and deal.get_json()["deal"]["compound_ids"] == [compound.id]
    coupon = post(client, make, "coupon-templates", make.coupon_template_body([compound, compound]),
                  role="marketing")
    assert coupon.status_code == 201 and coupon.get_json()["coupon_template"]["compound_ids"] == [compound.id]


def test_deal_at_the_list_price_is_allowed(client, make):
    product = make.product(price_fen=1500)
    answer = post(client, make, "deals", make.deal_body(product, [make.compound()], deal_price_fen=1500),
                  role="marketing")
    assert answer.status_code == 201


# --- coupon templates ----------------------------------------------------------------------

def test_marketing_creates_a_coupon_template(client, make):
    route = [make.compound()]
    valid_from = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0)
    valid_until = valid_from + timedelta(days=7)
    body = make.coupon_template_body(route, title="满30减5", discount_fen=500, threshold_fen=3000,
                                     total=50, per_shopper_limit=1, valid_from=valid_from.isoformat(),
                                     valid_until=valid_until.isoformat())
    answer = post(client, make, "coupon-templates", body, role="marketing")
    assert answer.status_code == 201
    template = answer.get_json()["coupon_template"]
    assert isinstance(template["id"], int)
    assert {k: template[k] for k in ("title", "discount_fen", "threshold_fen", "total",
                                     "per_shopper_limit", "compound_ids")} == {
        "title": "满30减5", "discount_fen": 500, "threshold_fen": 3000, "total": 50,
        "per_shopper_limit": 1, "compound_ids": [route[0].id]}
    assert template["issued"] == 0 and template["remaining"] == 50
    assert parsed(template["valid_from"]) == valid_from
    assert parsed(template["valid_until"]) == valid_until


def test_no_threshold_coupon_is_allowed(client, make):
    body = make.coupon_template_body([make.compound()], discount_fen=300, threshold_fen=0)
    assert post(client, make, "coupon-templates", body, role="marketing").status_code == 201
