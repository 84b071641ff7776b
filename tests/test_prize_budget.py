"""A campaign's prize budget: rounds per compound a day, and each prize's total over the campaign.

The attack (issue 13, A3): every arrival after a round closed opened another with full stock,
so one courier's five arrivals gave one shopper five free items. Now a campaign opens at most
`rounds_per_compound_per_day` rounds in a compound a day (Asia/Shanghai), and a prize line's
rounds together never hold more than its `total`: a round takes its stock from the budget when
it opens and gives back what it did not award when it closes.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Campaign, CampaignPrize, Order, ShakeRound
from app.realtime.round_sweeper import RoundSweeper
from app.services.couriers.arrivals import ArrivalLimits, record_arrival
from tests.console_web import console_fixture  # noqa: F401  (the fixture `console`)
from tests.factories import now
from tests.test_shakes import release_all_stock

CAMPAIGNS = "/api/v1/console/campaigns"
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here that shakes runs on both draw engines."""
    return request.param


def item_prize(make, per_round: int, total: int | None = None) -> list[dict]:
    line = {"kind": "item", "product_id": make.product().id, "per_round": per_round, "win_probability": 1.0}
    return [line if total is None else {**line, "total": total}]


def close_now(round_id: int) -> None:
    """Make the round due: the next arrival (or sweep) closes it."""
    db.session.get(ShakeRound, round_id).closes_at = now() - timedelta(seconds=1)
    db.session.commit()


def sweep(app) -> None:
    """One tick of the round sweeper: every due round closed, one transaction each."""
    db.session.commit()
    RoundSweeper(app).tick()


def stocks(round_ids) -> list[int]:
    db.session.expire_all()
    return [db.session.get(ShakeRound, r).prizes[0].stock for r in round_ids]


def allocated(prize_id: int) -> int:
    db.session.expire_all()
    return db.session.get(CampaignPrize, prize_id).allocated


# --- the attack ------------------------------------------------------------------


def test_five_arrivals_of_one_courier_in_a_day_give_a_shopper_at_most_the_days_rounds(app, client, make):
    app.config["ARRIVAL_REPEAT_MINUTES"] = 0  # only the daily cap here (the repeat rule: test_arrival_limits)
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home], prizes=item_prize(make, per_round=1))  # rounds_per_compound_per_day: the default, 2
    shopper_id, shopper = make.shopper(home=home)
    headers = make.courier_headers(courier)

    opened = []
    for _ in range(5):
        rounds = make.arrival(courier, home, headers=headers).get_json()["rounds"]
        for shake_round in rounds:
            opened.append(shake_round["id"])
            assert make.shake(shake_round["id"], shopper).get_json()["result"] == "win"
            close_now(shake_round["id"])
    make.settle()

    assert len(opened) == 2
    orders = db.session.scalar(select(func.count()).select_from(Order).where(Order.shopper_id == shopper_id))
    assert orders == 2


@pytest.mark.parametrize("shake_draws", ["sql"], indirect=True)
def test_a_campaigns_rounds_per_day_count_in_shanghai_days(app, make):
    """23:40 and 23:45 open the day's two rounds, 23:50 none, 00:05 the next day's first."""
    home = make.compound()
    courier = make.courier([home])
    day = datetime(2026, 12, 6, 23, 40, tzinfo=SHANGHAI)
    make.campaign([home], starts_at=day - timedelta(hours=1), ends_at=day + timedelta(days=1),
                  window_seconds=60,
                  prizes=item_prize(make, per_round=1))
    limits = ArrivalLimits(repeat_after=timedelta(0))

    def arrive(at: datetime) -> int:
        outcome = record_arrival(db.session, courier, event_id=f"evt-{at:%H%M}", compound_id=home.id,
                                 occurred_at=at, now=at, limits=limits)
        db.session.commit()
        return len(outcome.opened)

    assert [arrive(day + timedelta(minutes=m)) for m in (0, 5, 10, 25)] == [1, 1, 0, 1]


