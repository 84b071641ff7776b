"""The store's whole catalogue: by category and name, a page at a time, at the shopper's price."""
from __future__ import annotations

import pytest

from tests.van import load_van


@pytest.fixture
def store(make):
    """A courier's store in a shopper's home compound, and another compound: (store session id,
    the shopper's headers, home, elsewhere, the courier)."""
    home, elsewhere = make.compound(), make.compound()
    courier = make.courier(compounds_=[home])
    _, headers = make.shopper(home=home)
    return make.store_session(headers, courier), headers, home, elsewhere, courier


def browse(client, session_id, headers, status=200, **query):
    answer = client.get(f"/api/v1/store-sessions/{session_id}/catalogue", query_string=query, headers=headers)
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


def test_every_product_is_listed_once_across_pages_with_the_categories(client, make, store):
    session_id, headers, *_ = store
    made = [make.product(category="粮油" if n % 2 else "生鲜").id for n in range(7)]
    seen, cursor = [], None
    while True:
        page = browse(client, session_id, headers, limit=3, **({"cursor": cursor} if cursor else {}))
        assert page["categories"] == ["生鲜", "粮油"] and len(page["items"]) <= 3
        seen += [item["product_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made


def test_a_category_and_a_name_narrow_the_list(client, make, store):
    session_id, headers, *_ = store
    rice = make.product(name="东北大米 5kg", category="粮油")
    make.product(name="花生油", category="粮油")
    make.product(name="大米饼干", category="零食")
    assert [i["name"] for i in browse(client, session_id, headers, category="粮油")["items"]] == ["东北大米 5kg", "花生油"]
    assert [i["product_id"] for i in browse(client, session_id, headers, q="大米", category="粮油")["items"]] == [rice.id]
    assert len(browse(client, session_id, headers, q="大米")["items"]) == 2


def test_a_search_for_wildcards_matches_them_literally(client, make, store):
    session_id, headers, *_ = store
    make.product(name="100% 橙汁")
    make.product(name="1000 毫升牛奶")
    assert [i["name"] for i in browse(client, session_id, headers, q="100%")["items"]] == ["100% 橙汁"]
    assert browse(client, session_id, headers, q="_")["items"] == []


def test_items_carry_the_price_this_shopper_pays_here(client, make, store):
    session_id, headers, home, elsewhere, _ = store
    product = make.product(price_fen=2000)
    make.deal(product, [home], 1500)
    make.deal(product, [elsewhere], 900)  # another compound's deal is not this store's price
    item = browse(client, session_id, headers)["items"][0]
    assert item == {"product_id": product.id, "name": product.name, "image_url": None, "price_fen": 2000,
                    "deal_price_fen": 1500, "discount_pct": 25, "category": product.category, "on_van": None,
                    "watching": 0, "bought_today": 0}


def test_items_carry_what_the_van_has_left_once_it_is_loaded(client, make, store):
    session_id, headers, home, _, courier = store
    on_board, not_carried = make.product(), make.product()
    other_courier = make.courier(compounds_=[home])
    load_van(client, make.courier_headers(other_courier), [(on_board, 9)])  # not this store's van
    assert {i["on_van"] for i in browse(client, session_id, headers)["items"]} == {None}  # no load: untracked
    load_van(client, make.courier_headers(courier), [(on_board, 3)])
    left = {i["product_id"]: i["on_van"] for i in browse(client, session_id, headers)["items"]}
    assert left == {on_board.id: 3, not_carried.id: 0}


def test_someone_elses_store_session_is_not_found(client, make, store):
    session_id, *_ = store
    _, stranger = make.shopper()
    assert browse(client, session_id, stranger, status=404)["error"]["code"] == "not_found"


@pytest.mark.one_database
@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 201}, {"cursor": "nonsense"}, {"q": " "},
                                   {"category": "x" * 61}])
def test_bad_queries_are_refused_naming_the_field(client, make, store, query):
    session_id, headers, *_ = store
    body = browse(client, session_id, headers, status=422, **query)
    assert body["error"]["code"] == "invalid_request" and set(body["error"]["fields"]) == set(query)
