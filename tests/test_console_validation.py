"""Console and courier validation: every malformed request is a clean 4xx, never a 500.

Validation errors are 422 `invalid_request` with `fields` naming the field (API.md, Conventions).
"""
from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.models import Compound, Courier, Deal, Product
from tests.assertions import assert_error

# Schemas and services refuse these before the database answers: SQLite is enough, except where
# a value at a column's limits (a huge id, NUL) reaches the database (both_databases).
pytestmark = pytest.mark.one_database

CONSOLE = "/api/v1/console"
NAIVE = "2030-01-01T08:00:00"
BAD_VALUES = [
    "12", "", "   ", 12.5, 12.0, True, False, None, [], [1], {}, {"a": 1}, -1, 0,
    10**20, -(10**20), 2**63, "a\x00b", "x" * 5000, "NaN", NAIVE, "not a time",
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", [10**20], ["a\x00b"], [None],
]


def assert_invalid(answer, field: str) -> dict:
    """A 422 invalid_request whose `fields` names `field` (or an item of it)."""
    error = assert_error(answer, 422, "invalid_request")  # its reasons are non-empty text
    assert any(name == field or name.startswith(field + ".") for name in error["fields"]), error
    return error


def valid_bodies(make) -> dict[str, dict]:
    """A valid body for every console POST that takes one, keyed by path."""
    compound, product = make.compound(), make.product(price_fen=5000)
    return {
        "auth": {"username": make.staff_member().username, "password": "staff-password"},
        "staff": {"username": "new.staff", "password": "long-enough", "role": "ops"},
        "compounds": make.compound_body(),
        "couriers": make.courier_body([compound]),
        "products": make.product_body(),
        "deals": make.deal_body(product, [compound], starts_at="2030-01-01T00:00:00+08:00",
                                ends_at="2030-02-01T00:00:00+08:00"),
        "coupon-templates": make.coupon_template_body([compound]),
    }


def post(client, make, path, body, headers=None):
    return client.post(f"{CONSOLE}/{path}", json=body, headers=headers or make.staff_headers("admin"))


@pytest.fixture
def admin(make):
    return make.staff_headers("admin")


# --- malformed bodies ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["auth", "staff", "compounds", "couriers", "products", "deals",
                                  "coupon-templates"])
@pytest.mark.parametrize("raw", ['{"name": ', "{'single': 'quotes'}", "\xff\xfe{}", "[1, 2"])
def test_malformed_json_is_a_400_invalid_json(client, admin, path, raw):
    data = raw.encode("latin-1")
    answer = client.post(f"{CONSOLE}/{path}", data=data, content_type="application/json", headers=admin)
    assert_error(answer, 400, "invalid_json")


@pytest.mark.parametrize("path", ["auth", "staff", "compounds", "couriers", "products", "deals",
                                  "coupon-templates"])
@pytest.mark.parametrize("body", [[], [{"name": "x"}], "a string", 42, True])
def test_body_that_is_not_an_object_is_invalid(client, admin, path, body):
    error = assert_error(client.post(f"{CONSOLE}/{path}", json=body, headers=admin), 422, "invalid_request")
    assert "body" in error["fields"]


@pytest.mark.parametrize("path", ["auth", "compounds", "deals"])
@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000,
                                 '{"name": ' + "[" * 50_000 + "]" * 50_000 + "}"])
def test_absurdly_nested_json_is_a_400_invalid_json(client, admin, path, raw):
    answer = client.post(f"{CONSOLE}/{path}", data=raw, content_type="application/json", headers=admin)
    assert_error(answer, 400, "invalid_json")


def test_deeply_nested_field_value_is_invalid_not_a_crash(client, make, admin):
    # Deep enough to exhaust a recursive walk, shallow enough for the JSON decoder.
    nested = "[" + "[" * 900 + "]" * 900 + "]"
    body = json.dumps(make.compound_body(aliases="NESTED")).replace('"NESTED"', nested)
    answer = client.post(f"{CONSOLE}/compounds", data=body, content_type="application/json", headers=admin)
    assert_invalid(answer, "aliases")


def test_missing_fields_are_all_named(client, admin):
    error = assert_error(client.post(f"{CONSOLE}/coupon-templates", json={}, headers=admin),
                         422, "invalid_request")
    assert set(error["fields"]) == {"title", "discount_fen", "threshold_fen", "total",
                                    "per_shopper_limit", "compound_ids", "valid_from", "valid_until"}


# --- wrong types and ranges ----------------------------------------------------------------

