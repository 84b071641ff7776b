"""Group deals (凑单): opening, joining once, the threshold confirming, the deadline cancelling (both databases)."""
from __future__ import annotations

from datetime import timedelta

from app.actions.group_deals import settle_group_deals
from app.extensions import db, socketio
from tests.assertions import assert_error, assert_invalid
from tests.console_web import StaffBrowser, text
from tests.factories import now
from tests.groups import CONSOLE_DEALS, deal_path, deal_row, hood, order_row, past_its_deadline  # noqa: F401
from tests.messaging import ORDER, outbox, subscribe


def pick_list(client, make, courier) -> list[int]:
    answer = client.get("/api/v1/courier/pickups", headers=make.courier_headers(courier))
    assert answer.status_code == 200, answer.get_json()
    return [order["id"] for order in answer.get_json()["orders"]]


def test_marketing_opens_a_deal_anyone_reads_it(client, hood):
    deal = hood.open_deal(max_households=5)
    assert deal["status"] == "open" and deal["joined"] == 0
    _, headers = hood.neighbour()
    answer = client.get(deal_path(deal["id"]), headers=headers)
    assert answer.status_code == 200
    read = answer.get_json()["group_deal"]
    assert {"id", "product", "group_price_fen", "min_households", "max_households", "joined", "deadline",
            "status"} <= set(read)
    assert (read["product"]["id"], read["group_price_fen"], read["min_households"], read["max_households"]) == \
        (hood.product.id, 2000, 2, 5)
    assert_error(client.get(deal_path(deal["id"] + 1000), headers=headers), 404, "not_found")
    assert_error(client.get(deal_path(deal["id"])), 401, "unauthorized")


def test_opening_a_deal_is_for_marketing_and_checks_its_terms(client, make, hood):
    body = {"product_id": hood.product.id, "compound_id": hood.home.id, "group_price_fen": 2000,
            "min_households": 3, "deadline": (now() + timedelta(hours=1)).isoformat()}
    assert_error(client.post(CONSOLE_DEALS, json=body, headers=make.staff_headers("ops")), 403, "forbidden")
    assert_invalid(client.post(CONSOLE_DEALS, json={**body, "max_households": 2}, headers=hood.marketing),
                   "max_households")
    assert_invalid(client.post(CONSOLE_DEALS, json={**body, "group_price_fen": 3001}, headers=hood.marketing),
                   "group_price_fen")
    past = (now() - timedelta(minutes=1)).isoformat()
    assert_invalid(client.post(CONSOLE_DEALS, json={**body, "deadline": past}, headers=hood.marketing), "deadline")
    nobody_serves = make.compound()
    assert_invalid(client.post(CONSOLE_DEALS, json={**body, "compound_id": nobody_serves.id},
                               headers=hood.marketing), "compound_id")


def test_joins_are_held_until_the_threshold_then_confirmed_at_the_group_price(client, make, hood):
    deal = hood.open_deal(min_households=2)
    _, first = hood.neighbour()
    answer = hood.join(deal["id"], first, quantity=2)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    order = body["join"]["order"]
    assert (order["status"], order["total_fen"], order["held"]) == ("reserved", 4000, True)
    assert order["items"] == [{"product_id": hood.product.id, "name": hood.product.name, "quantity": 2,
                               "unit_price_fen": 2000, "next_run": False}]
    assert (body["group_deal"]["joined"], body["group_deal"]["status"]) == (1, "open")
    assert pick_list(client, make, hood.courier) == []  # held: not on the courier's list yet

    _, second = hood.neighbour()
    body = hood.join(deal["id"], second).get_json()
    assert (body["group_deal"]["joined"], body["group_deal"]["status"]) == (2, "succeeded")
    assert pick_list(client, make, hood.courier) == [order["id"], body["join"]["order"]["id"]]
    assert order_row(order["id"]).held is False

    _, third = hood.neighbour()  # a confirmed group still takes joins until its deadline: confirmed at once
    body = hood.join(deal["id"], third).get_json()
    assert (body["group_deal"]["joined"], body["join"]["order"]["held"]) == (3, False)


def test_a_shopper_joins_once_and_a_replay_returns_the_first_answer(client, hood):
    deal = hood.open_deal(min_households=3)
    _, headers = hood.neighbour()
    first = hood.join(deal["id"], headers, key="tap-1")
    replay = hood.join(deal["id"], headers, key="tap-1")
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.get_json() == first.get_json()
    assert_error(hood.join(deal["id"], headers, key="tap-2"), 409, "already_joined")
    assert deal_row(deal["id"]).joined == 1


