"""The courier's handheld hears `pickup_added` for store orders and won items alike."""
from __future__ import annotations

from app.extensions import socketio


def courier_socket(app, client, make, courier):
    token = make.courier_headers(courier)["Authorization"].split()[1]
    return socketio.test_client(app, namespace="/courier", auth={"token": token}, flask_test_client=client)


def pickups_heard(socket):
    return [e["args"][0]["order"] for e in socket.get_received("/courier") if e["name"] == "pickup_added"]


def test_a_store_order_reaches_the_couriers_pick_list_live(app, client, make):
    home = make.compound()
    courier, colleague = make.courier([home]), make.courier([home])
    mine, theirs = courier_socket(app, client, make, courier), courier_socket(app, client, make, colleague)
    _, headers = make.shopper(home=home)
    product = make.product()
    session_id = make.store_session(headers, courier)

    order = make.placed_order(headers, session_id, [(product, 2)], key="k-1")
    make.client.post("/api/v1/orders", json={"store_session_id": session_id,
                                            "items": [{"product_id": product.id, "quantity": 2}]},
                     headers={**headers, "Idempotency-Key": "k-1"})  # a retry: heard once only

    heard = pickups_heard(mine)
    assert [o["id"] for o in heard] == [order["id"]]
    assert heard[0]["items"][0]["quantity"] == 2 and heard[0]["status"] == "reserved"
    assert pickups_heard(theirs) == []


def test_a_won_item_reaches_the_van_that_opened_the_round(app, client, make):
    home = make.compound()
    courier = make.courier([home])
    product = make.product(name="鸡蛋")
    make.campaign([home], prizes=[{"kind": "item", "product_id": product.id, "per_round": 1,
                                   "win_probability": 1.0}])
    socket = courier_socket(app, client, make, courier)
    _, headers = make.shopper(home=home)
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]

    won = make.shake(round_id, headers).get_json()

    heard = pickups_heard(socket)
    assert [o["id"] for o in heard] == [won["prize"]["order"]["id"]]
    assert heard[0]["source"] == "shake" and heard[0]["items"][0]["name"] == "鸡蛋"
