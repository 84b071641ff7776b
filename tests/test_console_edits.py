"""PATCH /api/v1/console/compounds, /products, /deals, /coupon-templates/<id>: any field of a
new one, checked the same way, only what is sent changes, every change in the audit log."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Compound, CouponTemplate, Deal, Product
from tests.assertions import assert_error, assert_invalid
from tests.factories import now

CONSOLE = "/api/v1/console"


def patch(client, make, path, body, role="admin"):
    return client.patch(f"{CONSOLE}/{path}", json=body, headers=make.staff_headers(role))


def audited(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def rows(make):
    """One of each editable kind: a compound, a product, a deal of it there, a coupon template."""
    home = make.compound(district="浦东新区", aliases=["阳光小区"])
    product = make.product(price_fen=2000)
    return {"compound": home, "product": product, "deal": make.deal(product, [home], 1500),
            "template": make.coupon_template([home])}


# --- each edit changes only what it names, and is audited -----------------------------------

def test_ops_renames_a_compound_and_keeps_its_other_fields(client, make, rows):
    home = rows["compound"]
    answer = patch(client, make, f"compounds/{home.id}", {"name": "阳光花园东区", "radius_m": 500}, role="ops")
    assert answer.status_code == 200, answer.get_json()
    compound = answer.get_json()["compound"]
    assert (compound["name"], compound["radius_m"]) == ("阳光花园东区", 500)
    assert (compound["district"], compound["aliases"]) == ("浦东新区", ["阳光小区"])  # no defaults applied
    (entry,) = audited("compound.update")
    assert (entry.target_type, entry.target_id) == ("compound", home.id)
    assert entry.details["changes"]["radius_m"] == [300, 500]


def test_compound_aliases_are_cleaned_as_on_creation(client, make, rows):
    home = rows["compound"]
    body = {"name": "翠湖", "aliases": [" 翠湖 ", "新天地", "新天地", "阳光小区"]}
    compound = patch(client, make, f"compounds/{home.id}", body, role="ops").get_json()["compound"]
    assert compound["aliases"] == ["新天地", "阳光小区"]


def test_ops_reprices_a_product_and_the_change_is_audited(client, make, rows):
    product = rows["product"]
    answer = patch(client, make, f"products/{product.id}", {"price_fen": 2500, "image_url": "/img/egg.png"},
                   role="ops")
    assert answer.status_code == 200
    assert answer.get_json()["product"] | {"id": 0} == {"id": 0, "name": product.name, "category": "生鲜",
                                                        "price_fen": 2500, "image_url": "/img/egg.png",
                                                        "orderable_off_van": False}
    (entry,) = audited("product.update")
    assert entry.details == {"changes": {"price_fen": [2000, 2500], "image_url": [None, "/img/egg.png"]}}


def test_marketing_moves_a_deal_to_other_compounds_at_another_price(client, make, rows):
    other = make.compound()
    deal = rows["deal"]
    answer = patch(client, make, f"deals/{deal.id}", {"deal_price_fen": 1200, "compound_ids": [other.id]},
                   role="marketing")
    assert answer.status_code == 200
    body = answer.get_json()["deal"]
    assert (body["deal_price_fen"], body["compound_ids"], body["kind"]) == (1200, [other.id], "compound")
    (entry,) = audited("deal.update")
    assert entry.details["changes"] == {"deal_price_fen": [1500, 1200],
                                        "compound_ids": [[rows["compound"].id], [other.id]]}


def test_marketing_extends_a_coupon_template(client, make, rows):
    template = rows["template"]
    later = now() + timedelta(days=30)
    answer = patch(client, make, f"coupon-templates/{template.id}",
                   {"title": "满30减6", "total": 150, "valid_until": later.isoformat()}, role="marketing")
    assert answer.status_code == 200
    body = answer.get_json()["coupon_template"]
    assert (body["title"], body["total"], body["remaining"], body["discount_fen"]) == ("满30减6", 150, 150, 500)
    (entry,) = audited("coupon_template.update")
    assert set(entry.details["changes"]) == {"title", "total", "valid_until"}


@pytest.mark.parametrize("kind", ["compounds", "products", "deals", "coupon-templates"])
def test_an_edit_that_changes_nothing_answers_200_and_writes_no_entry(client, make, rows, kind):
    row = {"compounds": "compound", "products": "product", "deals": "deal", "coupon-templates": "template"}[kind]
    assert patch(client, make, f"{kind}/{rows[row].id}", {}).status_code == 200
    assert not list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("%.update"))))


# --- refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, body, field", [
    ("compounds", {"radius_m": 5}, "radius_m"),
    ("compounds", {"lat": "31.2"}, "lat"),
    ("compounds", {"name": ""}, "name"),
    ("products", {"price_fen": -1}, "price_fen"),
    ("products", {"image_url": "javascript:alert(1)"}, "image_url"),
    ("deals", {"kind": "free"}, "kind"),
    ("deals", {"compound_ids": []}, "compound_ids"),
    ("deals", {"compound_ids": [999_999]}, "compound_ids"),
    ("deals", {"product_id": 999_999}, "product_id"),
    ("deals", {"deal_price_fen": 2001}, "deal_price_fen"),
    ("deals", {"starts_at": "2030-01-02T00:00:00+08:00", "ends_at": "2030-01-01T00:00:00+08:00"}, "ends_at"),
    ("coupon-templates", {"discount_fen": 0}, "discount_fen"),
    ("coupon-templates", {"discount_fen": 3000}, "discount_fen"),
    ("coupon-templates", {"valid_from": "2099-01-01T00:00:00+08:00"}, "valid_until"),
    ("coupon-templates", {"valid_until": "2020-01-01T00:00:00+08:00"}, "valid_until"),
    ("coupon-templates", {"per_shopper_limit": 0}, "per_shopper_limit"),
])
def test_a_bad_field_is_refused_naming_it_and_nothing_changes(client, make, rows, kind, body, field):
    row = {"compounds": "compound", "products": "product", "deals": "deal", "coupon-templates": "template"}[kind]
    model = {"compound": Compound, "product": Product, "deal": Deal, "template": CouponTemplate}[row]
    assert_invalid(patch(client, make, f"{kind}/{rows[row].id}", body), field)
    db.session.expire_all()
    stored = db.session.get(model, rows[row].id)
    assert all(getattr(stored, name) != value for name, value in body.items() if hasattr(stored, name))


def test_a_product_cannot_be_priced_below_its_deals(client, make, rows):
    error = assert_invalid(patch(client, make, f"products/{rows['product'].id}", {"price_fen": 1000}), "price_fen")
    assert str(rows["deal"].id) in error["fields"]["price_fen"]


def test_a_coupon_template_total_cannot_drop_below_what_is_issued(client, make, rows):
    template = rows["template"]
    _, shopper = make.shopper(home=rows["compound"])
    make.claimed_coupon(shopper, template)
    assert_invalid(patch(client, make, f"coupon-templates/{template.id}", {"total": 0}), "total")
    assert patch(client, make, f"coupon-templates/{template.id}", {"total": 1}).status_code == 200


def test_issued_coupons_keep_their_value_validity_and_compounds(client, make, rows):
    template = rows["template"]
    _, shopper = make.shopper(home=rows["compound"])
    make.claimed_coupon(shopper, template)
    error = assert_error(patch(client, make, f"coupon-templates/{template.id}", {"discount_fen": 900}),
                         409, "in_use")
    assert error["used_by"] == ["coupons"]
    sooner = (template.valid_until - timedelta(days=1)).isoformat()
    assert_invalid(patch(client, make, f"coupon-templates/{template.id}", {"valid_until": sooner}), "valid_until")
    other = make.compound()
    assert_invalid(patch(client, make, f"coupon-templates/{template.id}", {"compound_ids": [other.id]}),
                   "compound_ids")
    db.session.expire_all()
    stored = db.session.get(CouponTemplate, template.id)
    assert stored.discount_fen == 500 and [c.id for c in stored.compounds] == [rows["compound"].id]
    widened = {"compound_ids": [rows["compound"].id, other.id], "valid_until": (now() + timedelta(days=60)).isoformat()}
    assert patch(client, make, f"coupon-templates/{template.id}", widened).status_code == 200


@pytest.mark.parametrize("kind", ["compounds", "products", "deals", "coupon-templates"])
def test_an_unknown_id_is_404(client, make, kind):
    for row_id in (999_999, 2**64):
        error = assert_error(patch(client, make, f"{kind}/{row_id}", {}), 404, "not_found")
        assert error["message"].startswith("No such "), error  # the row is unknown, not the route


@pytest.mark.parametrize("kind, role", [("compounds", "marketing"), ("products", "marketing"),
                                        ("deals", "ops"), ("coupon-templates", "ops")])
def test_a_role_that_cannot_create_it_cannot_edit_it(client, make, rows, kind, role):
    row = {"compounds": "compound", "products": "product", "deals": "deal", "coupon-templates": "template"}[kind]
    assert_error(patch(client, make, f"{kind}/{rows[row].id}", {}, role=role), 403, "forbidden")


def test_a_body_that_is_not_an_object_is_refused(client, make, rows):
    answer = client.patch(f"{CONSOLE}/products/{rows['product'].id}", json=["price_fen"],
                          headers=make.staff_headers("ops"))
    assert_error(answer, 422, "invalid_request")
