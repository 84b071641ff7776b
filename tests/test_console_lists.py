"""Console lists a page at a time: `?limit=&cursor=` -> `{"<plural>": [...], "next_cursor"}`."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Campaign, Compound, CouponTemplate, Courier, Deal, Product, Staff
from app.schemas.paging import Cursor
from app.services.paging import DEFAULT_LIMIT, MAX_LIMIT
from tests.assertions import assert_error, assert_invalid
from tests.factories import now

CONSOLE = "/api/v1/console"
# path -> (plural key, model, the roles that may read it besides admin)
LISTS = {
    "compounds": ("compounds", Compound, {"ops", "marketing"}),
    "couriers": ("couriers", Courier, {"ops"}),
    "products": ("products", Product, {"ops", "marketing"}),
    "deals": ("deals", Deal, {"marketing"}),
    "coupon-templates": ("coupon_templates", CouponTemplate, {"marketing"}),
    "campaigns": ("campaigns", Campaign, {"marketing"}),
    "staff": ("staff", Staff, set()),
}


@pytest.fixture
def some_of_everything(make):
    """Five of each kind of row (and the staff accounts tokens were made for)."""
    for _ in range(5):
        home = make.compound()
        make.courier([home])
        product = make.product()
        make.deal(product, [home], product.price_fen - 1)
        make.campaign([home])  # with a coupon template of its own
        make.staff_member("ops")


def walk(client, headers, path: str, plural: str, limit: int) -> tuple[list[int], int]:
    """Every id a list shows, following next_cursor page by page; and how many pages it took."""
    ids, cursor, pages = [], None, 0
    while True:
        query = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        answer = client.get(f"{CONSOLE}/{path}", query_string=query, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert set(body) == {plural, "next_cursor"}
        assert len(body[plural]) <= limit
        ids += [row["id"] for row in body[plural]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
        assert body[plural], "a page that points further is never empty"


@pytest.mark.parametrize("path", sorted(LISTS))
def test_walking_the_pages_shows_every_row_exactly_once_and_ends_with_a_null_cursor(client, make, path,
                                                                                    some_of_everything):
    plural, model, _ = LISTS[path]
    headers = make.staff_headers("admin")
    every_id = list(db.session.scalars(select(model.id).order_by(model.id)))
    assert len(every_id) >= 5
    ids, pages = walk(client, headers, path, plural, limit=2)
    assert ids == every_id  # each once, lowest id first
    assert pages == (len(every_id) + 1) // 2  # no empty page at the end when the count is even


def test_a_list_that_fits_in_one_page_has_a_null_cursor(client, make):
    make.compound(), make.compound()
    body = client.get(f"{CONSOLE}/compounds", headers=make.staff_headers("ops")).get_json()
    assert len(body["compounds"]) == 2 and body["next_cursor"] is None


def test_a_list_shows_fifty_rows_by_default(client, make):
    for _ in range(DEFAULT_LIMIT + 1):
        make.product()
    body = client.get(f"{CONSOLE}/products", headers=make.staff_headers("ops")).get_json()
    assert len(body["products"]) == DEFAULT_LIMIT and body["next_cursor"] is not None


def test_a_row_added_between_pages_is_seen_and_none_is_repeated(client, make):
    first = [make.compound().id for _ in range(3)]
    headers = make.staff_headers("ops")
    page_one = client.get(f"{CONSOLE}/compounds?limit=2", headers=headers).get_json()
    added = make.compound().id
    page_two = client.get(f"{CONSOLE}/compounds", query_string={"limit": 2, "cursor": page_one["next_cursor"]},
                          headers=headers).get_json()
    assert [c["id"] for c in page_one["compounds"] + page_two["compounds"]] == [*first, added]
    assert page_two["next_cursor"] is None


def test_the_cursor_is_opaque_text_not_an_id(client, make):
    make.compound(), make.compound()
    cursor = client.get(f"{CONSOLE}/compounds?limit=1", headers=make.staff_headers("ops")).get_json()["next_cursor"]
    assert isinstance(cursor, str) and not cursor.isdigit()


@pytest.mark.parametrize("limit", ["0", "-1", str(MAX_LIMIT + 1), "ten", "1.5", ""])
def test_a_bad_limit_is_refused_naming_it(client, make, limit):
    answer = client.get(f"{CONSOLE}/couriers", query_string={"limit": limit}, headers=make.staff_headers("ops"))
    assert_invalid(answer, "limit")


def test_the_largest_limit_is_accepted(client, make):
    answer = client.get(f"{CONSOLE}/couriers", query_string={"limit": MAX_LIMIT}, headers=make.staff_headers("ops"))
    assert answer.status_code == 200


@pytest.mark.parametrize("cursor", [
    "12", "not-base64!", "", "YWZ0ZXI6", "YWZ0ZXI6LTE", "YWZ0ZXI6MA", "YWZ0ZXI6YWJj", "Zm9vOjE",
    Cursor()._serialize(2**63, None, None), "\u00e9\u00e9\u00e9\u00e9",
])
def test_a_cursor_this_server_did_not_give_out_is_refused_naming_it(client, make, cursor):
    answer = client.get(f"{CONSOLE}/deals", query_string={"cursor": cursor}, headers=make.staff_headers("marketing"))
    assert_invalid(answer, "cursor")


@pytest.mark.parametrize("path", sorted(LISTS))
@pytest.mark.parametrize("role", ["ops", "marketing"])
def test_each_list_is_read_by_the_roles_that_make_its_rows(client, make, path, role):
    answer = client.get(f"{CONSOLE}/{path}", headers=make.staff_headers(role))
    if role in LISTS[path][2]:
        assert answer.status_code == 200, (path, role)
    else:
        assert_error(answer, 403, "forbidden")


def test_a_list_needs_a_staff_token(client, make):
    _, shopper = make.shopper()
    assert_error(client.get(f"{CONSOLE}/products"), 401, "unauthorized")
    assert_error(client.get(f"{CONSOLE}/products", headers=shopper), 401, "unauthorized")


def test_list_rows_have_the_shape_of_a_created_row(client, make):
    home = make.compound()
    headers = make.staff_headers("admin")
    created = client.post(f"{CONSOLE}/coupon-templates", json=make.coupon_template_body([home]),
                          headers=headers).get_json()["coupon_template"]
    listed = client.get(f"{CONSOLE}/coupon-templates", headers=headers).get_json()["coupon_templates"]
    assert listed == [created]
    campaign = make.campaign([home], starts_at=now() + timedelta(days=1), ends_at=now() + timedelta(days=2))
    shown = client.get(f"{CONSOLE}/campaigns/{campaign.id}", headers=headers).get_json()["campaign"]
    assert client.get(f"{CONSOLE}/campaigns", headers=headers).get_json()["campaigns"] == [shown]


def test_the_staff_list_shows_no_password_hash(client, make):
    headers = make.staff_headers("admin")
    (member,) = client.get(f"{CONSOLE}/staff", headers=headers).get_json()["staff"]
    assert set(member) >= {"id", "username", "role"} and "password_hash" not in member


def test_the_campaign_list_takes_a_fixed_number_of_queries_whatever_its_length(app, client, make):
    headers = make.staff_headers("marketing")
    app.extensions["xiaoge.standings"].clock = lambda: 0.0  # the staff account, once read, stays cached

    def queries_for_one_page() -> int:
        seen = []

        def listener(*args):
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"{CONSOLE}/campaigns?limit=200", headers=headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    queries_for_one_page()  # the first call also reads the staff account, cached from then on
    home = make.compound()
    make.campaign([home])
    one = queries_for_one_page()
    for _ in range(5):
        make.campaign([home])
    assert queries_for_one_page() == one
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 6


@pytest.mark.one_database  # a document, not data
def test_the_openapi_document_gives_each_list_its_paging_and_each_delete_its_204(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, (plural, _, _) in LISTS.items():
        listing = paths[f"{CONSOLE}/{path}"]["get"]
        assert {p["name"] for p in listing["parameters"] if p["in"] == "query"} == {"limit", "cursor"}
        page = listing["responses"]["200"]["content"]["application/json"]["schema"]
        assert page["$ref"].endswith("Page"), page
        (item,) = [ops for p, ops in paths.items() if p.startswith(f"{CONSOLE}/{path}/{{") and p.count("/") == 5]
        assert "204" in item["delete"]["responses"], path
