"""Console API: staff sign-in, bearer tokens, roles and staff accounts (API.md, Console)."""
from __future__ import annotations

import time

import itsdangerous
import pytest

from app.extensions import db
from app.models import Compound
from tests.assertions import assert_error
from tests.factories import bearer

CONSOLE = "/api/v1/console"


def create_product(client, headers):
    return client.post(f"{CONSOLE}/products", headers=headers,
                       json={"name": "牛奶", "category": "乳品", "price_fen": 1200})


# --- sign-in -------------------------------------------------------------------------------

def test_staff_signs_in_with_the_right_password(client, make):
    member = make.staff_member("marketing", password="correct horse")
    answer = client.post(f"{CONSOLE}/auth", json={"username": member.username, "password": "correct horse"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["staff"] == {"id": member.id, "username": member.username, "role": "marketing"}
    assert isinstance(body["token"], str) and body["token"]
    assert body["expires_in"] > 0


def test_the_sign_in_token_opens_console_calls_for_that_role(client, make):
    member = make.staff_member("ops", password="ops-password")
    token = client.post(f"{CONSOLE}/auth",
                        json={"username": member.username, "password": "ops-password"}).get_json()["token"]
    assert create_product(client, bearer(token)).status_code == 201


def test_staff_sign_in_with_a_wrong_password_is_refused(client, make):
    member = make.staff_member(password="the-real-one")
    answer = client.post(f"{CONSOLE}/auth", json={"username": member.username, "password": "a-guess-1"})
    assert_error(answer, 401, "bad_credentials")


def test_unknown_username_gets_the_same_answer_as_a_wrong_password(client, make):
    member = make.staff_member(password="the-real-one")
    wrong = client.post(f"{CONSOLE}/auth", json={"username": member.username, "password": "nope-nope"})
    unknown = client.post(f"{CONSOLE}/auth", json={"username": "nobody-here", "password": "nope-nope"})
    assert_error(unknown, 401, "bad_credentials")
    assert unknown.get_json() == wrong.get_json()


@pytest.mark.one_database
def test_staff_sign_in_without_a_password_is_a_validation_error(client, make):
    member = make.staff_member()
    error = assert_error(client.post(f"{CONSOLE}/auth", json={"username": member.username}),
                         422, "invalid_request")
    assert "password" in error["fields"]


# --- tokens --------------------------------------------------------------------------------

@pytest.mark.one_database
def test_console_call_without_authorization_header_is_unauthorized(client):
    assert_error(create_product(client, {}), 401, "unauthorized")


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Token abc", "bearer-less", "Bearer garbage.token.here",
    "Bearer \u4e2d\u6587",
])
@pytest.mark.one_database
def test_console_call_with_a_malformed_or_garbage_token_is_unauthorized(client, header):
    assert_error(create_product(client, {"Authorization": header}), 401, "unauthorized")


@pytest.mark.one_database
def test_token_signed_with_another_secret_is_unauthorized(client, make):
    forged = itsdangerous.URLSafeTimedSerializer("not-our-secret", salt="xiaoge-token").dumps(
        {"aud": "staff", "sub": 1, "role": "admin"})
    assert_error(create_product(client, bearer(forged)), 401, "unauthorized")


@pytest.mark.one_database
def test_expired_staff_token_is_unauthorized(app, client, make, monkeypatch):
    member = make.staff_member("admin")
    ttl = app.config["STAFF_TOKEN_TTL"]
    issued_at = int(time.time()) - ttl - 5
    monkeypatch.setattr(app.extensions["xiaoge.tokens"], "clock", lambda: issued_at)
    stale = app.extensions["xiaoge.tokens"].issue("staff", member.id, member.role,
                                                        token_version=member.token_version)
    monkeypatch.undo()
    assert_error(create_product(client, bearer(stale)), 401, "unauthorized")


@pytest.mark.one_database
def test_staff_token_just_inside_its_lifetime_still_works(app, client, make, monkeypatch):
    member = make.staff_member("admin")
    issued_at = int(time.time()) - app.config["STAFF_TOKEN_TTL"] + 60
    monkeypatch.setattr(app.extensions["xiaoge.tokens"], "clock", lambda: issued_at)
    token = app.extensions["xiaoge.tokens"].issue("staff", member.id, member.role,
                                                        token_version=member.token_version)
    monkeypatch.undo()
    assert create_product(client, bearer(token)).status_code == 201


@pytest.mark.one_database
def test_shopper_token_on_a_console_call_is_unauthorized(client, make):
    _, shopper_headers = make.shopper()
    assert_error(create_product(client, shopper_headers), 401, "unauthorized")


@pytest.mark.one_database
def test_courier_token_on_a_console_call_is_unauthorized(client, make):
    courier_headers = make.courier_headers(make.courier())
    assert_error(create_product(client, courier_headers), 401, "unauthorized")


@pytest.mark.one_database
def test_courier_token_cannot_fetch_a_badge_through_the_console(client, make):
    courier = make.courier()
    answer = client.get(f"{CONSOLE}/couriers/{courier.id}/badge.png", headers=make.courier_headers(courier))
    assert_error(answer, 401, "unauthorized")


@pytest.mark.one_database
def test_unauthorized_caller_learns_nothing_about_the_body(client):
    # Auth comes before validation: no field names leak to a caller without a token.
    error = assert_error(client.post(f"{CONSOLE}/products", json={"price_fen": "x"}), 401, "unauthorized")
    assert "fields" not in error


# --- roles ---------------------------------------------------------------------------------

@pytest.mark.one_database
def test_ops_cannot_create_a_deal(client, make):
    product, compound = make.product(), make.compound()
    answer = client.post(f"{CONSOLE}/deals", headers=make.staff_headers("ops"),
                         json=make.deal_body(product, [compound]))
    assert_error(answer, 403, "forbidden")


