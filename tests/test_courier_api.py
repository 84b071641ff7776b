"""Courier (handheld) API: sign-in, `me` with the route, and the courier's own badge."""
from __future__ import annotations

import time

import itsdangerous
import pytest

from tests.assertions import assert_error, badge_texts
from tests.factories import bearer

COURIER = "/api/v1/courier"
PUBLIC_URL = "http://shop.test"  # tests/conftest.py app_config


def sign_in(client, employee_no, password):
    return client.post(f"{COURIER}/auth", json={"employee_no": employee_no, "password": password})


# --- sign-in -------------------------------------------------------------------------------

def test_courier_signs_in_and_gets_token_and_route(client, make):
    route = [make.compound(), make.compound()]
    courier = make.courier(route, password="van-key-1", avatar_url="https://cdn.example.com/w.png")
    answer = sign_in(client, courier.employee_no, "van-key-1")
    assert answer.status_code == 200
    body = answer.get_json()
    assert isinstance(body["token"], str) and body["token"]
    assert body["expires_in"] > 0
    assert body["courier"] == {
        "id": courier.id, "name": courier.name, "avatar_url": "https://cdn.example.com/w.png",
        "employee_no": courier.employee_no, "courier_code": courier.courier_code,
        "compounds": [{"id": c.id, "name": c.name} for c in route],
    }


def test_courier_sign_in_with_a_wrong_password_is_refused(client, make):
    courier = make.courier(password="van-key-1")
    assert_error(sign_in(client, courier.employee_no, "van-key-2"), 401, "bad_credentials")


def test_unknown_employee_no_gets_the_same_answer_as_a_wrong_password(client, make):
    courier = make.courier(password="van-key-1")
    wrong = sign_in(client, courier.employee_no, "van-key-2")
    unknown = sign_in(client, "NO-SUCH-COURIER", "van-key-2")
    assert_error(unknown, 401, "bad_credentials")
    assert unknown.get_json() == wrong.get_json()


def test_staff_credentials_do_not_sign_a_courier_in(client, make):
    member = make.staff_member("ops", password="staff-password")
    assert_error(sign_in(client, member.username, "staff-password"), 401, "bad_credentials")