@pytest.mark.parametrize("shake_draws", ["sql"], indirect=True)
def test_rounds_per_compound_per_day_is_set_shown_and_checked(client, make, marketing):
    body = campaign_body(make, [make.compound()], rounds_per_compound_per_day=3)
    without = {key: value for key, value in body.items() if key != "rounds_per_compound_per_day"}

    created = client.post(CAMPAIGNS, json=body, headers=marketing)
    defaulted = client.post(CAMPAIGNS, json=without, headers=marketing)
    zero = client.post(CAMPAIGNS, json={**body, "rounds_per_compound_per_day": 0}, headers=marketing)

    assert created.status_code == 201, created.get_json()
    assert created.get_json()["campaign"]["rounds_per_compound_per_day"] == 3
    assert defaulted.get_json()["campaign"]["rounds_per_compound_per_day"] == 2
    assert zero.status_code == 422 and "rounds_per_compound_per_day" in zero.get_json()["error"]["fields"]


# --- a prize's total over the campaign ------------------------------------------------------


def test_a_prize_total_caps_what_rounds_open_at_once_in_two_compounds_award(app, client, make, marketing):
    here, there = make.compound(), make.compound()
    campaign = make.campaign([here, there], prizes=item_prize(make, per_round=2, total=3))
    prize_id = campaign.prizes[0].id
    round_here = make.arrival(make.courier([here]), here).get_json()["rounds"][0]["id"]
    round_there = make.arrival(make.courier([there]), there).get_json()["rounds"][0]["id"]
    today = client.get(f"{CAMPAIGNS}/{campaign.id}", headers=marketing).get_json()["stats"]["rounds_today"]
    assert sorted((r["compound_id"], r["rounds"]) for r in today) == [(here.id, 1), (there.id, 1)]
    for round_id in (round_here, round_there):
        release_all_stock(round_id)

    results = [make.shake(round_id, make.shopper(home=home)[1]).get_json()["result"]
               for round_id, home in [(round_here, here)] * 3 + [(round_there, there)] * 3]
    make.settle()

    assert stocks([round_here, round_there]) == [2, 1]
    assert results.count("win") == 3
    stats = client.get(f"{CAMPAIGNS}/{campaign.id}", headers=marketing).get_json()
    assert stats["campaign"]["prizes"][0]["total"] == 3
    [line] = stats["stats"]["by_prize"]
    assert (line["total"], line["allocated"], line["awarded"]) == (3, 3, 3)
    assert allocated(prize_id) == 3


def test_a_prize_with_nothing_left_opens_with_no_stock_and_is_never_won(app, make):
    home = make.compound()
    campaign = make.campaign([home], prizes=item_prize(make, per_round=2, total=2))
    first = make.arrival(make.courier([home]), home).get_json()["rounds"][0]["id"]
    release_all_stock(first)
    for _ in range(2):
        assert make.shake(first, make.shopper(home=home)[1]).get_json()["result"] == "win"
    close_now(first)
    sweep(app)

    second = make.arrival(make.courier([home]), home).get_json()["rounds"][0]["id"]
    release_all_stock(second)
    answers = [make.shake(second, make.shopper(home=home)[1]) for _ in range(3)]
    make.settle()

    assert [(a.status_code, a.get_json()["result"]) for a in answers] == [(200, "lose")] * 3
    assert stocks([first, second]) == [2, 0]
    assert allocated(campaign.prizes[0].id) == 2


def test_what_a_round_did_not_award_goes_back_to_the_budget_when_it_closes(app, make):
    here, there = make.compound(), make.compound()
    campaign = make.campaign([here, there], prizes=item_prize(make, per_round=3, total=4))
    prize_id = campaign.prizes[0].id
    first = make.arrival(make.courier([here]), here).get_json()["rounds"][0]["id"]
    release_all_stock(first)
    assert make.shake(first, make.shopper(home=here)[1]).get_json()["result"] == "win"
    make.settle()
    assert allocated(prize_id) == 3

    close_now(first)
    sweep(app)

    assert allocated(prize_id) == 1  # the 1 awarded; the 2 left went back
    assert stocks([first]) == [1]  # a win still in flight for it now finds no stock
    second = make.arrival(make.courier([there]), there).get_json()["rounds"][0]["id"]
    assert stocks([second]) == [3]
    assert allocated(prize_id) == 4