@pytest.mark.parametrize("price", ["12", 12.0, 12.5, True, None, -1, -100, 10**20, [12], {"fen": 12}])
def test_product_price_must_be_a_non_negative_integer(client, make, admin, price):
    assert_invalid(post(client, make, "products", make.product_body(price_fen=price), admin), "price_fen")
    assert db.session.query(Product).count() == 0


@pytest.mark.parametrize("field, value", [
    ("lat", "31.2"), ("lat", True), ("lat", 91), ("lng", -181), ("lng", "121"), ("radius_m", 300.5),
    ("radius_m", "300"), ("radius_m", 5), ("radius_m", False), ("name", ""), ("name", 7),
    ("aliases", "阳光"), ("aliases", [""]), ("aliases", [3]), ("city", None),
])
def test_compound_with_a_wrong_type_or_range_is_refused(client, make, admin, field, value):
    assert_invalid(post(client, make, "compounds", make.compound_body(**{field: value}), admin), field)
    assert db.session.query(Compound).count() == 0


@pytest.mark.parametrize("field, value", [
    ("compound_ids", []), ("compound_ids", "1"), ("compound_ids", ["1"]), ("compound_ids", [1.0]),
    ("compound_ids", [True]), ("compound_ids", [0]), ("employee_no", "has space"),
    ("employee_no", 1234), ("password", "short"), ("name", ""), ("avatar_url", "javascript:alert(1)"),
])
def test_courier_with_a_wrong_type_or_range_is_refused(client, make, admin, field, value):
    body = make.courier_body([make.compound()], **{field: value})
    assert_invalid(post(client, make, "couriers", body, admin), field)
    assert db.session.query(Courier).count() == 0


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:image/png;base64,AAAA", "ftp://host/a.png",
                                 "//evil.example/a.png", "https://", "avatar.png"])
def test_avatar_and_image_urls_must_be_web_urls(client, make, admin, url):
    courier = make.courier_body([make.compound()], avatar_url=url)
    assert_invalid(post(client, make, "couriers", courier, admin), "avatar_url")
    assert_invalid(post(client, make, "products", make.product_body(image_url=url), admin), "image_url")


@pytest.mark.parametrize("url", ["http://x", "https://cdn.example.com/a.png", "/web-static/avatars/7.png"])
def test_http_and_same_site_urls_are_accepted_for_images(client, make, admin, url):
    courier = post(client, make, "couriers", make.courier_body([make.compound()], avatar_url=url), admin)
    assert courier.status_code == 201 and courier.get_json()["courier"]["avatar_url"] == url
    product = post(client, make, "products", make.product_body(image_url=url), admin)
    assert product.status_code == 201 and product.get_json()["product"]["image_url"] == url


def test_courier_on_unknown_compounds_is_refused(client, make, admin):
    known = make.compound()
    body = make.courier_body([known], compound_ids=[known.id, known.id + 1000])
    error = assert_invalid(post(client, make, "couriers", body, admin), "compound_ids")
    assert str(known.id + 1000) in error["fields"]["compound_ids"]
    assert db.session.query(Courier).count() == 0


@pytest.mark.parametrize("field, value", [
    ("deal_price_fen", -1), ("deal_price_fen", "900"), ("deal_price_fen", 900.0), ("kind", "vip"),
    ("kind", None), ("product_id", "1"), ("product_id", True), ("starts_at", NAIVE), ("ends_at", NAIVE),
    ("starts_at", "tomorrow"), ("starts_at", 1700000000),
])
def test_deal_with_a_wrong_type_or_range_is_refused(client, make, admin, field, value):
    body = make.deal_body(make.product(), [make.compound()], **{field: value})
    assert_invalid(post(client, make, "deals", body, admin), field)
    assert db.session.query(Deal).count() == 0


def test_deal_price_above_the_list_price_is_refused(client, make, admin):
    product = make.product(price_fen=1000)
    body = make.deal_body(product, [make.compound()], deal_price_fen=1001)
    assert_invalid(post(client, make, "deals", body, admin), "deal_price_fen")


def test_deal_for_an_unknown_product_is_refused(client, make, admin):
    body = make.deal_body(make.product(), [make.compound()])
    body["product_id"] += 1000
    assert_invalid(post(client, make, "deals", body, admin), "product_id")


def test_deal_in_unknown_compounds_is_refused(client, make, admin):
    body = make.deal_body(make.product(), [make.compound()], compound_ids=[987654])
    assert_invalid(post(client, make, "deals", body, admin), "compound_ids")


