"""Live popularity per product (issue 15, part 3): who views each product now (`/shopper`
`viewing`, a 2-minute window), who bought it today, pushed as `live` `items`, coalesced.

Every test runs on SQLite and PostgreSQL, each with the SQL counters and with the Redis ones
(the `redis` app: REDIS_URL set, keys under a test prefix, forgotten after the test).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db, socketio
from app.models import utcnow
from app.services.popularity import build_counters
from app.services.popularity.redis_counters import RedisCounters
from app.wiring import popularity
from tests.conftest import TEST_REDIS_URL
from tests.groups import hood  # noqa: F401  (fixture: a compound, its courier, a product, marketing)


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """The `redis` app also counts popularity in Redis (REDIS_URL set): both counters run every test."""
    return request.param


@pytest.fixture
def shop(app, client, make):
    """A compound on a courier's route, two products on deal there, a shopper with a store session."""
    home = make.compound()
    courier = make.courier([home])
    milk, eggs = make.product(), make.product()
    for product in (milk, eggs):
        make.deal(product, [home], product.price_fen - 100)
    _, headers = make.shopper(home=home)
    return home, courier, milk, eggs, headers, make.store_session(headers, courier)


@pytest.fixture
def pushes(monkeypatch):
    """The announcer's background loop, not started: the test pushes by hand (no sleeps).
    Answers the list of loops that would have started."""
    started = []
    monkeypatch.setattr(socketio, "start_background_task", lambda target, *a, **kw: started.append(target))
    return started


def shopper_socket(app, client, headers):
    token = headers["Authorization"].split()[1]
    socket = socketio.test_client(app, namespace="/shopper", auth={"token": token}, flask_test_client=client)
    db.session.commit()
    return socket


def heard(socket, name="live") -> list[dict]:
    db.session.commit()
    return [e["args"][0] for e in socket.get_received("/shopper") if e["name"] == name]


def view(socket, session_id, product):
    db.session.commit()  # SQLite: the test's session lets the handler write
    return socket.emit("viewing", {"store_session_id": session_id, "product_id": product and product.id},
                       namespace="/shopper", callback=True)


def item(client, headers, session_id, product) -> dict:
    front = client.get(f"/api/v1/store-sessions/{session_id}/storefront", headers=headers).get_json()
    return next(i for i in front["hot_items"] if i["product_id"] == product.id)


def announcer(app):
    return app.extensions["xiaoge.live_announcer"]


def push_waiting(app):
    """One interval of the announcer's loop: push what is waiting."""
    db.session.commit()
    live = announcer(app)
    due, live.waiting = live.waiting, set()
    live.push(due)


def test_the_counters_follow_the_app(app, shake_draws):
    assert isinstance(popularity(), RedisCounters) is (shake_draws == "redis")


def test_a_viewer_counts_for_the_product_on_screen_only(app, client, make, shop, pushes):
    home, courier, milk, eggs, headers, session_id = shop
    socket = shopper_socket(app, client, headers)
    assert view(socket, session_id, milk) == {"ok": True}
    assert item(client, headers, session_id, milk)["watching"] == 1
    assert item(client, headers, session_id, eggs)["watching"] == 0
    view(socket, session_id, eggs)  # moved on: milk's view ends
    assert (item(client, headers, session_id, milk)["watching"], item(client, headers, session_id, eggs)["watching"]) \
        == (0, 1)
    view(socket, session_id, None)  # back to the storefront
    assert item(client, headers, session_id, eggs)["watching"] == 0


def test_watching_counts_shoppers_and_runs_out_after_the_window(app, make, shop):
    home, courier, milk, _, _, _ = shop
    counters, now = popularity(), utcnow()
    shoppers = [make.shopper(home=home)[0] for _ in range(3)]
    for n, shopper_id in enumerate(shoppers):
        counters.view(db.session, home.id, shopper_id, milk.id, now - timedelta(seconds=(0, 30, 90)[n]))
    counters.view(db.session, home.id, shoppers[0], milk.id, now)  # a renewal is the same shopper
    db.session.commit()
    assert counters.watching(db.session, home.id, now) == {milk.id: 3}
    assert counters.watching(db.session, home.id, now + timedelta(seconds=61)) == {milk.id: 2}  # 2 minutes
    assert counters.watching(db.session, home.id, now + timedelta(minutes=3)) == {}
    assert counters.watching(db.session, make.compound().id, now) == {}  # per compound


def test_viewing_refuses_someone_elses_session_and_an_unknown_product(app, client, make, shop, pushes):
    home, courier, milk, _, headers, session_id = shop
    _, stranger = make.shopper(home=home)
    theirs = make.store_session(stranger, courier)
    socket = shopper_socket(app, client, headers)
    assert view(socket, theirs, milk)["error"]["code"] == "not_found"
    answer = socket.emit("viewing", {"store_session_id": session_id, "product_id": 10**9}, namespace="/shopper",
                         callback=True)
    assert answer["error"]["code"] == "invalid_request"
    assert socket.emit("viewing", {"product_id": milk.id}, namespace="/shopper",
                       callback=True)["error"]["code"] == "invalid_request"
    assert popularity().watching(db.session, home.id, utcnow()) == {}