def test_refusals_full_closed_and_another_compound(client, make, hood):
    deal = hood.open_deal(min_households=1, max_households=1)
    _, first = hood.neighbour()
    assert hood.join(deal["id"], first).status_code == 201
    _, late = hood.neighbour()
    assert_error(hood.join(deal["id"], late), 409, "group_full")
    _, stranger = make.shopper(home=make.compound())
    assert_error(hood.join(deal["id"], stranger), 403, "not_in_compound")
    other = hood.open_deal()
    past_its_deadline(other["id"])
    assert_error(hood.join(other["id"], late), 409, "group_closed")
    assert_error(hood.join(other["id"] + 1000, late), 404, "not_found")
    assert deal_row(deal["id"]).joined == 1 and deal_row(other["id"]).joined == 0


def test_progress_is_pushed_to_the_compound_room(app, client, make, hood):
    deal = hood.open_deal()
    _, headers = hood.neighbour()
    _, stranger = make.shopper(home=make.compound())
    near, far = (socketio.test_client(app, namespace="/shopper", auth={"token": h["Authorization"].split()[1]},
                                      flask_test_client=client) for h in (headers, stranger))
    assert hood.join(deal["id"], headers).status_code == 201
    heard = [e["args"][0] for e in near.get_received("/shopper") if e["name"] == "group_progress"]
    assert heard == [{"group_deal_id": deal["id"], "joined": 1, "joined_fen": 2000, "status": "open"}]
    assert [e for e in far.get_received("/shopper") if e["name"] == "group_progress"] == []


def test_the_storefront_lists_the_compounds_joinable_deals(client, make, hood):
    deal = hood.open_deal()
    closed = hood.open_deal()
    past_its_deadline(closed["id"])
    _, headers = hood.neighbour()
    session_id = make.store_session(headers, hood.courier)
    front = client.get(f"/api/v1/store-sessions/{session_id}/storefront", headers=headers).get_json()
    assert [(d["id"], d["joined"], d["status"]) for d in front["group_deals"]] == [(deal["id"], 0, "open")]


def test_missing_the_deadline_cancels_every_join_and_says_so(client, make, hood):
    deal = hood.open_deal(min_households=3)
    orders = []
    for _ in range(2):
        shopper_id, headers = hood.neighbour()
        subscribe([shopper_id], sends=2, template=ORDER)
        db.session.commit()
        orders.append(hood.join(deal["id"], headers).get_json()["join"]["order"]["id"])
    assert settle_group_deals().failed == []  # not due yet
    past_its_deadline(deal["id"])
    settled = settle_group_deals()
    assert settled.failed == [deal["id"]] and sorted(settled.unwound) == sorted(orders)
    assert deal_row(deal["id"]).status == "failed"
    assert [order_row(order_id).status for order_id in orders] == ["cancelled", "cancelled"]
    told = sorted(int(m.data["character_string1"]) for m in outbox(kind="send", template_id=ORDER)
                  if m.data["phrase2"] == "拼团未成，已取消")
    assert told == sorted(orders)
    assert settle_group_deals() == type(settled)()  # a second round finds nothing left
    assert pick_list(client, make, hood.courier) == []


def test_a_join_whose_order_is_cancelled_gives_its_seat_back(client, hood, app):
    deal = hood.open_deal(min_households=2, max_households=2)
    _, leaver = hood.neighbour()
    order = hood.join(deal["id"], leaver).get_json()["join"]["order"]
    assert client.post(f"/api/v1/orders/{order['id']}/cancel", headers=leaver).status_code == 200
    assert settle_group_deals().seats_given_back != []
    assert (deal_row(deal["id"]).joined, deal_row(deal["id"]).joined_fen) == (0, 0)
    _, other = hood.neighbour()
    assert hood.join(deal["id"], other).status_code == 201
    result = app.test_cli_runner().invoke(args=["settle-group-deals"])
    assert result.exit_code == 0 and "failed []" in result.output


def test_an_amount_unlocks_the_group_before_the_households_do(client, hood):
    deal = hood.open_deal(min_households=5, min_amount_fen=6000)  # 2000 a unit: three units unlock it
    body = hood.join(deal["id"], hood.neighbour()[1], quantity=2).get_json()
    assert (body["group_deal"]["joined_fen"], body["group_deal"]["status"]) == (4000, "open")
    assert body["join"]["order"]["held"] is True

    body = hood.join(deal["id"], hood.neighbour()[1]).get_json()

    assert (body["group_deal"]["joined"], body["group_deal"]["joined_fen"]) == (2, 6000)
    assert body["group_deal"]["status"] == "succeeded" and body["join"]["order"]["held"] is False
    assert body["group_deal"]["min_amount_fen"] == 6000


