"""Pick list and handover at the van (both backends): the code completes a won item's order once."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import IdempotentAnswer, Order
from app.services.store import pickups
from tests.concurrency import at_once, error_code
from tests.test_shake_concurrency import fire_at_once

COURIER = "/api/v1/courier"


def won_item(make, **courier_kw):
    """A courier whose van opened a round with an item prize, and a shopper who won it."""
    home = make.compound()
    courier = make.courier([home], **courier_kw)
    product = make.product(name="五常大米")
    make.campaign([home], prizes=[{"kind": "item", "product_id": product.id, "per_round": 3,
                                   "win_probability": 1.0}])
    headers = make.courier_headers(courier)
    arrived = make.arrival(courier, home, headers=headers)
    assert arrived.status_code == 201, arrived.get_json()
    _, shopper_headers = make.shopper(home=home)
    shaken = make.shake(arrived.get_json()["rounds"][0]["id"], shopper_headers).get_json()
    assert shaken["result"] == "win", shaken
    # Test-client requests share this thread's session; end the read the shake left open
    # (on SQLite every transaction holds the write lock) before other threads write.
    db.session.rollback()
    return home, headers, shaken["prize"]["order"]


def hand_over(client, headers, order_id, code, event_id=None):
    body = {"pickup_code": code} if event_id is None else {"pickup_code": code, "event_id": event_id}
    return client.post(f"{COURIER}/pickups/{order_id}/handover", json=body, headers=headers)


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_won_item_is_on_the_couriers_pick_list_for_the_compound(client, make):
    home, headers, order = won_item(make)

    listed = client.get(f"{COURIER}/pickups", query_string={"compound_id": home.id}, headers=headers)

    assert listed.status_code == 200
    [shown] = listed.get_json()["orders"]
    assert shown["id"] == order["id"] and shown["status"] == "reserved" and shown["source"] == "shake"
    assert [(item["name"], item["quantity"]) for item in shown["items"]] == [("五常大米", 1)]
    assert "pickup_code" not in shown  # the shopper reads it out; the van does not know it
    other = make.compound()
    assert client.get(f"{COURIER}/pickups", query_string={"compound_id": other.id},
                      headers=headers).get_json()["orders"] == []


def test_right_code_completes_the_order_and_it_leaves_the_pick_list(client, make):
    home, headers, order = won_item(make)

    answer = hand_over(client, headers, order["id"], order["pickup_code"])

    assert answer.status_code == 200
    assert answer.get_json() == {"order": {"id": order["id"], "status": "completed"}}
    stored = db.session.get(Order, order["id"])
    assert stored.status == "completed" and stored.completed_at is not None
    assert client.get(f"{COURIER}/pickups", headers=headers).get_json()["orders"] == []


def test_handover_again_with_the_right_code_answers_the_same_and_completes_once(client, make):
    _, headers, order = won_item(make)
    first = hand_over(client, headers, order["id"], order["pickup_code"])
    completed_at = db.session.get(Order, order["id"]).completed_at

    again = hand_over(client, headers, order["id"], order["pickup_code"])

    assert again.status_code == first.status_code == 200
    assert again.get_json() == first.get_json()
    db.session.expire_all()
    assert db.session.get(Order, order["id"]).completed_at == completed_at


def test_wrong_code_is_409_wrong_code_and_leaves_the_order_reserved(client, make):
    _, headers, order = won_item(make)

    answer = hand_over(client, headers, order["id"], wrong(order["pickup_code"]))

    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "wrong_code" and error["message"]
    assert error["attempts_left"] == pickups.MAX_WRONG_CODES - 1
    stored = db.session.get(Order, order["id"])
    assert stored.status == "reserved" and stored.wrong_code_attempts == 1


def test_after_too_many_wrong_codes_even_the_right_one_is_refused_until_ops_resets(client, make):
    _, headers, order = won_item(make)
    for left in range(pickups.MAX_WRONG_CODES - 1, -1, -1):
        answer = hand_over(client, headers, order["id"], wrong(order["pickup_code"]))
        assert answer.status_code == 409 and answer.get_json()["error"]["attempts_left"] == left

    locked = hand_over(client, headers, order["id"], order["pickup_code"])

    assert locked.status_code == 429 and locked.get_json()["error"]["code"] == "too_many_attempts"
    assert db.session.get(Order, order["id"]).status == "reserved"
    pickups.reset_wrong_codes(db.session, order["id"])
    db.session.commit()
    assert hand_over(client, headers, order["id"], order["pickup_code"]).status_code == 200


def test_another_couriers_order_is_not_found(client, make):
    home, _, order = won_item(make)
    stranger = make.courier([home])

    answer = hand_over(client, make.courier_headers(stranger), order["id"], order["pickup_code"])

    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    stored = db.session.get(Order, order["id"])
    assert stored.status == "reserved" and stored.wrong_code_attempts == 0


@pytest.mark.parametrize("order_id", [999_999, 2**63])
def test_unknown_order_is_not_found(client, make, order_id):
    headers = make.courier_headers(make.courier())
    assert hand_over(client, headers, order_id, "123456").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({}, "pickup_code"), ({"pickup_code": 123456}, "pickup_code"), ({"pickup_code": ""}, "pickup_code"),
    ({"pickup_code": "123456", "event_id": "x" * 101}, "event_id"),
])
@pytest.mark.one_database
def test_bad_handover_body_names_the_field(client, make, body, field):
    _, headers, order = won_item(make)
    answer = client.post(f"{COURIER}/pickups/{order['id']}/handover", json=body, headers=headers)
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


@pytest.mark.one_database
def test_handover_needs_a_courier_token(client, make):
    _, _, order = won_item(make)
    _, shopper_headers = make.shopper()
    assert hand_over(client, shopper_headers, order["id"], order["pickup_code"]).status_code == 401


def test_a_resent_handover_tap_replays_its_first_answer(client, make):
    _, headers, order = won_item(make)
    first = hand_over(client, headers, order["id"], wrong(order["pickup_code"]), event_id="tap-1")

    resent = hand_over(client, headers, order["id"], wrong(order["pickup_code"]), event_id="tap-1")

    assert resent.status_code == first.status_code == 409
    assert resent.get_json() == first.get_json()
    assert db.session.get(Order, order["id"]).wrong_code_attempts == 1  # counted once
    done = hand_over(client, headers, order["id"], order["pickup_code"], event_id="tap-2")
    assert done.status_code == 200
    replayed = hand_over(client, headers, order["id"], order["pickup_code"], event_id="tap-2")
    assert replayed.status_code == 200 and replayed.get_json() == done.get_json()
    assert db.session.scalar(select(func.count()).select_from(IdempotentAnswer)
                             .where(IdempotentAnswer.scope == "handover")) == 2


@pytest.mark.parametrize("with_event_ids", [False, True])
def test_concurrent_handovers_complete_the_order_exactly_once(app, make, monkeypatch, with_event_ids):
    _, headers, order = won_item(make)
    completions = []
    original = pickups.complete_once

    def counting(session, order_, now):
        done = original(session, order_, now)
        completions.append(done)
        return done

    monkeypatch.setattr(pickups, "complete_once", counting)
    path = f"{COURIER}/pickups/{order['id']}/handover"
    requests = [(path, {"pickup_code": order["pickup_code"],
                        **({"event_id": f"tap-{n}"} if with_event_ids else {})}, headers) for n in range(8)]

    answers = fire_at_once(app, requests)

    assert Counter(status for status, _ in answers) == Counter({200: 8})
    completed = {"order": {"id": order["id"], "status": "completed"}}
    assert all(body == completed for _, body in answers)
    assert completions.count(True) == 1
    db.session.expire_all()
    assert db.session.get(Order, order["id"]).status == "completed"


def test_concurrent_wrong_codes_never_count_past_the_limit(app, make):
    _, headers, order = won_item(make)
    path = f"{COURIER}/pickups/{order['id']}/handover"
    requests = [(path, {"pickup_code": wrong(order["pickup_code"])}, headers)] * 12

    answers = fire_at_once(app, requests)

    statuses = Counter(status for status, _ in answers)
    assert statuses == Counter({409: pickups.MAX_WRONG_CODES, 429: 12 - pickups.MAX_WRONG_CODES})
    db.session.expire_all()
    assert db.session.get(Order, order["id"]).wrong_code_attempts == pickups.MAX_WRONG_CODES


@pytest.mark.one_database
def test_handover_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/courier/pickups/{order_id}/handover"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert {"200", "409", "429"} <= set(operation["responses"])


def counting_code_checks(monkeypatch) -> list:
    """Record every comparison of a pickup code (secrets.compare_digest), however pickups calls it."""
    compared: list = []
    original = pickups.secrets.compare_digest

    def counting(given, expected):
        compared.append(given)
        return original(given, expected)

    monkeypatch.setattr(pickups.secrets, "compare_digest", counting)
    return compared


def test_thirty_wrong_codes_at_once_are_five_tries_and_only_five_are_ever_compared(app, make, monkeypatch):
    _, headers, order = won_item(make)
    compared = counting_code_checks(monkeypatch)
    guess = {"pickup_code": wrong(order["pickup_code"])}
    path = f"{COURIER}/pickups/{order['id']}/handover"

    results = at_once(app, [lambda client: client.post(path, json=guess, headers=headers)] * 30)

    assert Counter((status, error_code((status, body))) for status, body in results) == Counter(
        {(409, "wrong_code"): pickups.MAX_WRONG_CODES, (429, "too_many_attempts"): 30 - pickups.MAX_WRONG_CODES})
    assert len(compared) == pickups.MAX_WRONG_CODES  # the code was checked only for counted tries
    db.session.expire_all()
    stored = db.session.get(Order, order["id"])
    assert (stored.status, stored.wrong_code_attempts) == ("reserved", pickups.MAX_WRONG_CODES)


def test_the_right_code_among_wrong_ones_at_the_last_try_either_completes_or_is_locked_out(app, make):
    _, headers, order = won_item(make)
    for _ in range(pickups.MAX_WRONG_CODES - 1):
        assert hand_over(app.test_client(), headers, order["id"], wrong(order["pickup_code"])).status_code == 409
    path = f"{COURIER}/pickups/{order['id']}/handover"
    guesses = [wrong(order["pickup_code"])] * 29 + [order["pickup_code"]]

    results = at_once(app, [lambda client, code=code: client.post(path, json={"pickup_code": code}, headers=headers)
                            for code in guesses])

    right, wrongs = results[-1], Counter((status, error_code((status, body))) for status, body in results[:-1])
    db.session.expire_all()
    stored = db.session.get(Order, order["id"])
    if right[0] == 200:  # the right code took the last try: the order is handed over, nothing else was counted
        assert right[1] == {"order": {"id": order["id"], "status": "completed"}}
        assert stored.status == "completed" and stored.wrong_code_attempts == pickups.MAX_WRONG_CODES - 1
        assert set(wrongs) <= {(409, "wrong_code"), (429, "too_many_attempts")}
    else:  # a wrong code took it: the order is locked, and the right code was never let through
        assert (right[0], error_code(right)) == (429, "too_many_attempts")
        assert wrongs == Counter({(409, "wrong_code"): 1, (429, "too_many_attempts"): 28})
        assert stored.status == "reserved" and stored.wrong_code_attempts == pickups.MAX_WRONG_CODES
