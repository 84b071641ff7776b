"""Limits under real concurrency: threads hammering the same round at once (both backends)."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Coupon, RoundPrize, RoundShopper, Shake
from tests.test_shakes import open_round, release_all_stock


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here runs on both draw engines (app/services/shaking/)."""
    return request.param

def fire_at_once(app, requests):
    """Send every (path, json, headers) from its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(requests))

    def send(request):
        path, body, headers = request
        with app.test_client() as client:
            barrier.wait(timeout=60)
            answer = client.post(path, json=body, headers=headers)
            return answer.status_code, answer.get_json()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


@pytest.mark.slow  # 200 requests at once
def test_200_concurrent_shakes_from_100_shoppers_award_exactly_the_stock(app, make):
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=2, wins_per_shopper=1, window_seconds=60)
    release_all_stock(round_id)
    shoppers = [make.shopper(home=home) for _ in range(100)]
    path = f"/api/v1/shake-rounds/{round_id}/shakes"
    requests = [(path, {"shake_id": f"{sid}-{n}"}, headers) for sid, headers in shoppers for n in range(2)]

    answers = fire_at_once(app, requests)

    assert Counter(status for status, _ in answers) == Counter({200: 200})
    winners = Counter(body["prize"]["coupon"]["id"] for _, body in answers if body["result"] == "win")
    assert len(winners) == 10
    make.settle()
    db.session.expire_all()
    assert db.session.scalar(select(RoundPrize.awarded).where(RoundPrize.round_id == round_id)) == 10
    assert db.session.scalar(select(func.count()).select_from(Coupon)) == 10
    assert db.session.scalar(select(func.max(RoundShopper.wins))) == 1
    assert db.session.scalar(select(func.count()).select_from(Shake)) == 200


def test_one_shopper_shaking_from_many_threads_gets_only_their_shakes_and_wins(app, make):
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=3, wins_per_shopper=2, window_seconds=60)
    release_all_stock(round_id)
    _, headers = make.shopper(home=home)
    path = f"/api/v1/shake-rounds/{round_id}/shakes"

    answers = fire_at_once(app, [(path, {"shake_id": f"t-{n}"}, headers) for n in range(20)])

    statuses = Counter(status for status, _ in answers)
    assert statuses == Counter({200: 3, 429: 17})
    assert sum(1 for _, body in answers if body.get("result") == "win") == 2


def test_the_same_shake_id_from_many_threads_is_one_shake(app, make):
    home = make.compound()
    _, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)
    path = f"/api/v1/shake-rounds/{round_id}/shakes"

    answers = fire_at_once(app, [(path, {"shake_id": "retry-storm"}, headers)] * 10)

    assert {status for status, _ in answers} == {200}
    assert len({repr(body) for _, body in answers}) == 1
    make.settle()
    assert db.session.scalar(select(func.count()).select_from(Shake)) == 1
