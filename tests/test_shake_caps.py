"""Each shopper's shakes on a worker: at most a few in flight, and a human cadence (app/actions/admission.py).

Past either cap: 429 `rate_limited`, retry after 1 s, nothing done and nothing stored under the
shake_id, so the retry goes through; REST and socket shakes alike.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.actions.admission import Admission, ShakeCadence
from app.config import from_environment
from app.services.errors import RateLimited, Unavailable
from tests.assertions import assert_error
from tests.test_redis_shakes import socket_shake
from tests.test_shake_flow import shopper_socket
from tests.test_shakes import open_round


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here runs on both draw engines (app/services/shaking/)."""
    return request.param


def test_one_shopper_gets_at_most_their_in_flight_places_and_the_others_still_get_in():
    admission = Admission(limit=10, per_shopper=2)
    with admission.admit(1), admission.admit(1):
        with pytest.raises(RateLimited) as refused:
            with admission.admit(1):
                pass
        with admission.admit(2):
            assert admission.in_flight == 3
    assert refused.value.status == 429 and refused.value.extra["retry_after_seconds"] == 1
    assert admission.in_flight == 0 and not admission.shoppers_in_flight  # nothing kept for shoppers gone


def test_the_workers_limit_still_answers_503_when_no_shopper_is_over_theirs():
    admission = Admission(limit=1, per_shopper=2)
    with admission.admit(1):
        with pytest.raises(Unavailable):
            with admission.admit(2):
                pass


def test_a_shoppers_cadence_is_a_burst_then_the_rate():
    cadence = ShakeCadence(rate=5, burst=2)
    for _ in range(2):
        assert cadence.has_token(7, now=100.0)
        cadence.take(7, now=100.0)

    assert not cadence.has_token(7, now=100.1)
    assert cadence.has_token(7, now=100.2)  # 5 a second: one more every 0.2 s
    assert cadence.has_token(8, now=100.1)  # another shopper's bucket is their own


def test_a_worker_forgets_the_cadence_of_shoppers_who_stopped_shaking(monkeypatch):
    monkeypatch.setattr("app.actions.admission.PRUNE_EVERY", 3)
    cadence = ShakeCadence(rate=5, burst=10)  # full again 2 s after a shopper's last shake
    cadence.take(1, now=100.0)
    cadence.take(2, now=101.0)
    cadence.take(3, now=102.5)  # the third take sweeps: shopper 1's bucket is full again, 2's not yet

    assert sorted(cadence._buckets) == [2, 3]
    assert cadence.has_token(1, now=102.5)


def test_the_caps_are_on_by_default(monkeypatch):
    for name in ("SHAKE_MAX_IN_FLIGHT_PER_SHOPPER", "SHAKE_RATE_PER_SHOPPER", "SHAKE_BURST_PER_SHOPPER"):
        monkeypatch.delenv(name, raising=False)
    config = from_environment()
    assert (config["SHAKE_MAX_IN_FLIGHT_PER_SHOPPER"], config["SHAKE_RATE_PER_SHOPPER"],
            config["SHAKE_BURST_PER_SHOPPER"]) == (8, 5.0, 20)


def test_a_shake_past_the_shoppers_in_flight_cap_is_a_429_to_retry_that_did_nothing(app, make, monkeypatch):
    app.extensions["xiaoge.shake_admission"] = Admission(limit=100, per_shopper=1)
    home = make.compound()
    _, round_id = open_round(make, home)
    _, greedy = make.shopper(home=home)
    _, neighbour = make.shopper(home=home)
    engine = app.extensions["xiaoge.draw_engine"]
    inside, release = threading.Event(), threading.Event()
    real_shake = engine.shake

    def slow_shake(*args, **kwargs):
        if args[3] == "held":  # (session, shopper_id, round_id, shake_id, known_home)
            inside.set()
            assert release.wait(10)
        return real_shake(*args, **kwargs)

    monkeypatch.setattr(engine, "shake", slow_shake)
    with ThreadPoolExecutor(1) as pool:
        def shake_held():
            with app.test_client() as client:
                return client.post(f"/api/v1/shake-rounds/{round_id}/shakes", json={"shake_id": "held"},
                                   headers=greedy)
        busy = pool.submit(shake_held)
        assert inside.wait(10)
        refused = make.shake(round_id, greedy, shake_id="second")
        neighbours = make.shake(round_id, neighbour)
        release.set()
        assert busy.result().status_code == 200

    error = assert_error(refused, 429, "rate_limited")
    assert error["retry_after_seconds"] == 1 and refused.headers["Retry-After"] == "1"
    assert neighbours.status_code == 200
    retried = make.shake(round_id, greedy, shake_id="second")
    assert retried.status_code == 200 and retried.get_json()["shakes_left"] == 1  # the refusal counted nothing


def test_shaking_faster_than_the_cadence_is_a_429_to_retry_over_rest_and_the_socket(app, client, make):
    app.extensions["xiaoge.shake_admission"] = Admission(limit=100, rate_per_shopper=0.01, burst_per_shopper=1)
    home = make.compound()
    _, round_id = open_round(make, home)
    _, fast = make.shopper(home=home)
    _, other = make.shopper(home=home)
    socket = shopper_socket(app, client, other)

    assert make.shake(round_id, fast).status_code == 200
    too_fast = make.shake(round_id, fast, shake_id="again")
    assert socket_shake(socket, round_id, "s-1")["result"] in ("win", "lose")
    acked = socket_shake(socket, round_id, "s-2")

    error = assert_error(too_fast, 429, "rate_limited")
    assert error["retry_after_seconds"] == 1 and too_fast.headers["Retry-After"] == "1"
    assert acked["error"]["code"] == "rate_limited" and acked["error"]["retry_after_seconds"] == 1
    app.extensions["xiaoge.shake_admission"] = Admission(limit=100)  # a second later, say
    assert make.shake(round_id, fast, shake_id="again").status_code == 200  # not stored: the retry goes through
    assert "result" in socket_shake(socket, round_id, "s-2")