def test_a_held_order_is_not_handed_over(client, make, hood):
    deal = hood.open_deal(min_households=2)
    _, headers = hood.neighbour()
    order = hood.join(deal["id"], headers).get_json()["join"]["order"]
    answer = client.post(f"/api/v1/courier/pickups/{order['id']}/handover", json={"pickup_code": order["pickup_code"]},
                         headers=make.courier_headers(hood.courier))
    assert_error(answer, 409, "not_available")
    assert order_row(order["id"]).status == "reserved"


def test_marketing_opens_a_deal_from_the_console_page(app, make, hood):
    browser = StaffBrowser(app.test_client())
    browser.sign_in(make.staff_member("marketing"))
    assert "拼团" in text(browser.get("/console/group-deals"))
    answer = browser.post("/console/group-deals", {
        "product_id": str(hood.product.id), "compound_id": str(hood.home.id), "group_price_fen": "19.9",
        "min_households": "5", "max_households": "", "deadline": "2099-01-01T10:00"})
    assert answer.status_code == 302, text(answer)
    page = text(browser.get("/console/group-deals"))
    assert hood.product.name in page and "¥19.9" in page and "0 / 5" in page
    refused = browser.post("/console/group-deals", {
        "product_id": str(hood.product.id), "compound_id": str(hood.home.id), "group_price_fen": "99",
        "min_households": "5", "deadline": "2099-01-01T10:00"})
    assert refused.status_code == 422
    ops = StaffBrowser(app.test_client())
    ops.sign_in(make.staff_member("ops"))
    assert ops.get("/console/group-deals").status_code == 403


def test_a_shopper_opens_a_group_on_a_deal_that_allows_it_and_neighbours_join_it(client, make, hood):
    answer = client.post("/api/v1/console/deals", headers=make.staff_headers("marketing"), json={
        "product_id": hood.product.id, "compound_ids": [hood.home.id], "deal_price_fen": 2800, "kind": "compound",
        "group_price_fen": 2200, "group_min_households": 2})
    assert answer.status_code == 201, answer.get_json()
    deal_id = answer.get_json()["deal"]["id"]
    patched = client.patch(f"/api/v1/console/deals/{deal_id}", json={"deal_price_fen": 2700},
                           headers=make.staff_headers("marketing"))
    assert (patched.get_json()["deal"]["group_price_fen"], patched.get_json()["deal"]["group_min_households"]) == \
        (2200, 2)  # an edit that leaves the group terms out keeps them
    _, opener = hood.neighbour()
    body = {"deal_id": deal_id, "compound_id": hood.home.id}

    opened = client.post("/api/v1/group-deals", json=body, headers=opener)
    _, neighbour = hood.neighbour()
    again = client.post("/api/v1/group-deals", json=body, headers=neighbour)

    assert opened.status_code == 201, opened.get_json()
    group = opened.get_json()["group_deal"]
    assert (group["group_price_fen"], group["min_households"], group["status"]) == (2200, 2, "open")
    assert again.status_code == 200 and again.get_json()["group_deal"]["id"] == group["id"]  # join it instead
    assert hood.join(group["id"], opener).status_code == 201
    joined = hood.join(group["id"], neighbour).get_json()["group_deal"]
    assert (joined["joined"], joined["status"]) == (2, "succeeded")


def test_a_shopper_may_not_open_a_group_where_the_deal_does_not_allow_it(client, make, hood):
    marketing = make.staff_headers("marketing")
    plain = make.deal(hood.product, [hood.home], 2800)
    elsewhere = make.compound()
    half = client.post("/api/v1/console/deals", headers=marketing, json={
        "product_id": hood.product.id, "compound_ids": [hood.home.id], "deal_price_fen": 2800, "kind": "compound",
        "group_price_fen": 2200})
    allowed = client.post("/api/v1/console/deals", headers=marketing, json={
        "product_id": hood.product.id, "compound_ids": [elsewhere.id], "deal_price_fen": 2800, "kind": "compound",
        "group_price_fen": 2200, "group_min_households": 3}).get_json()["deal"]
    _, shopper = hood.neighbour()

    assert_invalid(half, "group_min_households")  # both terms or neither
    assert_invalid(client.post("/api/v1/group-deals", json={"deal_id": plain.id, "compound_id": hood.home.id},
                               headers=shopper), "deal_id")
    assert_error(client.post("/api/v1/group-deals", json={"deal_id": allowed["id"], "compound_id": elsewhere.id},
                             headers=shopper), 403, "not_in_compound")