@pytest.mark.parametrize("body, field", [
    ({"password": "van-key-1"}, "employee_no"),
    ({"employee_no": "E1"}, "password"),
    ({"employee_no": 12345, "password": "van-key-1"}, "employee_no"),
    ({"employee_no": "E1", "password": None}, "password"),
    ({"employee_no": "", "password": "van-key-1"}, "employee_no"),
])
@pytest.mark.one_database
def test_courier_sign_in_with_a_bad_body_names_the_field(client, body, field):
    error = assert_error(client.post(f"{COURIER}/auth", json=body), 422, "invalid_request")
    assert field in error["fields"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"just a string"', "null", "[" * 100_000])
@pytest.mark.one_database
def test_courier_sign_in_with_a_malformed_body_is_a_clean_4xx(client, raw):
    answer = client.post(f"{COURIER}/auth", data=raw, content_type="application/json")
    assert 400 <= answer.status_code < 500
    assert set(answer.get_json()["error"]) >= {"code", "message"}


# --- me ------------------------------------------------------------------------------------

def test_me_shows_the_signed_in_courier_and_their_route(client, make):
    route = [make.compound(), make.compound(), make.compound()]
    courier = make.courier(route)
    answer = client.get(f"{COURIER}/me", headers=make.courier_headers(courier))
    assert answer.status_code == 200
    me = answer.get_json()["courier"]
    assert me["id"] == courier.id and me["name"] == courier.name
    assert me["courier_code"] == courier.courier_code
    assert me["avatar_url"] is None
    assert me["compounds"] == [{"id": c.id, "name": c.name} for c in route]


def test_me_reflects_a_rotated_code_without_signing_in_again(client, make):
    courier = make.courier()
    headers = make.courier_headers(courier)
    rotated = client.post(f"/api/v1/console/couriers/{courier.id}/rotate-code",
                          headers=make.staff_headers("ops")).get_json()["courier"]["courier_code"]
    assert client.get(f"{COURIER}/me", headers=headers).get_json()["courier"]["courier_code"] == rotated


@pytest.mark.one_database
def test_me_without_a_token_is_unauthorized(client):
    assert_error(client.get(f"{COURIER}/me"), 401, "unauthorized")


@pytest.mark.one_database
def test_me_with_a_garbage_token_is_unauthorized(client):
    assert_error(client.get(f"{COURIER}/me", headers=bearer("garbage")), 401, "unauthorized")


@pytest.mark.one_database
def test_me_with_a_staff_token_is_unauthorized(client, make):
    assert_error(client.get(f"{COURIER}/me", headers=make.staff_headers("admin")), 401, "unauthorized")


@pytest.mark.one_database
def test_me_with_a_shopper_token_is_unauthorized(client, make):
    _, shopper_headers = make.shopper()
    assert_error(client.get(f"{COURIER}/me", headers=shopper_headers), 401, "unauthorized")


@pytest.mark.one_database
def test_expired_courier_token_is_unauthorized(app, client, make, monkeypatch):
    courier = make.courier()
    issued_at = int(time.time()) - app.config["COURIER_TOKEN_TTL"] - 5
    monkeypatch.setattr(app.extensions["xiaoge.tokens"], "clock", lambda: issued_at)
    stale = app.extensions["xiaoge.tokens"].issue("courier", courier.id, token_version=courier.token_version)
    monkeypatch.undo()
    assert_error(client.get(f"{COURIER}/me", headers=bearer(stale)), 401, "unauthorized")


@pytest.mark.one_database
def test_courier_token_signed_with_another_secret_is_unauthorized(client, make):
    courier = make.courier()
    forged = itsdangerous.URLSafeTimedSerializer("guessed", salt="xiaoge-token").dumps(
        {"aud": "courier", "sub": courier.id})
    assert_error(client.get(f"{COURIER}/me", headers=bearer(forged)), 401, "unauthorized")


# --- the courier's own badge ---------------------------------------------------------------

def test_courier_downloads_their_own_badge(client, make):
    courier = make.courier(name="钱师傅")
    answer = client.get(f"{COURIER}/badge.png", headers=make.courier_headers(courier))
    assert answer.status_code == 200
    assert answer.mimetype == "image/png"
    assert badge_texts(answer.data) == [f"{PUBLIC_URL}/s/{courier.courier_code}"]


def test_courier_badge_is_their_own_not_another_couriers(client, make):
    mine, theirs = make.courier(), make.courier()
    answer = client.get(f"{COURIER}/badge.png", headers=make.courier_headers(mine))
    assert badge_texts(answer.data) == [f"{PUBLIC_URL}/s/{mine.courier_code}"]
    assert theirs.courier_code not in badge_texts(answer.data)[0]


def test_courier_badge_follows_a_rotated_code(client, make):
    courier = make.courier()
    headers = make.courier_headers(courier)
    old_code = courier.courier_code
    new_code = client.post(f"/api/v1/console/couriers/{courier.id}/rotate-code",
                           headers=make.staff_headers("ops")).get_json()["courier"]["courier_code"]
    assert badge_texts(client.get(f"{COURIER}/badge.png", headers=headers).data) == [
        f"{PUBLIC_URL}/s/{new_code}"]
    assert client.get(f"/s/{old_code}").status_code == 404


@pytest.mark.one_database
def test_courier_badge_needs_a_courier_token(client, make):
    assert_error(client.get(f"{COURIER}/badge.png"), 401, "unauthorized")
    assert_error(client.get(f"{COURIER}/badge.png", headers=make.staff_headers("admin")), 401, "unauthorized")
