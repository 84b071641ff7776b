"""Malformed, mistyped and unauthorised shopper requests: always the error shape, never a 500."""
from __future__ import annotations

import json

import pytest

from app.services.accounts.tokens import TokenService
from tests.assertions import assert_error, assert_invalid
from tests.factories import bearer

# Refused before the database answers: SQLite is enough, except where a value at a column's
# limits (a huge id, NUL, a lone surrogate) reaches the database (both_databases).
pytestmark = pytest.mark.one_database

HUGE_ID = 10**20  # beyond any integer column

# Every shopper endpoint that needs a shopper token: (method, path, json body).
SHOPPER_ENDPOINTS = [
    ("post", "/api/v1/me/profile", {"encrypted_data": "AAAA", "iv": "AAAA"}),
    ("post", "/api/v1/me/phone", {"code": "x"}),
    ("get", "/api/v1/compounds", None),
    ("post", "/api/v1/me/addresses", {"recipient": "a", "phone": "13800000000", "detail": "d"}),
    ("get", "/api/v1/me/addresses", None),
    ("post", "/api/v1/store-sessions", {"courier_code": "x"}),
    ("get", "/api/v1/store-sessions/1/storefront", None),
    ("post", "/api/v1/coupons/1/claims", None),
    ("get", "/api/v1/me/coupons", None),
    ("post", "/api/v1/orders", {"store_session_id": 1, "items": [{"product_id": 1, "quantity": 1}]}),
    ("get", "/api/v1/me/orders", None),
]
BODY_ENDPOINTS = [(m, p, b) for m, p, b in SHOPPER_ENDPOINTS if b is not None] + [
    ("post", "/api/v1/auth/wechat", {"code": "x"})]


def send(client, method, path, headers, **kwargs):
    headers = {**headers, "Idempotency-Key": "validation"}
    return getattr(client, method)(path, headers=headers, **kwargs)


@pytest.fixture
def shopper_headers(make):
    return make.shopper(home=make.compound())[1]


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("method, path, body", SHOPPER_ENDPOINTS)
def test_shopper_endpoints_without_a_token_are_unauthorized(client, method, path, body):
    assert_error(send(client, method, path, {}, json=body), 401, "unauthorized")


@pytest.mark.parametrize("method, path, body", SHOPPER_ENDPOINTS)
def test_shopper_endpoints_refuse_a_courier_token(client, make, method, path, body):
    headers = make.courier_headers(make.courier())
    assert_error(send(client, method, path, headers, json=body), 401, "unauthorized")


@pytest.mark.parametrize("method, path, body", SHOPPER_ENDPOINTS)
def test_shopper_endpoints_refuse_a_staff_token(client, make, method, path, body):
    headers = make.staff_headers("admin")
    assert_error(send(client, method, path, headers, json=body), 401, "unauthorized")


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "token"])
def test_malformed_authorization_is_unauthorized(client, authorization):
    answer = client.get("/api/v1/me/addresses", headers={"Authorization": authorization})
    assert_error(answer, 401, "unauthorized")


def test_token_signed_with_another_key_is_unauthorized(client, make):
    shopper_id, _ = make.shopper()
    forged = TokenService("another-secret", {"shopper": 3600}).issue("shopper", shopper_id)
    assert_error(client.get("/api/v1/me/addresses", headers=bearer(forged)), 401, "unauthorized")


# --- malformed bodies --------------------------------------------------------------------


@pytest.mark.parametrize("method, path, body", BODY_ENDPOINTS)
def test_malformed_json_is_refused_with_the_error_shape(client, shopper_headers, method, path, body):
    answer = send(client, method, path, shopper_headers, data='{"code": "x",',
                  content_type="application/json")
    assert answer.status_code in (400, 422)
    assert_error(answer, answer.status_code)


@pytest.mark.parametrize("method, path, body", BODY_ENDPOINTS)
def test_json_list_body_is_invalid_request(client, shopper_headers, method, path, body):
    assert_invalid(send(client, method, path, shopper_headers, json=[body]))


@pytest.mark.parametrize("method, path, body", BODY_ENDPOINTS)
def test_json_scalar_bodies_are_invalid_request(client, shopper_headers, method, path, body):
    for scalar in ("text", 42, None, True):
        assert_invalid(send(client, method, path, shopper_headers, data=json.dumps(scalar),
                            content_type="application/json"))


@pytest.mark.parametrize("method, path, body", BODY_ENDPOINTS)
def test_missing_fields_are_named(client, shopper_headers, method, path, body):
    assert_invalid(send(client, method, path, shopper_headers, json={}), *body)


def test_form_encoded_body_is_invalid_request(client):
    assert_invalid(client.post("/api/v1/auth/wechat", data={"code": "x"}), "code")