@pytest.mark.one_database
def test_ops_cannot_create_a_coupon_template(client, make):
    answer = client.post(f"{CONSOLE}/coupon-templates", headers=make.staff_headers("ops"),
                         json=make.coupon_template_body([make.compound()]))
    assert_error(answer, 403, "forbidden")


@pytest.mark.one_database
def test_marketing_cannot_create_a_compound(client, make):
    answer = client.post(f"{CONSOLE}/compounds", headers=make.staff_headers("marketing"),
                         json=make.compound_body())
    assert_error(answer, 403, "forbidden")


@pytest.mark.one_database
def test_marketing_cannot_create_a_courier(client, make):
    answer = client.post(f"{CONSOLE}/couriers", headers=make.staff_headers("marketing"),
                         json=make.courier_body([make.compound()]))
    assert_error(answer, 403, "forbidden")


@pytest.mark.one_database
def test_marketing_cannot_create_a_product(client, make):
    assert_error(create_product(client, make.staff_headers("marketing")), 403, "forbidden")


@pytest.mark.one_database
def test_marketing_cannot_rotate_a_courier_code_or_print_a_badge(client, make):
    courier, headers = make.courier(), make.staff_headers("marketing")
    assert_error(client.post(f"{CONSOLE}/couriers/{courier.id}/rotate-code", headers=headers),
                 403, "forbidden")
    assert_error(client.get(f"{CONSOLE}/couriers/{courier.id}/badge.png", headers=headers),
                 403, "forbidden")


@pytest.mark.one_database
def test_forbidden_role_changes_nothing(client, make):
    client.post(f"{CONSOLE}/compounds", headers=make.staff_headers("marketing"), json=make.compound_body())
    assert db.session.query(Compound).count() == 0


def test_admin_can_do_everything(client, make):
    admin = make.staff_headers("admin")
    compound = client.post(f"{CONSOLE}/compounds", headers=admin, json=make.compound_body())
    assert compound.status_code == 201
    compound_id = compound.get_json()["compound"]["id"]
    courier = client.post(f"{CONSOLE}/couriers", headers=admin,
                          json={**make.courier_body([]), "compound_ids": [compound_id]})
    assert courier.status_code == 201
    courier_id = courier.get_json()["courier"]["id"]
    product = create_product(client, admin)
    assert product.status_code == 201
    deal = client.post(f"{CONSOLE}/deals", headers=admin, json={
        "product_id": product.get_json()["product"]["id"], "compound_ids": [compound_id],
        "deal_price_fen": 990, "kind": "staff"})
    assert deal.status_code == 201
    coupon = client.post(f"{CONSOLE}/coupon-templates", headers=admin,
                         json={**make.coupon_template_body([]), "compound_ids": [compound_id]})
    assert coupon.status_code == 201
    assert client.post(f"{CONSOLE}/couriers/{courier_id}/rotate-code", headers=admin).status_code == 200
    assert client.get(f"{CONSOLE}/couriers/{courier_id}/badge.png", headers=admin).status_code == 200
    assert client.get(f"{CONSOLE}/compounds", headers=admin).status_code == 200
    staff = client.post(f"{CONSOLE}/staff", headers=admin,
                        json={"username": "new.ops", "password": "long-enough", "role": "ops"})
    assert staff.status_code == 201


def test_ops_and_marketing_can_both_list_compounds(client, make):
    compound = make.compound()
    for role in ("ops", "marketing"):
        answer = client.get(f"{CONSOLE}/compounds", headers=make.staff_headers(role))
        assert answer.status_code == 200
        assert [c["id"] for c in answer.get_json()["compounds"]] == [compound.id]


# --- staff accounts ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["ops", "marketing"])
@pytest.mark.one_database
def test_only_admin_creates_staff(client, make, role):
    answer = client.post(f"{CONSOLE}/staff", headers=make.staff_headers(role),
                         json={"username": "sneaky", "password": "long-enough", "role": "admin"})
    assert_error(answer, 403, "forbidden")


def test_admin_creates_staff_who_can_then_sign_in(client, make):
    answer = client.post(f"{CONSOLE}/staff", headers=make.staff_headers("admin"),
                         json={"username": "mkt.li", "password": "promo-2024!", "role": "marketing"})
    assert answer.status_code == 201
    created = answer.get_json()["staff"]
    assert created["username"] == "mkt.li" and created["role"] == "marketing"
    assert isinstance(created["id"], int)
    assert "password" not in created and "password_hash" not in created
    signed_in = client.post(f"{CONSOLE}/auth", json={"username": "mkt.li", "password": "promo-2024!"})
    assert signed_in.status_code == 200
    assert signed_in.get_json()["staff"] == created


def test_duplicate_staff_username_is_a_conflict(client, make):
    member = make.staff_member("ops")
    answer = client.post(f"{CONSOLE}/staff", headers=make.staff_headers("admin"),
                         json={"username": member.username, "password": "long-enough", "role": "ops"})
    assert_error(answer, 409, "conflict")


@pytest.mark.parametrize("body, field", [
    ({"username": "x", "password": "short", "role": "ops"}, "password"),
    ({"username": "x", "password": "long-enough", "role": "root"}, "role"),
    ({"username": "has space", "password": "long-enough", "role": "ops"}, "username"),
    ({"username": "x", "password": "long-enough"}, "role"),
    ({"password": "long-enough", "role": "ops"}, "username"),
])
@pytest.mark.one_database
def test_invalid_staff_account_is_refused_naming_the_field(client, make, body, field):
    error = assert_error(client.post(f"{CONSOLE}/staff", headers=make.staff_headers("admin"), json=body),
                         422, "invalid_request")
    assert field in error["fields"]
