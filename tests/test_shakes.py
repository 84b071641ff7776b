"""Shakes over REST: limits, replays, windows, prizes, pacing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Coupon, Order, ShakeRound
from app.services.shaking.rules import released
from tests.factories import now


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here runs on both draw engines (app/services/shaking/)."""
    return request.param

def open_round(make, compound, **campaign_fields):
    courier = make.courier([compound])
    campaign = make.campaign([compound], **campaign_fields)
    answer = make.arrival(courier, compound)
    assert answer.status_code == 201, answer.get_json()
    return campaign, answer.get_json()["rounds"][0]["id"]


def move_round_start_back(round_id, seconds):
    """Pretend the round opened `seconds` earlier (it still closes when it would have)."""
    shake_round = db.session.get(ShakeRound, round_id)
    shake_round.opens_at -= timedelta(seconds=seconds)
    db.session.commit()


def release_all_stock(round_id):
    """Pretend the round has run 20 times longer than it has left, so pacing has released all
    stock (up to 20 a prize) and only the stock and the limits decide."""
    shake_round = db.session.get(ShakeRound, round_id)
    shake_round.opens_at = now() - 20 * (shake_round.closes_at - now())
    db.session.commit()


def test_winning_coupon_lands_in_the_wallet(client, make):
    home = make.compound()
    _, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)

    answer = make.shake(round_id, headers, shake_id="abc")

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["shake_id"] == "abc" and body["result"] == "win" and body["shakes_left"] == 2
    assert body["prize"]["kind"] == "coupon"
    wallet = client.get("/api/v1/me/coupons", headers=headers).get_json()["coupons"]
    assert [c["id"] for c in wallet] == [body["prize"]["coupon"]["id"]]
    assert wallet[0]["status"] == "unused"


def test_winning_an_item_reserves_a_pickup_order_with_a_code(client, make):
    home = make.compound()
    product = make.product(name="五常大米")
    _, round_id = open_round(make, home, prizes=[{"kind": "item", "product_id": product.id,
                                                  "per_round": 3, "win_probability": 1.0}])
    _, headers = make.shopper(home=home)

    body = make.shake(round_id, headers).get_json()

    assert body["result"] == "win"
    assert body["prize"]["title"] == "五常大米"
    order = db.session.get(Order, body["prize"]["order"]["id"])
    assert order.status == "reserved" and order.source == "shake" and order.total_fen == 0
    assert order.pickup_code == body["prize"]["order"]["pickup_code"]
    assert len(order.pickup_code) == 6
    wins = client.get("/api/v1/me/wins", headers=headers).get_json()["wins"]
    assert [w["prize"]["order"]["id"] for w in wins] == [order.id]


def test_second_shake_with_same_id_returns_first_result(make):
    home = make.compound()
    _, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)

    first = make.shake(round_id, headers, shake_id="same")
    again = make.shake(round_id, headers, shake_id="same")

    assert again.status_code == first.status_code == 200
    assert again.get_json() == first.get_json()
    assert db.session.query(Coupon).count() == 1


def test_a_refused_shake_replays_its_refusal(make):
    home, other = make.compound(), make.compound()
    _, round_id = open_round(make, home)
    _, outsider = make.shopper(home=other)

    first = make.shake(round_id, outsider, shake_id="x")
    again = make.shake(round_id, outsider, shake_id="x")

    assert first.status_code == again.status_code == 403
    assert first.get_json()["error"]["code"] == "not_in_compound"
    assert again.get_json() == first.get_json()


def test_shakes_per_shopper_is_enforced_with_429(make):
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=2)
    _, headers = make.shopper(home=home)

    answers = [make.shake(round_id, headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].get_json()["shakes_left"] == 0
    assert answers[2].get_json()["error"]["code"] == "shake_limit_reached"


def test_wins_per_shopper_caps_a_lucky_shopper(make):
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=5, wins_per_shopper=2)
    release_all_stock(round_id)
    _, headers = make.shopper(home=home)

    results = [make.shake(round_id, headers).get_json()["result"] for _ in range(5)]

    assert results == ["win", "win", "lose", "lose", "lose"]


def test_shopper_in_compound_by_latest_store_session_may_shake(client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    _, headers = make.shopper()
    client.post("/api/v1/store-sessions", json={"courier_code": courier.courier_code, "compound_id": home.id},
                headers=headers)
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]

    assert make.shake(round_id, headers).status_code == 200


def test_shake_after_close_is_round_closed_and_unknown_round_is_404(make):
    home = make.compound()
    _, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)
    shake_round = db.session.get(ShakeRound, round_id)
    shake_round.closes_at = now() - timedelta(seconds=1)
    db.session.commit()

    late = make.shake(round_id, headers)
    missing = make.shake(round_id + 1000, headers)

    assert late.status_code == 409 and late.get_json()["error"]["code"] == "round_closed"
    assert missing.status_code == 404


def test_prizes_are_released_over_the_window_not_all_at_once(make):
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=1, wins_per_shopper=1, window_seconds=100)
    shoppers = [make.shopper(home=home)[1] for _ in range(4)]

    early = [make.shake(round_id, h).get_json()["result"] for h in shoppers[:2]]
    move_round_start_back(round_id, 25)  # now 25 s into a 125 s window: 3 of 10 released
    later = [make.shake(round_id, h).get_json()["result"] for h in shoppers[2:]]

    # 10 prizes over the window: one at once, then one every tenth of it.
    assert early == ["win", "lose"]
    assert later == ["win", "win"]


def test_release_schedule_reaches_full_stock_by_the_end():
    start = now()
    shake_round = ShakeRound(opens_at=start, closes_at=start + timedelta(seconds=60))
    assert released(10, shake_round, start) == 1
    assert released(10, shake_round, start + timedelta(seconds=30)) == 6
    assert released(10, shake_round, start + timedelta(seconds=59.9)) == 10


def test_current_round_of_a_compound_shows_shakes_left(client, make):
    home = make.compound()
    campaign, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)
    make.shake(round_id, headers)

    body = client.get(f"/api/v1/compounds/{home.id}/shake", headers=headers).get_json()

    assert body["round"]["id"] == round_id
    assert body["round"]["campaign"] == {"id": campaign.id, "title": campaign.title}
    assert body["round"]["shakes_left"] == 2
    quiet = make.compound()
    assert client.get(f"/api/v1/compounds/{quiet.id}/shake", headers=headers).get_json() == {"round": None}
