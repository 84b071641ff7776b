"""Addresses matched to compounds, and store sessions: which compound a scan lands in."""
from __future__ import annotations

from app.extensions import db
from app.models import Address, StoreSession

ADDRESSES = "/api/v1/me/addresses"
SESSIONS = "/api/v1/store-sessions"


def add_address(client, headers, detail, **extra):
    body = {"recipient": "李四", "phone": "13900000000", "detail": detail, **extra}
    return client.post(ADDRESSES, json=body, headers=headers)


def address_compound(client, headers, detail, **extra):
    answer = add_address(client, headers, detail, **extra)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["address"]["compound"]


def ref(compound):
    return {"id": compound.id, "name": compound.name}


# --- addresses ---------------------------------------------------------------------------


def test_address_answer_has_its_fields_and_compound(client, make):
    home = make.compound(name="翠湖天地")
    _, headers = make.shopper()
    answer = add_address(client, headers, "翠湖天地 2栋1202", compound_id=home.id)
    assert answer.status_code == 201, answer.get_json()
    address = answer.get_json()["address"]
    assert isinstance(address["id"], int)
    assert address["recipient"] == "李四"
    assert address["phone"] == "13900000000"
    assert address["detail"] == "翠湖天地 2栋1202"
    assert address["compound"] == ref(home)


def test_explicit_compound_id_wins_over_the_detail_text(client, make):
    named = make.compound(name="翠湖天地")
    chosen = make.compound(name="世纪公园")
    _, headers = make.shopper()
    assert address_compound(client, headers, "翠湖天地 2栋", compound_id=chosen.id) == ref(chosen)
    assert named.id != chosen.id


def test_compound_is_matched_from_detail_by_name(client, make):
    home = make.compound(name="翠湖天地")
    make.compound(name="世纪公园")
    _, headers = make.shopper()
    assert address_compound(client, headers, "上海市黄浦区 翠湖天地 5号楼 301") == ref(home)


def test_compound_is_matched_from_detail_by_alias(client, make):
    home = make.compound(name="万科城市花园", aliases=["万科城花"])
    _, headers = make.shopper()
    assert address_compound(client, headers, "万科城花 12栋") == ref(home)


def test_matching_ignores_blanks_and_letter_case(client, make):
    home = make.compound(name="Sunny Garden")
    _, headers = make.shopper()
    assert address_compound(client, headers, "sunnygarden block 3") == ref(home)


def test_longest_matching_name_wins(client, make):
    make.compound(name="阳光花园")
    phase_two = make.compound(name="阳光花园二期")
    _, headers = make.shopper()
    assert address_compound(client, headers, "阳光花园二期3栋") == ref(phase_two)


def test_longest_match_wins_across_names_and_aliases(client, make):
    make.compound(name="锦绣苑")
    south = make.compound(name="锦绣南苑", aliases=["锦绣苑南区"])
    _, headers = make.shopper()
    assert address_compound(client, headers, "浦东锦绣苑南区5号") == ref(south)


def test_detail_matching_no_compound_leaves_compound_null(client, make):
    make.compound(name="翠湖天地")
    _, headers = make.shopper()
    assert address_compound(client, headers, "北京市朝阳区某某路8号") is None


def test_unknown_compound_id_is_refused(client, make):
    _, headers = make.shopper()
    answer = add_address(client, headers, "某处", compound_id=999_999)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"] == "invalid_request"
    assert "compound_id" in answer.get_json()["error"]["fields"]


def test_first_address_becomes_default_and_later_ones_do_not(client, make):
    _, headers = make.shopper()
    first = add_address(client, headers, "一号").get_json()["address"]
    second = add_address(client, headers, "二号").get_json()["address"]
    assert first["is_default"] is True
    assert second["is_default"] is False


def test_new_default_address_unsets_the_old_default(client, make):
    shopper_id, headers = make.shopper()
    first = add_address(client, headers, "一号").get_json()["address"]
    second = add_address(client, headers, "二号", is_default=True).get_json()["address"]
    listed = client.get(ADDRESSES, headers=headers).get_json()["addresses"]
    assert [(a["id"], a["is_default"]) for a in listed] == [(second["id"], True), (first["id"], False)]
    defaults = db.session.query(Address).filter_by(shopper_id=shopper_id, is_default=True).count()
    assert defaults == 1


def test_addresses_list_only_the_shoppers_own(client, make):
    _, mine = make.shopper()
    _, theirs = make.shopper()
    add_address(client, mine, "我的地址")
    add_address(client, theirs, "别人的地址")
    listed = client.get(ADDRESSES, headers=mine).get_json()["addresses"]
    assert [a["detail"] for a in listed] == ["我的地址"]


# --- compound search ---------------------------------------------------------------------


def test_compound_search_finds_by_alias_and_sorts_by_distance(client, make):
    near = make.compound(name="近邻苑", lat=31.2000, lng=121.5000)
    far = make.compound(name="远方苑", lat=31.3000, lng=121.6000, aliases=["远方"])
    _, headers = make.shopper()
    by_alias = client.get("/api/v1/compounds?q=远方", headers=headers).get_json()["compounds"]
    assert [c["id"] for c in by_alias] == [far.id]
    by_distance = client.get("/api/v1/compounds?lat=31.2001&lng=121.5001", headers=headers).get_json()
    hits = by_distance["compounds"]
    assert [c["id"] for c in hits] == [near.id, far.id]
    assert hits[0]["distance_m"] < hits[1]["distance_m"]
    assert set(hits[0]) == {"id", "name", "city", "district", "distance_m"}


