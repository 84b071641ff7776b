"""The console's clearance: the deal form with its quantity, end and target, the deals list with
what sold, and the report page."""
from __future__ import annotations

import re

from app.extensions import db
from app.models import Deal
from tests.clearance import order, tissue_on_clearance
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)


def clearance_form(product, **fields) -> dict:
    body = {"product_id": str(product.id), "kind": "clearance", "deal_price_fen": "4.00",
            "ends_at": "2099-06-01T20:00", "quantity": "12"}
    body.update(fields)
    return body


def test_marketing_offers_a_clearance_with_a_quantity_and_an_end(console, make):
    home, product = make.compound(), make.product(price_fen=1000)
    marketer = console("marketing")

    answer = marketer.post("/console/deals", clearance_form(product, compound_ids=str(home.id)))
    assert answer.status_code == 302

    deal = db.session.scalars(db.select(Deal)).one()
    assert (deal.kind, deal.quantity, deal.deal_price_fen, [c.id for c in deal.compounds]) == (
        "clearance", 12, 400, [home.id])


def test_a_clearance_form_without_a_quantity_says_so_next_to_it(console, make):
    home, product = make.compound(), make.product(price_fen=1000)
    page = text(console("marketing").post(
        "/console/deals", clearance_form(product, compound_ids=str(home.id), quantity="")))
    assert re.search(r'id="f-quantity-error">[^<]+<', page)
    assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == 0


def test_the_form_targets_the_price_sensitive_compounds(app, console, make, monkeypatch):
    thrifty, product = make.compound(), make.product(price_fen=1000)
    monkeypatch.setitem(app.extensions, "xiaoge.price_sensitive", lambda session: [thrifty.id])

    answer = console("marketing").post("/console/deals", clearance_form(product, target="price_sensitive"))

    assert answer.status_code == 302
    assert [c.id for c in db.session.scalars(db.select(Deal)).one().compounds] == [thrifty.id]


def test_the_report_page_shows_what_the_clearance_moved_by_compound(client, console, make):
    shop, tissue, deal = tissue_on_clearance(make, 5)
    assert order(client, shop.headers, shop.store_session_id, [(tissue, 3)], "page-1").status_code == 201
    ops = console("ops")

    deals_page = text(console("marketing").get("/console/deals"))
    page = text(ops.get(f"/console/deals/{deal.id}/clearance"))

    assert f"/console/deals/{deal.id}/clearance" in deals_page and "3 / 5" in deals_page
    assert "3 / 5" in page and "¥12.00" in page and "¥30.00" in page and "¥18.00" in page
    assert shop.home.name in page
    assert ops.get(f"/console/deals/{make.deal(tissue, [shop.home], 900).id}/clearance").status_code == 404
