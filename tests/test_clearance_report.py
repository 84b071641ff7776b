"""What a clearance deal moved: units of its quantity, revenue at its price against the list price,
by compound, and when it sold out; as JSON for marketing and ops, and as a console page."""
from __future__ import annotations

from tests.assertions import assert_error
from tests.clearance import cancel_by_ops, order, tissue_on_clearance


def report(client, make, deal_id, role="marketing"):
    return client.get(f"/api/v1/console/deals/{deal_id}/clearance-report", headers=make.staff_headers(role))


def test_the_report_counts_units_and_revenue_by_compound_leaving_out_cancelled_orders(client, make):
    east, west = make.compound(), make.compound()
    courier = make.courier(compounds_=[east, west])
    tissue = make.product(price_fen=1000)
    deal = make.deal(tissue, [east, west], 400, kind="clearance", quantity=6)
    _, at_east = make.shopper(home=east)
    _, at_west = make.shopper(home=west)
    east_session, west_session = make.store_session(at_east, courier), make.store_session(at_west, courier)
    assert order(client, at_east, east_session, [(tissue, 3)], "r-east").status_code == 201
    cancelled = order(client, at_west, west_session, [(tissue, 1)], "r-west-cancel").get_json()["order"]
    cancel_by_ops(client, make, cancelled["id"])
    assert order(client, at_west, west_session, [(tissue, 2)], "r-west").status_code == 201

    answer = report(client, make, deal.id)

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()["report"]
    assert (body["status"], body["quantity"], body["sold"], body["units_sold"]) == ("running", 6, 5, 5)
    assert (body["revenue_fen"], body["regular_fen"], body["markdown_fen"]) == (2000, 5000, 3000)
    assert body["by_compound"] == [
        {"compound_id": east.id, "name": east.name, "units": 3, "handed_over": 0, "revenue_fen": 1200,
         "regular_fen": 3000},
        {"compound_id": west.id, "name": west.name, "units": 2, "handed_over": 0, "revenue_fen": 800,
         "regular_fen": 2000},
    ]
    assert body["sold_out_at"] is None


def test_a_sold_out_clearance_reports_when_it_sold_out(client, make):
    shop, tissue, deal = tissue_on_clearance(make, 2)
    assert order(client, shop.headers, shop.store_session_id, [(tissue, 2)], "all").status_code == 201

    body = report(client, make, deal.id, role="ops").get_json()["report"]

    assert body["status"] == "sold_out" and body["sold_out_at"] is not None and body["units_sold"] == 2


def test_a_deal_that_is_not_a_clearance_has_no_clearance_report(client, make):
    deal = make.deal(make.product(), [make.compound()], 500)
    assert_error(report(client, make, deal.id), 404, "not_found")
    assert_error(report(client, make, 0), 404, "not_found")


def test_the_report_is_for_marketing_and_ops(client, make):
    deal = make.deal(make.product(), [make.compound()], 500, kind="clearance")
    assert report(client, make, deal.id, role="ops").status_code == 200
    anonymous = client.get(f"/api/v1/console/deals/{deal.id}/clearance-report")
    assert_error(anonymous, 401, "unauthorized")


def test_units_handed_over_at_the_van_are_counted_apart(client, make):
    shop, tissue, deal = tissue_on_clearance(make, 5)
    first = order(client, shop.headers, shop.store_session_id, [(tissue, 2)], "hand-1").get_json()["order"]
    assert order(client, shop.headers, shop.store_session_id, [(tissue, 1)], "hand-2").status_code == 201
    handover = client.post(f"/api/v1/courier/pickups/{first['id']}/handover",
                           json={"pickup_code": first["pickup_code"]},
                           headers=make.courier_headers(shop.courier))
    assert handover.status_code == 200, handover.get_json()

    (row,) = report(client, make, deal.id).get_json()["report"]["by_compound"]

    assert (row["units"], row["handed_over"]) == (3, 2)