def test_compound_search_with_blank_parameters_lists_every_compound(client, make):
    first, second = make.compound(), make.compound()
    _, headers = make.shopper()
    answer = client.get("/api/v1/compounds?q=&lat=&lng=", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert [c["id"] for c in answer.get_json()["compounds"]] == [first.id, second.id]
    assert all(c["distance_m"] is None for c in answer.get_json()["compounds"])


# --- store sessions ----------------------------------------------------------------------


def open_session(client, headers, courier, compound=None):
    body = {"courier_code": courier.courier_code}
    if compound is not None:
        body["compound_id"] = compound.id
    return client.post(SESSIONS, json=body, headers=headers)


def test_store_session_answer_names_courier_and_compound(client, make):
    home = make.compound()
    courier = make.courier(compounds_=[home], avatar_url="https://img.test/c.png")
    _, headers = make.shopper(home=home)
    answer = open_session(client, headers, courier)
    assert answer.status_code == 201, answer.get_json()
    session = answer.get_json()["session"]
    assert set(session) == {"id", "courier", "compound"}
    assert session["courier"] == {"id": courier.id, "name": courier.name, "avatar_url": "https://img.test/c.png"}
    assert session["compound"] == ref(home)


def test_explicit_compound_wins_over_default_address(client, make):
    home, other = make.compound(), make.compound()
    courier = make.courier(compounds_=[home, other])
    _, headers = make.shopper(home=home)
    answer = open_session(client, headers, courier, other)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["session"]["compound"] == ref(other)


def test_default_address_compound_is_used_without_an_explicit_one(client, make):
    home, other = make.compound(), make.compound()
    courier = make.courier(compounds_=[other, home])
    shopper_id, headers = make.shopper()
    add_address(client, headers, "别处", compound_id=other.id, is_default=False)
    add_address(client, headers, "家", compound_id=home.id, is_default=True)
    answer = open_session(client, headers, courier)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["session"]["compound"] == ref(home)
    stored = db.session.get(StoreSession, answer.get_json()["session"]["id"])
    assert (stored.shopper_id, stored.courier_id, stored.compound_id) == (shopper_id, courier.id, home.id)


def assert_compound_required(answer, courier_route):
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "compound_required"
    assert isinstance(error["message"], str)
    assert error["candidates"] == [ref(c) for c in courier_route]


def test_without_compound_or_address_the_courier_route_is_offered(client, make):
    route = [make.compound(), make.compound()]
    make.compound()  # not on the route: not a candidate
    courier = make.courier(compounds_=route)
    _, headers = make.shopper()
    assert_compound_required(open_session(client, headers, courier), route)
    assert db.session.query(StoreSession).count() == 0


def test_default_address_without_a_compound_still_requires_a_choice(client, make):
    route = [make.compound(name="翠湖天地")]
    courier = make.courier(compounds_=route)
    _, headers = make.shopper()
    assert address_compound(client, headers, "无名小区 1号") is None
    assert_compound_required(open_session(client, headers, courier), route)


def test_a_compound_off_the_couriers_route_requires_a_choice_from_the_route(client, make):
    route, elsewhere = [make.compound()], make.compound()
    courier = make.courier(compounds_=route)
    _, headers = make.shopper()
    assert_compound_required(open_session(client, headers, courier, elsewhere), route)


def test_a_home_off_the_couriers_route_requires_a_choice_from_the_route(client, make):
    route, elsewhere = [make.compound()], make.compound()
    courier = make.courier(compounds_=route)
    _, headers = make.shopper(home=elsewhere)
    assert_compound_required(open_session(client, headers, courier), route)
    assert db.session.query(StoreSession).count() == 0


def test_unknown_courier_code_is_unknown_courier(client, make):
    _, headers = make.shopper(home=make.compound())
    answer = client.post(SESSIONS, json={"courier_code": "no-such-courier"}, headers=headers)
    assert answer.status_code == 404, answer.get_json()
    assert answer.get_json()["error"]["code"] == "unknown_courier"


def test_unknown_explicit_compound_is_refused(client, make):
    courier = make.courier()
    _, headers = make.shopper()
    answer = client.post(SESSIONS, json={"courier_code": courier.courier_code, "compound_id": 999_999},
                         headers=headers)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"] == "invalid_request"


def test_someone_elses_store_session_is_not_found(client, make):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    _, owner = make.shopper(home=home)
    _, stranger = make.shopper(home=home)
    session_id = make.store_session(owner, courier)
    assert client.get(f"{SESSIONS}/{session_id}/storefront", headers=owner).status_code == 200
    answer = client.get(f"{SESSIONS}/{session_id}/storefront", headers=stranger)
    assert answer.status_code == 404, answer.get_json()
    assert answer.get_json()["error"]["code"] == "not_found"
