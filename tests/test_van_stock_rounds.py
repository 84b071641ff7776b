"""A round's item prizes come off the courier's van: capped by what it has left and reserved when
the round opens (never per shake), and what the round did not award goes back when it closes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ShakeRound, VanHold
from tests.test_prize_budget import close_now, stocks, sweep
from tests.test_shakes import release_all_stock
from tests.van import load_van, quantity_and_reserved


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here that shakes runs on both draw engines."""
    return request.param


def item_prizes(*products, per_round: int) -> list[dict]:
    return [{"kind": "item", "product_id": p.id, "per_round": per_round, "win_probability": 1.0}
            for p in products]


def open_round(make, courier, compound) -> int:
    answer = make.arrival(courier, compound)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["rounds"][0]["id"]


def test_a_rounds_item_prize_is_capped_by_the_van_and_reserved_from_it_at_open(client, make):
    home = make.compound()
    courier = make.courier([home])
    milk, eggs, tea = make.product(), make.product(), make.product()
    load_van(client, make.courier_headers(courier), [(milk, 2), (eggs, 9)])
    make.campaign([home], prizes=item_prizes(milk, eggs, tea, per_round=5))

    round_id = open_round(make, courier, home)

    db.session.expire_all()
    by_product = {p.prize.product_id: p.stock for p in db.session.get(ShakeRound, round_id).prizes}
    assert by_product == {milk.id: 2, eggs.id: 5, tea.id: 0}  # tea: not on the van, the round has none
    assert quantity_and_reserved(milk) == (2, 2)
    assert quantity_and_reserved(eggs) == (9, 5)


def test_what_a_round_reserved_cannot_be_ordered(client, make):
    home = make.compound()
    courier = make.courier([home])
    milk = make.product()
    load_van(client, make.courier_headers(courier), [(milk, 3)])
    make.campaign([home], prizes=item_prizes(milk, per_round=2))
    open_round(make, courier, home)
    shopper = make.shopper(home=home)[1]
    session_id = make.store_session(shopper, courier)

    body = {"store_session_id": session_id, "items": [{"product_id": milk.id, "quantity": 2}]}
    refused = client.post("/api/v1/orders", json=body, headers={**shopper, "Idempotency-Key": "k1"})

    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "out_of_stock"


def milk_round(client, make):
    """A round of 3 milks for the taking (stock released) from a van carrying 10: (home, milk, round id)."""
    home = make.compound()
    courier = make.courier([home])
    milk = make.product()
    load_van(client, make.courier_headers(courier), [(milk, 10)])
    make.campaign([home], prizes=item_prizes(milk, per_round=3))
    round_id = open_round(make, courier, home)
    release_all_stock(round_id)
    return home, milk, round_id


def test_a_closed_round_gives_the_van_back_what_it_did_not_award(app, client, make):
    home, milk, round_id = milk_round(client, make)
    won_item_order(make, round_id, home)
    assert quantity_and_reserved(milk) == (10, 3)

    close_now(round_id)
    sweep(app)
    sweep(app)  # a second sweep gives nothing twice

    assert stocks([round_id]) == [1]
    assert quantity_and_reserved(milk) == (10, 1)  # the one won stays reserved for its winner


def won_item_order(make, round_id, home) -> int:
    answer = make.shake(round_id, make.shopper(home=home)[1]).get_json()
    assert answer["result"] == "win", answer
    make.settle()
    return answer["prize"]["order"]["id"]


def cancel_order(client, make, order_id) -> None:
    answer = client.post(f"/api/v1/console/orders/{order_id}/cancel", json={"reason": "won by mistake"},
                         headers=make.staff_headers("ops"))
    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "cancelled", answer.get_json()


@pytest.mark.parametrize("cancelled", ["before the close", "after the close"])
def test_a_cancelled_win_gives_its_unit_back_to_the_van_once(app, client, make, cancelled):
    home, milk, round_id = milk_round(client, make)
    kept, dropped = won_item_order(make, round_id, home), won_item_order(make, round_id, home)

    if cancelled == "before the close":
        cancel_order(client, make, dropped)
    close_now(round_id)
    sweep(app)
    if cancelled == "after the close":
        assert quantity_and_reserved(milk) == (10, 2)
        cancel_order(client, make, dropped)
    sweep(app)

    assert quantity_and_reserved(milk) == (10, 1)  # only the kept win's unit stays reserved
    assert client.post(f"/api/v1/console/orders/{dropped}/cancel", json={"reason": "again"},
                       headers=make.staff_headers("ops")).status_code == 200  # a repeat gives nothing twice
    assert quantity_and_reserved(milk) == (10, 1) and kept != dropped


def test_without_a_van_load_a_rounds_item_prize_is_not_capped(client, make):
    home = make.compound()
    courier = make.courier([home])
    milk = make.product()
    make.campaign([home], prizes=item_prizes(milk, per_round=4))

    round_id = open_round(make, courier, home)

    assert stocks([round_id]) == [4]
    assert db.session.scalar(select(func.count()).select_from(VanHold)) == 0