def test_deal_ending_before_it_starts_is_refused(client, make, admin):
    body = make.deal_body(make.product(), [make.compound()], starts_at="2030-01-02T00:00:00+08:00",
                          ends_at="2030-01-01T00:00:00+08:00")
    assert_invalid(post(client, make, "deals", body, admin), "ends_at")


@pytest.mark.parametrize("field, value", [
    ("discount_fen", 0), ("discount_fen", -5), ("discount_fen", "500"), ("threshold_fen", -1),
    ("threshold_fen", 30.5), ("total", 0), ("total", "10"), ("total", True), ("per_shopper_limit", 0),
    ("per_shopper_limit", 1.5), ("valid_from", NAIVE), ("valid_until", NAIVE), ("valid_from", "soon"),
    ("compound_ids", [987654]), ("title", ""),
])
def test_coupon_template_with_a_wrong_type_or_range_is_refused(client, make, admin, field, value):
    body = make.coupon_template_body([make.compound()], **{field: value})
    assert_invalid(post(client, make, "coupon-templates", body, admin), field)


@pytest.mark.parametrize("valid_until", ["2030-01-01T00:00:00+08:00", "2029-12-31T00:00:00+08:00",
                                         "2029-12-31T16:00:00+00:00"])
def test_coupon_valid_until_not_after_valid_from_is_refused(client, make, admin, valid_until):
    body = make.coupon_template_body([make.compound()], valid_from="2030-01-01T00:00:00+08:00",
                                     valid_until=valid_until)
    assert_invalid(post(client, make, "coupon-templates", body, admin), "valid_until")


def test_coupon_discount_not_below_its_threshold_is_refused(client, make, admin):
    body = make.coupon_template_body([make.compound()], discount_fen=3000, threshold_fen=3000)
    assert_invalid(post(client, make, "coupon-templates", body, admin), "discount_fen")


# --- nothing malformed gets a 500 ----------------------------------------------------------

@pytest.mark.parametrize("path", ["auth", "staff", "compounds", "couriers", "products", "deals",
                                  "coupon-templates"])
@pytest.mark.both_databases
def test_no_bad_field_value_gets_a_500(client, make, admin, path):
    """Every field of every console body, replaced by each hostile value: a 2xx or a clean 4xx."""
    body = valid_bodies(make)[path]
    for field in body:
        for value in BAD_VALUES:
            answer = post(client, make, path, {**body, field: value}, admin)
            where = f"{path}.{field}={value!r}"[:120]
            assert answer.status_code < 500, where
            if answer.status_code >= 400:
                error = answer.get_json()["error"]
                assert error["code"] and error["message"], where
                if error["code"] == "invalid_request":
                    assert any(n == field or n.startswith(field + ".") for n in error["fields"]), \
                        (where, error)


@pytest.mark.parametrize("courier_id", ["0", "99999999999999999999999", str(2**63), str(2**63 - 1)])
@pytest.mark.both_databases
def test_absurd_courier_ids_in_the_path_are_not_found(client, admin, courier_id):
    for method, suffix in (("get", "badge.png"), ("post", "rotate-code")):
        answer = getattr(client, method)(f"{CONSOLE}/couriers/{courier_id}/{suffix}", headers=admin)
        assert_error(answer, 404, "not_found")


@pytest.mark.both_databases
def test_courier_sign_in_with_nul_characters_is_refused_cleanly(client, make):
    courier = make.courier()
    answer = client.post("/api/v1/courier/auth", json={"employee_no": courier.employee_no + "\x00",
                                                       "password": "courier-pass"})
    assert_invalid(answer, "employee_no")


@pytest.mark.both_databases
def test_staff_sign_in_with_nul_characters_is_refused_cleanly(client, make):
    member = make.staff_member()
    answer = client.post(f"{CONSOLE}/auth", json={"username": member.username,
                                                  "password": "staff-\x00password"})
    assert_invalid(answer, "password")


@pytest.mark.parametrize("password", ["abcdef", "六个字密码吗"])
def test_a_courier_password_of_6_characters_or_fewer_is_refused(client, make, admin, password):
    body = make.courier_body([make.compound()], password=password)
    error = assert_invalid(post(client, make, "couriers", body, admin), "password")
    assert "7" in error["fields"]["password"]
    assert db.session.query(Courier).count() == 0


def test_a_courier_password_of_7_characters_is_taken(client, make, admin):
    body = make.courier_body([make.compound()], password="abcd123")
    assert post(client, make, "couriers", body, admin).status_code == 201
