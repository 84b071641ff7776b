"""Console shake campaigns: scheduling, validation, roles, pause/resume and live figures."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Campaign, Coupon, Order, ShakeRound
from tests.assertions import assert_error
from tests.draws import shake_id_in_share
from tests.factories import now

CAMPAIGNS = "/api/v1/console/campaigns"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def campaign_body(make, compounds_, **kw) -> dict:
    """A valid POST /console/campaigns body: a coupon prize and an item prize."""
    template, product = make.coupon_template(compounds_), make.product()
    body = {"title": "晚高峰摇一摇", "compound_ids": [c.id for c in compounds_],
            "starts_at": (now() - timedelta(hours=1)).isoformat(),
            "ends_at": (now() + timedelta(days=1)).isoformat(),
            "window_seconds": 120, "shakes_per_shopper": 3, "wins_per_shopper": 1,
            "prizes": [{"kind": "coupon", "coupon_template_id": template.id, "per_round": 5,
                        "win_probability": 1.0},
                       {"kind": "item", "product_id": product.id, "per_round": 2, "win_probability": 1.0}]}
    body.update(kw)
    return body


@pytest.fixture
def marketing(make):
    return make.staff_headers("marketing")


def created(client, headers, body) -> dict:
    answer = client.post(CAMPAIGNS, json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["campaign"]


def test_marketing_creates_a_campaign_with_a_coupon_prize_and_an_item_prize(client, make, marketing):
    home = make.compound()
    body = campaign_body(make, [home])

    campaign = created(client, marketing, body)

    assert isinstance(campaign["id"], int)
    assert campaign["status"] == "live"
    assert campaign["title"] == "晚高峰摇一摇"
    assert campaign["compound_ids"] == [home.id]
    limits = (campaign["window_seconds"], campaign["shakes_per_shopper"], campaign["wins_per_shopper"])
    assert limits == (120, 3, 1)
    assert datetime.fromisoformat(campaign["starts_at"]) == datetime.fromisoformat(body["starts_at"])
    coupon, item = campaign["prizes"]
    assert (coupon["kind"], coupon["coupon_template_id"], coupon["per_round"], coupon["title"]) == \
        ("coupon", body["prizes"][0]["coupon_template_id"], 5, "满30减5")
    assert (item["kind"], item["product_id"], item["per_round"], item["win_probability"]) == \
        ("item", body["prizes"][1]["product_id"], 2, 1.0)
    stored = db.session.get(Campaign, campaign["id"])
    assert [p.kind for p in stored.prizes] == ["coupon", "item"]


def test_admin_may_create_a_campaign_too(client, make):
    assert created(client, make.staff_headers("admin"), campaign_body(make, [make.compound()]))["id"]


@pytest.mark.parametrize("starts, ends, status", [
    (timedelta(hours=2), timedelta(days=1), "scheduled"),
    (timedelta(hours=-1), timedelta(hours=1), "live"),
    (timedelta(days=-2), timedelta(days=-1), "ended"),
])
def test_status_is_scheduled_live_or_ended_as_the_clock_says(client, make, marketing, starts, ends, status):
    body = campaign_body(make, [make.compound()], starts_at=(now() + starts).isoformat(),
                         ends_at=(now() + ends).isoformat())
    campaign = created(client, marketing, body)
    assert campaign["status"] == status
    shown = client.get(f"{CAMPAIGNS}/{campaign['id']}", headers=marketing).get_json()
    assert shown["campaign"]["status"] == status


def _prize(n, **kw):
    return lambda b: b["prizes"][n].update(kw)


@pytest.mark.parametrize("change, field", [
    (lambda b: b.update(ends_at=b["starts_at"]), "ends_at"),
    (lambda b: b.update(ends_at=(now() - timedelta(days=2)).isoformat()), "ends_at"),
    (lambda b: b.update(compound_ids=[987_654_321]), "compound_ids"),
    (lambda b: b.update(compound_ids=[]), "compound_ids"),
    (_prize(0, coupon_template_id=987_654_321), "prizes.0.coupon_template_id"),
    (_prize(0, coupon_template_id=2**63), "prizes.0.coupon_template_id"),
    (lambda b: b["prizes"][0].pop("coupon_template_id"), "prizes.0.coupon_template_id"),
    (_prize(1, product_id=987_654_321), "prizes.1.product_id"),
    (_prize(1, product_id=10**20), "prizes.1.product_id"),
    (_prize(0, kind="cash"), "prizes.0.kind"),
    (_prize(0, win_probability=0), "prizes.0.win_probability"),
    (_prize(1, win_probability=1.0001), "prizes.1.win_probability"),
    (_prize(0, win_probability=-0.5), "prizes.0.win_probability"),
    (_prize(0, per_round=0), "prizes.0.per_round"),
    (_prize(1, per_round="3"), "prizes.1.per_round"),
    (lambda b: b.update(window_seconds=9), "window_seconds"),
    (lambda b: b.update(window_seconds=3601), "window_seconds"),
    (lambda b: b.update(window_seconds=0), "window_seconds"),
    (lambda b: b.update(starts_at="2030-01-01T08:00:00"), "starts_at"),
    (lambda b: b.update(ends_at="2030-01-02T08:00:00"), "ends_at"),
    (lambda b: b.update(starts_at="not a time"), "starts_at"),
    (lambda b: b.update(prizes=[]), "prizes"),
    (lambda b: b.pop("prizes"), "prizes"),
    (lambda b: b.update(shakes_per_shopper=0), "shakes_per_shopper"),
    (lambda b: b.update(title="   "), "title"),
    (lambda b: b.update(title="摇\x00一摇"), "title"),
])
def test_invalid_campaign_is_refused_naming_the_field(client, make, marketing, change, field):
    body = campaign_body(make, [make.compound()])
    change(body)

    answer = client.post(CAMPAIGNS, json=body, headers=marketing)

    error = assert_error(answer, 422, "invalid_request")
    assert field in error["fields"], error
    assert count(Campaign) == 0


@pytest.mark.parametrize("body", [[], "campaign", 42, None, {"prizes": [None]}, {"prizes": "x"}])
@pytest.mark.one_database
def test_malformed_campaign_bodies_are_clean_4xx(client, marketing, body):
    answer = client.post(CAMPAIGNS, json=body, headers=marketing)
    assert 400 <= answer.status_code < 500, answer.get_data(as_text=True)
    assert "error" in answer.get_json()


@pytest.mark.one_database
def test_ops_may_not_touch_campaigns(client, make):
    campaign = make.campaign([make.compound()])
    ops = make.staff_headers("ops")
    body = campaign_body(make, [make.compound()])
    assert_error(client.post(CAMPAIGNS, json=body, headers=ops), 403, "forbidden")
    for action in ("pause", "resume"):
        assert_error(client.post(f"{CAMPAIGNS}/{campaign.id}/{action}", headers=ops), 403, "forbidden")
    assert_error(client.get(f"{CAMPAIGNS}/{campaign.id}", headers=ops), 403, "forbidden")
    assert count(Campaign) == 1


@pytest.mark.one_database
def test_shopper_and_courier_tokens_and_no_token_are_unauthorized(client, make):
    home = make.compound()
    campaign = make.campaign([home])
    _, shopper = make.shopper(home=home)
    courier = make.courier_headers(make.courier([home]))
    body = campaign_body(make, [home])
    for headers in (shopper, courier, {}):
        assert_error(client.post(CAMPAIGNS, json=body, headers=headers), 401, "unauthorized")
        assert_error(client.post(f"{CAMPAIGNS}/{campaign.id}/pause", headers=headers), 401, "unauthorized")
        assert_error(client.get(f"{CAMPAIGNS}/{campaign.id}", headers=headers), 401, "unauthorized")
    assert count(Campaign) == 1


@pytest.mark.parametrize("campaign_id", ["987654321", str(2**63), str(10**20)])
def test_unknown_campaign_is_not_found(client, marketing, campaign_id):
    assert_error(client.get(f"{CAMPAIGNS}/{campaign_id}", headers=marketing), 404, "not_found")
    assert_error(client.post(f"{CAMPAIGNS}/{campaign_id}/pause", headers=marketing), 404, "not_found")
    assert_error(client.post(f"{CAMPAIGNS}/{campaign_id}/resume", headers=marketing), 404, "not_found")


def test_paused_campaign_opens_no_round_until_resumed(client, make, marketing):
    home = make.compound()
    courier = make.courier([home])
    campaign = created(client, marketing, campaign_body(make, [home]))

    paused = client.post(f"{CAMPAIGNS}/{campaign['id']}/pause", headers=marketing)
    assert paused.status_code == 200
    assert paused.get_json()["campaign"]["status"] == "paused"
    quiet = make.arrival(courier, home)
    assert quiet.status_code == 201
    assert quiet.get_json()["rounds"] == []
    assert count(ShakeRound) == 0

    resumed = client.post(f"{CAMPAIGNS}/{campaign['id']}/resume", headers=marketing)
    assert resumed.status_code == 200
    assert resumed.get_json()["campaign"]["status"] == "live"
    opened = make.arrival(courier, home).get_json()["rounds"]
    assert [r["campaign_id"] for r in opened] == [campaign["id"]]


def test_shakes_in_an_open_round_of_a_paused_campaign_are_refused_until_resumed(client, make, marketing):
    home = make.compound()
    courier = make.courier([home])
    campaign = created(client, marketing, campaign_body(make, [home]))
    _, shopper = make.shopper(home=home)
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]

    client.post(f"{CAMPAIGNS}/{campaign['id']}/pause", headers=marketing)
    assert_error(make.shake(round_id, shopper), 409, "round_not_open")
    current = client.get(f"/api/v1/compounds/{home.id}/shake", headers=shopper).get_json()
    assert current["round"] is None

    client.post(f"{CAMPAIGNS}/{campaign['id']}/resume", headers=marketing)
    answer = make.shake(round_id, shopper)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["result"] == "win"
    assert answer.get_json()["shakes_left"] == 2  # the refused shake was not counted
    current = client.get(f"/api/v1/compounds/{home.id}/shake", headers=shopper).get_json()
    assert current["round"]["id"] == round_id


def stats_of(client, headers, campaign_id) -> dict:
    answer = client.get(f"{CAMPAIGNS}/{campaign_id}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_new_campaign_has_zero_stats(client, make, marketing):
    campaign = created(client, marketing, campaign_body(make, [make.compound()]))
    shown = stats_of(client, marketing, campaign["id"])
    assert shown["campaign"]["id"] == campaign["id"]
    assert (shown["stats"]["rounds"], shown["stats"]["shakes"], shown["stats"]["wins"]) == (0, 0, 0)
    assert [(p["per_round"], p["awarded"]) for p in shown["stats"]["by_prize"]] == [(5, 0), (2, 0)]


def half_and_half(body: dict) -> dict:
    """The coupon prize takes [0, 0.5) of a shake's number, the item [0.5, 1) (tests/draws.py picks)."""
    for prize in body["prizes"]:
        prize["win_probability"] = 0.5
    return body