def test_non_utf8_body_is_refused_with_the_error_shape(client):
    answer = client.post("/api/v1/auth/wechat", data=b'{"code": "\xff\xfe"}', content_type="application/json")
    assert answer.status_code in (400, 422)
    assert_error(answer, answer.status_code)


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/auth/wechat", {"code": 123}, "code"),
    ("/api/v1/auth/wechat", {"code": ""}, "code"),
    ("/api/v1/auth/wechat", {"code": "   "}, "code"),
    ("/api/v1/auth/wechat", {"code": "x" * 129}, "code"),
    ("/api/v1/auth/wechat", {"code": None}, "code"),
    ("/api/v1/auth/wechat", {"code": ["x"]}, "code"),
    ("/api/v1/auth/wechat", {"code": {"x": 1}}, "code"),
])
def test_wrong_login_code_types_are_invalid_request(client, path, body, field):
    assert_invalid(client.post(path, json=body), field)


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/me/profile", {"encrypted_data": 1, "iv": "x"}, "encrypted_data"),
    ("/api/v1/me/profile", {"encrypted_data": "x", "iv": ["x"]}, "iv"),
    ("/api/v1/me/phone", {"code": 13800000000}, "code"),
    ("/api/v1/me/addresses", {"recipient": "a", "phone": "not a phone", "detail": "d"}, "phone"),
    ("/api/v1/me/addresses", {"recipient": "a", "phone": "13800000000", "detail": 5}, "detail"),
    ("/api/v1/me/addresses", {"recipient": "a", "phone": "13800000000", "detail": "d", "compound_id": "1"},
     "compound_id"),
    ("/api/v1/me/addresses", {"recipient": "a", "phone": "13800000000", "detail": "d", "compound_id": 0},
     "compound_id"),
    ("/api/v1/me/addresses", {"recipient": "a", "phone": "13800000000", "detail": "d", "compound_id": 1.5},
     "compound_id"),
    ("/api/v1/me/addresses", {"recipient": "a", "phone": "13800000000", "detail": "d", "is_default": "maybe"},
     "is_default"),
    ("/api/v1/me/addresses", {"recipient": "a" * 61, "phone": "13800000000", "detail": "d"}, "recipient"),
    ("/api/v1/store-sessions", {"courier_code": 7}, "courier_code"),
    ("/api/v1/store-sessions", {"courier_code": "x", "compound_id": "two"}, "compound_id"),
    ("/api/v1/store-sessions", {"courier_code": "x", "compound_id": -3}, "compound_id"),
    ("/api/v1/orders", {"store_session_id": "1", "items": [{"product_id": 1, "quantity": 1}]},
     "store_session_id"),
    ("/api/v1/orders", {"store_session_id": 1, "items": {"product_id": 1, "quantity": 1}}, "items"),
    ("/api/v1/orders", {"store_session_id": 1, "items": "milk"}, "items"),
    ("/api/v1/orders", {"store_session_id": 1, "items": [{"product_id": 1, "quantity": "2"}]},
     "items.0.quantity"),
    ("/api/v1/orders", {"store_session_id": 1, "items": [{"product_id": 1, "quantity": 1.5}]},
     "items.0.quantity"),
    ("/api/v1/orders", {"store_session_id": 1, "items": [{"product_id": 1, "quantity": True}]},
     "items.0.quantity"),
    ("/api/v1/orders", {"store_session_id": 1, "items": [{"quantity": 1}]}, "items.0.product_id"),
    ("/api/v1/orders", {"store_session_id": 1, "items": [{"product_id": 1, "quantity": 1}], "coupon_id": "c"},
     "coupon_id"),
    ("/api/v1/orders", {"store_session_id": 1, "items": [{"product_id": 1, "quantity": 1}] * 51}, "items"),
])
def test_wrong_types_are_invalid_request_naming_the_field(client, shopper_headers, path, body, field):
    assert_invalid(send(client, "post", path, shopper_headers, json=body), field)


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/auth/wechat", {"code": "\ud800"}, "code"),
    ("/api/v1/auth/wechat", {"code": "a\u0000b"}, "code"),
    ("/api/v1/me/phone", {"code": "\udfff"}, "code"),
    ("/api/v1/me/addresses", {"recipient": "\ud800", "phone": "13800000000", "detail": "d"}, "recipient"),
    ("/api/v1/me/addresses", {"recipient": "a", "phone": "13800000000", "detail": "1栋\ud83d"}, "detail"),
    ("/api/v1/me/addresses", {"recipient": "a\u0000", "phone": "13800000000", "detail": "d"}, "recipient"),
    ("/api/v1/store-sessions", {"courier_code": "\ud800"}, "courier_code"),
    ("/api/v1/store-sessions", {"courier_code": "x\u0000"}, "courier_code"),
])
@pytest.mark.both_databases
def test_text_that_cannot_be_stored_is_invalid_request(client, shopper_headers, path, body, field):
    # Lone surrogates cannot be encoded as UTF-8 and NUL cannot be stored by PostgreSQL.
    raw = json.dumps(body)  # ASCII with \\u escapes: the test client cannot send a lone surrogate raw
    assert_invalid(send(client, "post", path, shopper_headers, data=raw, content_type="application/json"), field)


