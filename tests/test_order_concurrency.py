"""Orders under real concurrency: one order per Idempotency-Key, one redemption per coupon."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Coupon, Order
from tests.concurrency import at_once, error_code


def order_request(headers, session_id, product, key, coupon_id=None):
    body = {"store_session_id": session_id, "items": [{"product_id": product.id, "quantity": 1}],
            "coupon_id": coupon_id}
    return lambda client: client.post("/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": key})


def orders_of(shopper_id):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Order).where(Order.shopper_id == shopper_id))


def test_the_same_idempotency_key_sent_at_once_creates_one_order(app, make, backend):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    shopper_id, headers = make.shopper(home=home)
    session_id = make.store_session(headers, courier)
    product = make.product(price_fen=900)

    results = at_once(app, [order_request(headers, session_id, product, "double-tap")] * 8)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 7 + [201], results
    bodies = [body for _, body in results]
    assert all(body == bodies[0] for body in bodies), results
    assert bodies[0]["order"]["total_fen"] == 900
    assert orders_of(shopper_id) == 1


def test_one_coupon_in_concurrent_orders_is_redeemed_once(app, make, backend):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    shopper_id, headers = make.shopper(home=home)
    session_id = make.store_session(headers, courier)
    product = make.product(price_fen=5000)
    coupon = make.claimed_coupon(headers, make.coupon_template([home], discount_fen=500, threshold_fen=3000))

    results = at_once(app, [order_request(headers, session_id, product, f"key-{n}", coupon["id"])
                            for n in range(6)])

    created = [body for status, body in results if status == 201]
    assert len(created) == 1, results
    assert created[0]["order"]["total_fen"] == 4500
    assert sorted((status, error_code((status, body))) for status, body in results if status != 201) \
        == [(409, "coupon_unusable")] * 5, results
    assert orders_of(shopper_id) == 1
    db.session.expire_all()
    assert db.session.get(Coupon, coupon["id"]).status == "used"