def test_a_prize_without_a_total_stocks_every_round_in_full(app, make):
    home = make.compound()
    campaign = make.campaign([home], prizes=item_prize(make, per_round=5))
    round_id = make.arrival(make.courier([home]), home).get_json()["rounds"][0]["id"]
    assert stocks([round_id]) == [5] and allocated(campaign.prizes[0].id) == 5
    close_now(round_id)
    sweep(app)
    assert allocated(campaign.prizes[0].id) == 0


@pytest.mark.parametrize("shake_draws", ["sql"], indirect=True)
@pytest.mark.parametrize("total", [0, -1, "3", 1.5])
def test_a_prize_total_must_be_a_positive_whole_number(client, make, marketing, total):
    body = campaign_body(make, [make.compound()])
    body["prizes"][0]["total"] = total
    refused = client.post(CAMPAIGNS, json=body, headers=marketing)
    assert refused.status_code == 422, refused.get_json()
    assert "prizes.0.total" in refused.get_json()["error"]["fields"], refused.get_json()


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def marketing(make):
    return make.staff_headers("marketing")


def campaign_body(make, compounds_, **overrides) -> dict:
    body = {"title": "到车摇一摇", "compound_ids": [c.id for c in compounds_],
            "starts_at": (now() - timedelta(hours=1)).isoformat(),
            "ends_at": (now() + timedelta(days=1)).isoformat(),
            "window_seconds": 120, "shakes_per_shopper": 3, "wins_per_shopper": 1,
            "prizes": [{"kind": "item", "product_id": make.product().id, "per_round": 2,
                        "win_probability": 0.5}]}
    body.update(overrides)
    return body


# --- the console's campaign form ---------------------------------------------------------------


@pytest.mark.parametrize("shake_draws", ["sql"], indirect=True)
def test_the_console_form_sets_rounds_a_day_and_a_prize_total_and_shows_them(make, console):
    home = make.compound()
    product = make.product(name="奖品水")
    marketer = console("marketing")
    form = {"title": "限量活动", "compound_ids": str(home.id), "starts_at": "2030-05-01T10:00",
            "ends_at": "2030-05-02T10:00", "window_seconds": "120", "shakes_per_shopper": "3",
            "wins_per_shopper": "1", "rounds_per_compound_per_day": "4",
            "prizes.0.prize": f"item:{product.id}", "prizes.0.per_round": "2", "prizes.0.win_probability": "5",
            "prizes.0.total": "30"}

    created = marketer.post("/console/campaigns/new", form)
    refused = marketer.post("/console/campaigns/new", {**form, "rounds_per_compound_per_day": "0"})

    assert created.status_code == 302, created.get_data(as_text=True)
    campaign = db.session.scalar(select(Campaign).where(Campaign.title == "限量活动"))
    assert campaign.rounds_per_compound_per_day == 4 and campaign.prizes[0].total == 30
    page = marketer.get(created.headers["Location"]).get_data(as_text=True)
    assert "0 / 30" in page and 'id="rounds-today"' in page
    edit = marketer.get(f"/console/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'name="prizes.0.total"' in edit and 'value="30"' in edit and 'value="4"' in edit
    assert refused.status_code == 422


@pytest.mark.parametrize("shake_draws", ["sql"], indirect=True)
def test_a_blank_total_on_the_console_form_means_no_cap(make, console):
    home = make.compound()
    product = make.product()
    form = {"title": "不限量", "compound_ids": str(home.id), "starts_at": "2030-05-01T10:00",
            "ends_at": "2030-05-02T10:00", "window_seconds": "120", "shakes_per_shopper": "3",
            "wins_per_shopper": "1", "rounds_per_compound_per_day": "2",
            "prizes.0.prize": f"item:{product.id}", "prizes.0.per_round": "2", "prizes.0.win_probability": "5",
            "prizes.0.total": ""}

    assert console("marketing").post("/console/campaigns/new", form).status_code == 302
    assert db.session.scalar(select(Campaign).where(Campaign.title == "不限量")).prizes[0].total is None

