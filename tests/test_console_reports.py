"""Reports per campaign and per compound (SQL aggregates), as pages and as CSV downloads."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import ShakeRound
from app.services.campaigns.reports import Period, campaign_report, compound_report
from app.services.shaking import sql_engine
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.factories import now


def shake_late_in_round(round_id: int, shopper_id: int, shake_id: str):
    """Shake near the end of the round, when pacing has released the whole stock."""
    shake_round = db.session.get(ShakeRound, round_id)
    moment = shake_round.opens_at + (shake_round.closes_at - shake_round.opens_at) * 0.95
    outcome = sql_engine.decide_shake(db.session, shopper_id, round_id, shake_id, moment)
    db.session.commit()
    return outcome


@pytest.fixture
def world(make):
    """Two compounds; a coupon campaign in A (two shoppers, one uses the coupon won), an item one in B."""
    a, b = make.compound(name="报表花园"), make.compound(name="报表新村")
    courier = make.courier([a, b])
    coupon_campaign = make.campaign([a], title="券活动")
    item = make.product(name="奖品抽纸", price_fen=990)
    item_campaign = make.campaign([b], title="=实物活动", prizes=[
        {"kind": "item", "product_id": item.id, "per_round": 3, "win_probability": 1.0}])
    round_a = make.arrival(courier, a).get_json()["rounds"][0]["id"]
    round_b = make.arrival(courier, b).get_json()["rounds"][0]["id"]
    first, first_headers = make.shopper(home=a)
    second, _ = make.shopper(home=a)
    third, _ = make.shopper(home=b)
    won = shake_late_in_round(round_a, first, "s1")
    shake_late_in_round(round_a, first, "s2")  # over the wins limit: a loss
    shake_late_in_round(round_a, second, "s3")
    shake_late_in_round(round_b, third, "s4")
    rice = make.product(name="报表大米", price_fen=4000)
    session_id = make.store_session(first_headers, courier, a)
    order = make.placed_order(first_headers, session_id, [(rice, 1)], coupon_id=won.shake.coupon_id)
    return {"a": a, "b": b, "coupon_campaign": coupon_campaign, "item_campaign": item_campaign,
            "order": order}


def row(rows, key, value):
    return next(r for r in rows if r[key] == value)


def test_campaign_figures(world):
    rows = campaign_report(db.session)
    coupons = row(rows, "campaign_id", world["coupon_campaign"].id)
    assert {k: coupons[k] for k in ("rounds", "shakes", "shoppers", "wins", "coupons_won", "coupons_redeemed",
                                    "prize_orders", "coupon_orders", "orders", "sales_fen")} == {
        "rounds": 1, "shakes": 3, "shoppers": 2, "wins": 2, "coupons_won": 2, "coupons_redeemed": 1,
        "prize_orders": 0, "coupon_orders": 1, "orders": 1, "sales_fen": world["order"]["total_fen"]}
    items = row(rows, "campaign_id", world["item_campaign"].id)
    assert (items["shakes"], items["wins"], items["prize_orders"], items["orders"], items["status"]) == (
        1, 1, 1, 1, "live")


def test_compound_figures(world):
    rows = compound_report(db.session)
    a, b = row(rows, "compound_id", world["a"].id), row(rows, "compound_id", world["b"].id)
    assert {k: a[k] for k in ("arrivals", "rounds", "shakes", "shoppers", "wins", "coupons_redeemed",
                              "orders", "completed_orders", "sales_fen")} == {
        "arrivals": 1, "rounds": 1, "shakes": 3, "shoppers": 2, "wins": 2, "coupons_redeemed": 1,
        "orders": 1, "completed_orders": 0, "sales_fen": world["order"]["total_fen"]}
    assert (b["shakes"], b["wins"], b["orders"], b["sales_fen"]) == (1, 1, 1, 0)


def test_a_period_counts_only_what_happened_in_it(world):
    later = Period(since=now() + timedelta(hours=1))
    earlier = Period(until=now() - timedelta(hours=1))
    for period in (later, earlier):
        assert all(r["shakes"] == 0 and r["orders"] == 0 for r in campaign_report(db.session, period))
        assert all(r["arrivals"] == 0 and r["orders"] == 0 for r in compound_report(db.session, period))
    around = Period(since=now() - timedelta(hours=1), until=now() + timedelta(hours=1))
    assert row(compound_report(db.session, around), "compound_id", world["a"].id)["shakes"] == 3


def test_the_reports_page_shows_both_tables(console, world):
    page = text(console("ops").get("/console/reports"))
    assert "券活动" in page and "报表花园" in page and "Unique shoppers" in page and "下载 CSV" in page


def test_a_bad_date_is_shown_next_to_its_field(console, world):
    answer = console("marketing").get("/console/reports?from=2025-13-40&to=2025-01-01")
    assert answer.status_code == 422 and "请输入日期" in text(answer)


def read_csv(answer) -> list[list[str]]:
    raw = answer.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_campaigns_download_as_csv_for_excel(console, world):
    answer = console("marketing").get("/console/reports/campaigns.csv?from=2020-01-01&to=2099-12-31")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename=xiaoge-campaigns-20200101-20991231.csv")
    table = read_csv(answer)
    assert table[0][:3] == ["活动编号 Campaign id", "活动 Campaign", "状态 Status"]
    titles = {line[1]: line for line in table[1:]}
    assert titles["券活动"][4] == "3"  # shakes
    assert "'=实物活动" in titles  # a title a spreadsheet would run as a formula stays text


def test_compounds_download_as_csv(console, world):
    answer = console("ops").get("/console/reports/compounds.csv")
    assert answer.headers["Content-Disposition"] == "attachment; filename=xiaoge-compounds-all.csv"
    table = read_csv(answer)
    assert table[0][1] == "小区 Compound"
    assert {line[1] for line in table[1:]} >= {"报表花园", "报表新村"}
