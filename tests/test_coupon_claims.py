"""Coupon claims: the wallet, the refusals, and no over-issue under real concurrency."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Coupon, CouponTemplate
from tests.assertions import assert_error
from tests.concurrency import at_once, error_code
from tests.factories import now


def claim(client, headers, template_id):
    return client.post(f"/api/v1/coupons/{template_id}/claims", headers=headers)


def issued_and_held(template_id):
    """(issued counter, coupon rows) of a template, read fresh from the database."""
    db.session.expire_all()
    issued = db.session.scalar(select(CouponTemplate.issued).where(CouponTemplate.id == template_id))
    rows = db.session.scalar(select(func.count()).select_from(Coupon).where(Coupon.template_id == template_id))
    return issued, rows


# --- claiming ----------------------------------------------------------------------------


def test_claim_answers_the_coupon_as_api_md_shapes_it(client, make):
    home = make.compound()
    template = make.coupon_template([home], title="满30减5", discount_fen=500, threshold_fen=3000)
    _, headers = make.shopper(home=home)
    answer = claim(client, headers, template.id)
    assert answer.status_code == 201, answer.get_json()
    coupon = answer.get_json()["coupon"]
    assert {"id", "title", "discount_fen", "threshold_fen", "valid_until", "status"} <= set(coupon)
    assert (coupon["title"], coupon["discount_fen"], coupon["threshold_fen"]) == ("满30减5", 500, 3000)
    assert coupon["status"] == "unused"
    assert datetime.fromisoformat(coupon["valid_until"]) == template.valid_until
    assert datetime.fromisoformat(coupon["valid_until"]).utcoffset() is not None
    assert issued_and_held(template.id) == (1, 1)


def test_claimed_coupons_are_in_the_wallet_newest_first(client, make):
    home = make.compound()
    first = make.coupon_template([home], title="满30减5")
    second = make.coupon_template([home], title="满50减10", discount_fen=1000, threshold_fen=5000)
    _, headers = make.shopper(home=home)
    _, other = make.shopper(home=home)
    a = make.claimed_coupon(headers, first)
    b = make.claimed_coupon(headers, second)
    make.claimed_coupon(other, first)
    answer = client.get("/api/v1/me/coupons", headers=headers)
    assert answer.status_code == 200
    wallet = answer.get_json()["coupons"]
    assert [c["id"] for c in wallet] == [b["id"], a["id"]]
    assert [c["title"] for c in wallet] == ["满50减10", "满30减5"]
    assert all(c["status"] == "unused" for c in wallet)


def test_empty_wallet(client, make):
    _, headers = make.shopper()
    assert client.get("/api/v1/me/coupons", headers=headers).get_json() == {"coupons": []}


def test_claims_beyond_total_are_sold_out(client, make):
    home = make.compound()
    template = make.coupon_template([home], total=1)
    _, first = make.shopper(home=home)
    _, second = make.shopper(home=home)
    assert claim(client, first, template.id).status_code == 201
    assert_error(claim(client, second, template.id), 409, "sold_out")
    assert issued_and_held(template.id) == (1, 1)


def test_claims_beyond_the_per_shopper_limit_are_limit_reached(client, make):
    home = make.compound()
    template = make.coupon_template([home], per_shopper_limit=2)
    _, headers = make.shopper(home=home)
    assert claim(client, headers, template.id).status_code == 201
    assert claim(client, headers, template.id).status_code == 201
    assert_error(claim(client, headers, template.id), 409, "limit_reached")
    assert issued_and_held(template.id) == (2, 2)


def test_shopper_of_another_compound_is_not_in_compound(client, make):
    home, elsewhere = make.compound(), make.compound()
    template = make.coupon_template([home])
    _, headers = make.shopper(home=elsewhere)
    assert_error(claim(client, headers, template.id), 403, "not_in_compound")
    assert issued_and_held(template.id) == (0, 0)


def test_shopper_with_no_compound_is_not_in_compound(client, make):
    template = make.coupon_template([make.compound()])
    _, headers = make.shopper()
    assert_error(claim(client, headers, template.id), 403, "not_in_compound")


def test_latest_store_session_puts_the_shopper_in_its_compound(client, make):
    home, visited = make.compound(), make.compound()
    courier = make.courier(compounds_=[home, visited])
    template = make.coupon_template([visited])
    _, headers = make.shopper(home=home)
    assert_error(claim(client, headers, template.id), 403, "not_in_compound")
    make.store_session(headers, courier, visited)
    assert claim(client, headers, template.id).status_code == 201


def test_only_the_latest_store_session_counts(client, make):
    first, second = make.compound(), make.compound()
    courier = make.courier(compounds_=[first, second])
    template = make.coupon_template([first])
    _, headers = make.shopper()
    make.store_session(headers, courier, first)
    make.store_session(headers, courier, second)
    assert_error(claim(client, headers, template.id), 403, "not_in_compound")


def test_template_not_yet_valid_cannot_be_claimed(client, make):
    home = make.compound()
    template = make.coupon_template([home], valid_from=now() + timedelta(hours=1),
                                    valid_until=now() + timedelta(days=1))
    _, headers = make.shopper(home=home)
    assert_error(claim(client, headers, template.id), 409, "not_available")
    assert issued_and_held(template.id) == (0, 0)


def test_expired_template_cannot_be_claimed(client, make):
    home = make.compound()
    template = make.coupon_template([home], valid_from=now() - timedelta(days=2),
                                    valid_until=now() - timedelta(seconds=1))
    _, headers = make.shopper(home=home)
    assert_error(claim(client, headers, template.id), 409, "not_available")
    assert issued_and_held(template.id) == (0, 0)


def test_unknown_template_is_not_found(client, make):
    _, headers = make.shopper(home=make.compound())
    assert_error(claim(client, headers, 987_654), 404, "not_found")


# --- real concurrency --------------------------------------------------------------------


def claim_concurrently(app, template_id, headers_list):
    """One claim per entry of headers_list, all at once: [(status, error code or None)]."""
    results = at_once(app, [lambda client, h=h: claim(client, h, template_id) for h in headers_list])
    return [(r[0], error_code(r)) if r[0] != "exception" else r for r in results]


def test_fifty_concurrent_shoppers_get_exactly_ten_of_ten_coupons(app, make, backend):
    home = make.compound()
    template = make.coupon_template([home], total=10, per_shopper_limit=1)
    shoppers = [make.shopper(home=home) for _ in range(50)]
    results = claim_concurrently(app, template.id, [headers for _, headers in shoppers])

    assert results.count((201, None)) == 10, results
    assert results.count((409, "sold_out")) == 40, results
    assert issued_and_held(template.id) == (10, 10)
    holders = db.session.scalars(select(Coupon.shopper_id).where(Coupon.template_id == template.id)).all()
    assert len(set(holders)) == 10


def test_one_shopper_claiming_ten_times_at_once_gets_exactly_the_limit(app, make, backend):
    home = make.compound()
    template = make.coupon_template([home], total=100, per_shopper_limit=2)
    shopper_id, headers = make.shopper(home=home)
    results = claim_concurrently(app, template.id, [headers] * 10)

    assert results.count((201, None)) == 2, results
    assert results.count((409, "limit_reached")) == 8, results
    assert issued_and_held(template.id) == (2, 2)
    claim_numbers = db.session.scalars(select(Coupon.claim_no).where(Coupon.shopper_id == shopper_id)).all()
    assert sorted(claim_numbers) == [1, 2]
