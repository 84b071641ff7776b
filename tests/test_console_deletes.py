"""DELETE /api/v1/console/<kind>/<id>: 204 while nothing depends on the row, else 409 `in_use`
naming what does; audited; the database's foreign keys have the last word."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Campaign, CampaignPrize, Compound, CouponTemplate, Courier, Deal, Product, Staff
from app.services import removals
from tests.assertions import assert_error
from tests.concurrency import at_once
from tests.factories import now

CONSOLE = "/api/v1/console"
MODELS = {"compounds": Compound, "couriers": Courier, "products": Product, "deals": Deal,
          "coupon-templates": CouponTemplate, "campaigns": Campaign, "staff": Staff}
CREATOR = {"compounds": "ops", "couriers": "ops", "products": "ops", "deals": "marketing",
           "coupon-templates": "marketing", "campaigns": "marketing", "staff": "admin"}


def delete(client, make, path, role="admin"):
    return client.delete(f"{CONSOLE}/{path}", headers=make.staff_headers(role))


def gone(model, row_id) -> bool:
    db.session.expire_all()
    return db.session.get(model, row_id) is None


def unused(make, kind):
    """A fresh row of `kind` nothing depends on."""
    if kind == "compounds":
        return make.compound()
    if kind == "couriers":
        return make.courier()
    if kind == "products":
        return make.product()
    if kind == "deals":
        product = make.product()
        return make.deal(product, [make.compound()], product.price_fen - 1)
    if kind == "coupon-templates":
        return make.coupon_template([make.compound()])
    if kind == "campaigns":
        return make.campaign([make.compound()], starts_at=now() + timedelta(days=1), ends_at=now() + timedelta(days=2))
    return make.staff_member("ops")


@pytest.fixture
def history(make):
    """A courier who arrived (opening a round of a campaign) where a shopper lives, claimed a
    coupon and ordered a product: rows with dependents of every kind."""
    home = make.compound()
    courier = make.courier([home])
    product = make.product(price_fen=3000)
    template = make.coupon_template([home])
    campaign = make.campaign([home], prizes=[{"kind": "item", "product_id": product.id, "per_round": 1,
                                              "win_probability": 0.5}])
    _, shopper = make.shopper(home=home)
    make.claimed_coupon(shopper, template)
    make.placed_order(shopper, make.store_session(shopper, courier), [(product, 1)])
    assert make.arrival(courier, home).status_code == 201
    return {"compound": home, "courier": courier, "product": product, "template": template, "campaign": campaign}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_a_row_nothing_depends_on_is_deleted_and_the_log_keeps_what_it_was(client, make, kind):
    row = unused(make, kind)
    row_id = row.id
    answer = delete(client, make, f"{kind}/{row_id}", role=CREATOR[kind])
    assert answer.status_code == 204 and answer.get_data() == b""
    assert gone(MODELS[kind], row_id)
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("%.delete")))
    assert entry.target_id == row_id and entry.action.split(".")[0] == entry.target_type
    assert "password_hash" not in entry.details and "courier_code" not in entry.details
    assert entry.details  # what it was


def test_a_deleted_campaign_takes_its_prize_pool_with_it(client, make):
    campaign = unused(make, "campaigns")
    campaign_id = campaign.id
    assert delete(client, make, f"campaigns/{campaign_id}", role="marketing").status_code == 204
    assert not db.session.scalars(select(CampaignPrize).where(CampaignPrize.campaign_id == campaign_id)).all()


def test_a_deleted_deal_leaves_its_product_and_compounds(client, make):
    deal = unused(make, "deals")
    product_id, compound_id = deal.product_id, deal.compounds[0].id
    assert delete(client, make, f"deals/{deal.id}", role="marketing").status_code == 204
    assert not gone(Product, product_id) and not gone(Compound, compound_id)


@pytest.mark.parametrize("kind, row, used_by", [
    ("compounds", "compound", {"addresses", "orders", "store sessions", "arrivals", "shake rounds",
                               "couriers' routes", "campaigns", "coupon templates"}),
    ("couriers", "courier", {"arrivals", "orders", "store sessions"}),
    ("products", "product", {"orders", "campaign prizes"}),
    ("coupon-templates", "template", {"coupons"}),
    ("campaigns", "campaign", {"shake rounds"}),
])
def test_a_row_with_history_is_in_use_and_stays(client, make, history, kind, row, used_by):
    target = history[row]
    error = assert_error(delete(client, make, f"{kind}/{target.id}", role=CREATOR[kind]), 409, "in_use")
    assert set(error["used_by"]) == used_by
    assert all(label in error["message"] for label in used_by)
    assert not gone(MODELS[kind], target.id)
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("%.delete"))).all()


@pytest.mark.parametrize("kind, dependent", [("products", "deals"), ("coupon-templates", "campaign prizes"),
                                             ("compounds", "deals"), ("compounds", "couriers' routes")])
def test_each_dependent_alone_keeps_a_row(client, make, kind, dependent):
    home, product = make.compound(), make.product()
    if dependent == "deals":
        make.deal(product, [home], product.price_fen - 1)
        target = product if kind == "products" else home
    elif dependent == "campaign prizes":
        target = make.coupon_template([make.compound()])
        make.campaign([home], prizes=[{"kind": "coupon", "coupon_template_id": target.id, "per_round": 1,
                                       "win_probability": 0.5}])
    else:
        make.courier([home])
        target = home
    error = assert_error(delete(client, make, f"{kind}/{target.id}", role=CREATOR[kind]), 409, "in_use")
    assert error["used_by"] == [dependent]


@pytest.mark.parametrize("kind", ["products", "couriers", "compounds", "coupon-templates", "campaigns"])
def test_the_foreign_keys_refuse_what_the_checks_miss(client, make, history, monkeypatch, kind):
    row = {"products": "product", "couriers": "courier", "compounds": "compound",
           "coupon-templates": "template", "campaigns": "campaign"}[kind]
    target = history[row]
    monkeypatch.setitem(removals.DEPENDENTS, MODELS[kind], {})  # as if a dependent were forgotten
    error = assert_error(delete(client, make, f"{kind}/{target.id}", role=CREATOR[kind]), 409, "in_use")
    assert error["used_by"] == ["other records"]
    assert not gone(MODELS[kind], target.id)


def staff_bearer(make, member) -> dict:
    token = make.app.extensions["xiaoge.tokens"].issue("staff", member.id, member.role,
                                                       token_version=member.token_version)
    return {"Authorization": "Bearer " + token}


def test_staff_who_made_changes_are_kept_for_the_audit_log(client, make):
    member = make.staff_member("ops")
    headers = staff_bearer(make, member)
    assert client.post(f"{CONSOLE}/products", json=make.product_body(), headers=headers).status_code == 201
    error = assert_error(delete(client, make, f"staff/{member.id}"), 409, "in_use")
    assert error["used_by"] == ["audit log entries"]


def test_an_admin_cannot_delete_their_own_account(client, make):
    admin = make.staff_member("admin")
    headers = staff_bearer(make, admin)
    assert_error(client.delete(f"{CONSOLE}/staff/{admin.id}", headers=headers), 409, "conflict")
    assert not gone(Staff, admin.id)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_deleting_an_unknown_id_is_404(client, make, kind):
    for row_id in (999_999, 2**64):
        error = assert_error(delete(client, make, f"{kind}/{row_id}"), 404, "not_found")
        assert error["message"].startswith("No such "), error  # the row is unknown, not the route


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("role", ["ops", "marketing"])
def test_only_a_role_that_creates_it_deletes_it(client, make, kind, role):
    row = unused(make, kind)
    answer = delete(client, make, f"{kind}/{row.id}", role=role)
    if role == CREATOR[kind]:
        assert answer.status_code == 204
    else:
        assert_error(answer, 403, "forbidden")
        assert not gone(MODELS[kind], row.id)


def test_a_compound_added_to_a_deal_while_it_is_deleted_is_never_lost_silently(app, make):
    """Delete a compound while a deal is moved into it: one of the two is refused, every time."""
    for _ in range(20):
        spare, first, product = make.compound(), make.compound(), make.product()
        deal = make.deal(product, [first], product.price_fen - 1)
        ops, marketing = make.staff_headers("ops"), make.staff_headers("marketing")
        spare_id, first_id, deal_id = spare.id, first.id, deal.id
        results = at_once(app, [
            lambda c: c.delete(f"{CONSOLE}/compounds/{spare_id}", headers=ops),
            lambda c: c.patch(f"{CONSOLE}/deals/{deal_id}", json={"compound_ids": [spare_id]}, headers=marketing),
        ])
        (deleted, _), (moved, _) = results
        assert (deleted == 204) != (moved == 200), results
        db.session.expire_all()
        assert [c.id for c in db.session.get(Deal, deal_id).compounds] == ([spare_id] if moved == 200 else [first_id])
        assert gone(Compound, spare_id) == (deleted == 204)
