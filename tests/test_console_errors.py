"""Console conflicts under real concurrency, and the error shape when the database refuses."""
from __future__ import annotations

import threading

from sqlalchemy.exc import DataError

from app.services.accounts import staff as staff_service
from app.services.couriers import registry as courier_service
from tests.concurrency import at_once

CONSOLE = "/api/v1/console"


def post_concurrently(app, path, body, headers, count=2) -> list:
    """POST the same body from `count` threads at once; returns the answers."""
    def post(client):
        return client.post(f"{CONSOLE}/{path}", json=body, headers=headers)

    answers = at_once(app, [post] * count)
    assert not [answer for answer in answers if answer[0] == "exception"], answers
    return answers


def hold_until_both_checked(monkeypatch, module, backend):
    """Make both requests pass the "already taken?" check before either inserts.

    Only on PostgreSQL: SQLite runs writers one at a time (BEGIN IMMEDIATE), so there the
    second request waits for the first one's commit and the barrier could never fill.
    """
    if backend != "postgresql":
        return
    barrier = threading.Barrier(2, timeout=5)
    real_hash = module.hash_password

    def hash_after_barrier(password):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other request already finished: nothing left to race
        return real_hash(password)

    monkeypatch.setattr(module, "hash_password", hash_after_barrier)


def test_two_couriers_created_at_once_with_one_employee_no_give_one_201_and_one_409(
        app, make, monkeypatch, backend):
    body = make.courier_body([make.compound()], employee_no="RACE-01")
    headers = make.staff_headers("ops")
    hold_until_both_checked(monkeypatch, courier_service, backend)
    answers = post_concurrently(app, "couriers", body, headers)
    assert sorted(status for status, _ in answers) == [201, 409]
    conflict = next(body for status, body in answers if status == 409)
    assert conflict["error"]["code"] == "conflict" and conflict["error"]["message"]


def test_two_staff_accounts_created_at_once_with_one_username_give_one_201_and_one_409(
        app, make, monkeypatch, backend):
    body = {"username": "race.staff", "password": "long-enough", "role": "ops"}
    headers = make.staff_headers("admin")
    hold_until_both_checked(monkeypatch, staff_service, backend)
    answers = post_concurrently(app, "staff", body, headers)
    assert sorted(status for status, _ in answers) == [201, 409]


def test_duplicate_employee_no_differing_only_in_surrounding_blanks_is_a_conflict(client, make):
    existing = make.courier()
    body = make.courier_body([make.compound()], employee_no=f"  {existing.employee_no} ")
    answer = client.post(f"{CONSOLE}/couriers", json=body, headers=make.staff_headers("ops"))
    assert answer.status_code == 409


def test_value_the_database_refuses_is_a_422_not_a_500(client, make, monkeypatch):
    def refuse(*args, **kwargs):
        raise DataError("INSERT INTO products ...", {}, Exception("value out of range"))

    monkeypatch.setattr("app.services.store.catalog.create_product", refuse)
    answer = client.post(f"{CONSOLE}/products", json=make.product_body(), headers=make.staff_headers("ops"))
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_request" and error["message"] and error["fields"]


def test_unexpected_failure_still_answers_in_the_error_shape(client, make, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("app.services.store.catalog.create_product", explode)
    answer = client.post(f"{CONSOLE}/products", json=make.product_body(), headers=make.staff_headers("ops"))
    assert answer.status_code == 500
    assert answer.get_json() == {"error": {"code": "internal_error",
                                           "message": "Something went wrong on our side."}}
    assert "boom" not in answer.get_data(as_text=True)