def test_stats_count_rounds_shakes_and_wins_right_after_opening(client, make, marketing):
    home = make.compound()
    courier = make.courier([home])
    campaign = created(client, marketing, half_and_half(campaign_body(make, [home])))
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]
    shoppers = [make.shopper(home=home)[1] for _ in range(3)]

    results = [make.shake(round_id, headers, shake_id_in_share(round_id, share)).get_json()["result"]
               for headers, share in zip(shoppers, (0, 1, 0))]
    again = make.shake(round_id, shoppers[0], shake_id_in_share(round_id, 1)).get_json()

    # Paced: one of each prize is released at first; wins_per_shopper is 1.
    assert results == ["win", "win", "lose"]
    assert again["result"] == "lose"
    stats = stats_of(client, marketing, campaign["id"])["stats"]
    assert (stats["rounds"], stats["shakes"], stats["wins"]) == (1, 4, 2)
    assert [(p["kind"], p["per_round"], p["awarded"]) for p in stats["by_prize"]] == \
        [("coupon", 5, 1), ("item", 2, 1)]


def test_stats_show_the_whole_pool_awarded_once_it_is_released(client, make, marketing):
    home = make.compound()
    courier = make.courier([home])
    campaign = created(client, marketing, half_and_half(campaign_body(make, [home])))
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]
    shake_round = db.session.get(ShakeRound, round_id)
    shake_round.opens_at = now() - timedelta(hours=1)  # the window is nearly over: all stock released
    db.session.commit()

    results = [make.shake(round_id, make.shopper(home=home)[1], shake_id_in_share(round_id, share)).get_json()
               for share in (0, 0, 0, 0, 0, 1, 1, 0)]  # the 8th: the coupons are all gone

    assert [r["result"] for r in results] == ["win"] * 7 + ["lose"]
    assert [r["prize"]["kind"] for r in results[:7]] == ["coupon"] * 5 + ["item"] * 2
    stats = stats_of(client, marketing, campaign["id"])["stats"]
    assert (stats["rounds"], stats["shakes"], stats["wins"]) == (1, 8, 7)
    assert [(p["per_round"], p["awarded"]) for p in stats["by_prize"]] == [(5, 5), (2, 2)]
    assert db.session.scalar(select(func.count()).select_from(Coupon).where(Coupon.source == "shake")) == 5
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "reserved")) == 2
