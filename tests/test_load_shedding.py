"""Under overload a shake is refused at once with a 503 to retry, never queued until it times out."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import OperationalError

from app.actions.admission import Admission
from app.services.errors import Unavailable
from tests.test_shakes import open_round


def test_admission_refuses_one_past_the_limit_and_frees_the_place_afterwards():
    admission = Admission(limit=2)
    with admission.admit(), admission.admit():
        with pytest.raises(Unavailable):
            with admission.admit():
                pass
    assert admission.in_flight == 0
    with admission.admit():
        assert admission.in_flight == 1


def test_a_shake_past_the_workers_limit_is_a_503_to_retry_that_did_nothing(app, make, monkeypatch):
    app.extensions["xiaoge.shake_admission"].limit = 1
    home = make.compound()
    _, round_id = open_round(make, home)
    _, first = make.shopper(home=home)
    _, second = make.shopper(home=home)
    engine = app.extensions["xiaoge.draw_engine"]
    inside, release = threading.Event(), threading.Event()
    real_shake = engine.shake

    def slow_shake(*args, **kwargs):
        inside.set()
        assert release.wait(10)
        return real_shake(*args, **kwargs)

    monkeypatch.setattr(engine, "shake", slow_shake)
    with ThreadPoolExecutor(1) as pool:
        def shake_first():
            with app.test_client() as client:
                return client.post(f"/api/v1/shake-rounds/{round_id}/shakes", json={"shake_id": "a"},
                                   headers=first)
        busy = pool.submit(shake_first)
        assert inside.wait(10)
        refused = make.shake(round_id, second, shake_id="b")
        release.set()
        assert busy.result().status_code == 200

    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.get_json()["error"]["code"] == "unavailable"
    assert refused.get_json()["error"]["retry_after_seconds"] == 1
    retried = make.shake(round_id, second, shake_id="b")
    assert retried.status_code == 200 and retried.get_json()["shakes_left"] == 2  # the refusal counted nothing


def test_a_database_that_is_down_is_the_same_503_to_retry(app, make, monkeypatch):
    home = make.compound()
    _, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)

    def database_down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(app.extensions["xiaoge.draw_engine"], "shake", database_down)
    answer = make.shake(round_id, headers)

    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert answer.get_json()["error"]["code"] == "unavailable"