def test_bought_today_follows_orders_and_cancels(app, client, make, shop, pushes):
    home, courier, milk, eggs, headers, session_id = shop
    _, other = make.shopper(home=home)
    other_session = make.store_session(other, courier)
    make.placed_order(headers, session_id, [(milk, 2), (eggs, 1)])
    second = make.placed_order(headers, session_id, [(milk, 1)])
    cancelled = make.placed_order(other, other_session, [(milk, 1)])
    assert popularity().bought_today(db.session, home.id, utcnow()) == {milk.id: 2, eggs.id: 1}
    assert client.post(f"/api/v1/orders/{cancelled['id']}/cancel", headers=other).status_code == 200
    assert popularity().bought_today(db.session, home.id, utcnow()) == {milk.id: 1, eggs.id: 1}
    # One of two orders of milk cancelled: the shopper still bought it today.
    assert client.post(f"/api/v1/orders/{second['id']}/cancel", headers=headers).status_code == 200
    assert item(client, headers, session_id, milk)["bought_today"] == 1
    assert popularity().bought_today(db.session, home.id, utcnow() + timedelta(days=1)) == {}


def test_a_group_join_counts_in_bought_today_until_its_order_is_cancelled(app, client, hood, pushes):
    deal = hood.open_deal(min_households=2)
    _, neighbour = hood.neighbour()
    order = hood.join(deal["id"], neighbour).get_json()["join"]["order"]
    assert popularity().bought_today(db.session, hood.home.id, utcnow()) == {hood.product.id: 1}

    assert client.post(f"/api/v1/orders/{order['id']}/cancel", headers=neighbour).status_code == 200

    assert popularity().bought_today(db.session, hood.home.id, utcnow()) == {}


def test_an_order_rolled_back_is_not_counted(app, make, shop):
    from app.services.store import orders, storefront
    home, courier, milk, _, _, session_id = shop
    store_session = storefront.get_store_session(db.session, session_id, storefront_owner(session_id))
    orders.place_order(db.session, store_session, [{"product_id": milk.id, "quantity": 1}], utcnow())
    db.session.rollback()
    db.session.commit()
    assert popularity().bought_today(db.session, home.id, utcnow()) == {}


def storefront_owner(session_id):
    from app.models import StoreSession
    return db.session.get(StoreSession, session_id).shopper_id


def test_many_changes_make_one_push_with_the_changed_items(app, client, make, shop, pushes):
    home, courier, milk, eggs, headers, session_id = shop
    listener = shopper_socket(app, client, headers)
    viewers = []
    for _ in range(5):
        _, viewer_headers = make.shopper(home=home)
        viewers.append((shopper_socket(app, client, viewer_headers), make.store_session(viewer_headers, courier)))
    listener.emit("enter_store", {"store_session_id": session_id}, namespace="/shopper", callback=True)
    for socket, viewer_session in viewers:
        for product in (eggs, milk, milk):
            view(socket, viewer_session, product)
    make.placed_order(headers, session_id, [(eggs, 1)])
    heard(listener)

    assert len(pushes) == 1  # 17 changes, one loop: it pushes once an interval
    push_waiting(app)
    pushed = heard(listener)
    assert len(pushed) == 1
    assert pushed[0]["compound_id"] == home.id and pushed[0]["buying"] == 1
    assert pushed[0]["items"] == {str(milk.id): {"watching": 5, "bought_today": 0},
                                  str(eggs.id): {"watching": 0, "bought_today": 1}}

    view(viewers[0][0], viewers[0][1], milk)  # a renewal changes no figure
    push_waiting(app)
    assert heard(listener)[0]["items"] == {}


def test_a_view_running_out_reaches_the_room_on_a_recheck(app, client, make, shop, pushes):
    home, courier, milk, _, headers, session_id = shop
    listener = shopper_socket(app, client, headers)
    listener.emit("enter_store", {"store_session_id": session_id}, namespace="/shopper", callback=True)
    view(listener, session_id, milk)
    push_waiting(app)
    assert heard(listener)[-1]["items"] == {str(milk.id): {"watching": 1, "bought_today": 0}}
    live = announcer(app)
    assert home.id in live.rechecks  # a compound with viewers is looked at again

    db.session.remove()
    live.push(set(), {home.id})  # nothing ran out yet: a recheck pushes nothing
    assert heard(listener) == []
    live.now = lambda: utcnow() + timedelta(minutes=3)
    live.push(set(), {home.id})
    assert heard(listener)[-1]["items"] == {str(milk.id): {"watching": 0, "bought_today": 0}}
    assert home.id not in live.rechecks


@pytest.mark.one_database
@pytest.mark.parametrize("shake_draws", ["redis"], indirect=True)
def test_two_redis_workers_push_each_change_once(app):
    prefix = app.config["REDIS_KEY_PREFIX"]
    one, two = (build_counters({"REDIS_URL": TEST_REDIS_URL, "REDIS_KEY_PREFIX": prefix}) for _ in range(2))
    try:
        assert one.swap_shown(7, {1: (2, 0), 2: (0, 3)}) == {1: (2, 0), 2: (0, 3)}
        assert two.swap_shown(7, {1: (2, 0), 2: (0, 3)}) == {}
        assert two.swap_shown(7, {2: (0, 4)}) == {1: (0, 0), 2: (0, 4)}
        assert one.swap_shown(8, {}) == {}
    finally:
        one.close()
        two.close()


def test_sql_is_the_default_and_redis_needs_its_url():
    assert type(build_counters({})).__name__ == "SqlCounters"
    assert type(build_counters({"POPULARITY_COUNTERS": "sql", "REDIS_URL": TEST_REDIS_URL})).__name__ == "SqlCounters"
    with pytest.raises(RuntimeError):
        build_counters({"POPULARITY_COUNTERS": "redis"})