def test_deeply_nested_json_is_refused_with_the_error_shape(client):
    answer = client.post("/api/v1/auth/wechat", data="[" * 100_000, content_type="application/json")
    assert answer.status_code in (400, 422)
    assert_error(answer, answer.status_code)


@pytest.mark.parametrize("query, field", [("lat=north&lng=1", "lat"), ("lat=1&lng=200", "lng"),
                                          ("lat=nan&lng=1", "lat"), ("q=" + "x" * 61, "q")])
def test_bad_compound_search_parameters_are_invalid_request(client, shopper_headers, query, field):
    assert_invalid(client.get(f"/api/v1/compounds?{query}", headers=shopper_headers), field)


def test_an_order_line_that_is_not_an_object_is_invalid_request(client, shopper_headers):
    answer = send(client, "post", "/api/v1/orders", shopper_headers, json={"store_session_id": 1, "items": [7]})
    fields = assert_invalid(answer)["fields"]
    assert any(name.startswith("items.0") for name in fields), fields


def test_empty_idempotency_key_is_invalid_request(client, shopper_headers):
    answer = client.post("/api/v1/orders", json={"store_session_id": 1, "items": [{"product_id": 1, "quantity": 1}]},
                         headers={**shopper_headers, "Idempotency-Key": " "})
    assert_invalid(answer, "Idempotency-Key")


# --- ids that do not exist ---------------------------------------------------------------


@pytest.mark.parametrize("missing_id", [999_999, 2**31, 2**63, HUGE_ID])
@pytest.mark.both_databases
def test_storefront_of_a_missing_session_is_not_found(client, shopper_headers, missing_id):
    answer = client.get(f"/api/v1/store-sessions/{missing_id}/storefront", headers=shopper_headers)
    assert_error(answer, 404, "not_found")


@pytest.mark.parametrize("missing_id", [999_999, 2**31, 2**63, HUGE_ID])
@pytest.mark.both_databases
def test_claiming_a_missing_template_is_not_found(client, shopper_headers, missing_id):
    answer = client.post(f"/api/v1/coupons/{missing_id}/claims", headers=shopper_headers)
    assert_error(answer, 404, "not_found")


@pytest.mark.parametrize("missing_id", [999_999, 2**63 - 1])
@pytest.mark.both_databases
def test_ordering_in_a_missing_session_is_not_found(client, shopper_headers, missing_id):
    answer = client.post("/api/v1/orders", json={"store_session_id": missing_id,
                                                 "items": [{"product_id": 1, "quantity": 1}]},
                         headers={**shopper_headers, "Idempotency-Key": f"missing-{missing_id}"})
    assert_error(answer, 404, "not_found")


@pytest.mark.parametrize("missing_id", [999_999, HUGE_ID])
@pytest.mark.both_databases
def test_missing_product_and_coupon_ids_are_invalid_request(client, make, missing_id):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    _, headers = make.shopper(home=home)
    session_id = make.store_session(headers, courier)
    product = make.product()
    for n, (items, coupon_id, field) in enumerate([
        # an id no row has is "unknown" to the service; one no BIGINT holds is refused by the schema
        ([{"product_id": missing_id, "quantity": 1}], None, "items" if missing_id < 2**63 else "items.0.product_id"),
        ([{"product_id": product.id, "quantity": 1}], missing_id, "coupon_id"),
    ]):
        answer = client.post("/api/v1/orders", json={"store_session_id": session_id, "items": items,
                                                     "coupon_id": coupon_id},
                             headers={**headers, "Idempotency-Key": f"m{n}-{missing_id}"})
        assert_invalid(answer, field)


@pytest.mark.parametrize("missing_id", [999_999, HUGE_ID])
@pytest.mark.both_databases
def test_missing_compound_ids_are_invalid_request(client, make, missing_id):
    courier = make.courier()
    _, headers = make.shopper()
    address = client.post("/api/v1/me/addresses", json={"recipient": "a", "phone": "13800000000", "detail": "d",
                                                         "compound_id": missing_id}, headers=headers)
    assert_invalid(address, "compound_id")
    session = client.post("/api/v1/store-sessions", json={"courier_code": courier.courier_code,
                                                          "compound_id": missing_id}, headers=headers)
    assert_invalid(session, "compound_id")


def test_unknown_api_path_is_not_found_with_the_error_shape(client, shopper_headers):
    assert_error(client.get("/api/v1/me/nothing-here", headers=shopper_headers), 404, "not_found")


def test_wrong_method_is_refused_with_the_error_shape(client, shopper_headers):
    assert_error(client.delete("/api/v1/me/addresses", headers=shopper_headers), 405)
