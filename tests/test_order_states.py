"""An order's moves: each allowed only from its source states, one conditional UPDATE (both backends)."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Order
from app.services.store import order_states

ALL = ("reserved", "pending_payment", "paid", "completed", "cancelled", "refunding", "refunded")
ALLOWED = {(source, name) for name, (sources, _) in order_states.MOVES.items() for source in sources}


@pytest.fixture
def order(make):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    shopper_id, _ = make.shopper(home=home)
    row = Order(shopper_id=shopper_id, courier_id=courier.id, compound_id=home.id, subtotal_fen=100,
                total_fen=100, pickup_code="123456")
    db.session.add(row)
    db.session.commit()
    return row


def put(order: Order, status: str) -> None:
    order.status = status
    db.session.commit()


@pytest.mark.parametrize("source,name", sorted((s, n) for s in ALL for n in order_states.MOVES if (s, n) not in ALLOWED))
def test_an_illegal_move_changes_nothing(order, source, name):
    """e.g. cancelled -> paid, completed -> refunding, refunded -> paid, pending_payment -> completed."""
    put(order, source)
    assert order_states.move(db.session, order, name) is False
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == source


@pytest.mark.parametrize("source,name", sorted(ALLOWED))
def test_an_allowed_move_happens_once(order, source, name):
    put(order, source)
    assert order_states.move(db.session, order, name) is True
    assert order.status == order_states.MOVES[name][1]
    assert order_states.move(db.session, order, name) is (order.status in order_states.MOVES[name][0])


def test_the_named_illegal_transitions_are_covered():
    for source, name in (("cancelled", "pay"), ("completed", "refund"), ("refunded", "pay"),
                         ("pending_payment", "complete"), ("refunding", "cancel")):
        assert (source, name) not in ALLOWED


def test_an_unknown_move_is_a_programming_error(order):
    with pytest.raises(order_states.IllegalMove):
        order_states.move(db.session, order, "teleport")
