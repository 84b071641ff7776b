"""One compound a day: a shopper shakes for a campaign in one compound a day (both engines, both databases)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ShopperCompoundDay
from tests.assertions import assert_error
from tests.concurrency import at_once, error_code


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here runs on both draw engines (app/services/shaking/)."""
    return request.param


def two_compounds_open(make, **campaign_fields):
    """A campaign over two compounds with a round open in each, and a shopper who counts as in
    both (home in the first, latest store session in the second): (campaign, rounds, compounds, headers)."""
    first, second = make.compound(), make.compound()
    courier = make.courier([first, second])
    campaign = make.campaign([first, second], **campaign_fields)
    rounds = [make.arrival(courier, c).get_json()["rounds"][0]["id"] for c in (first, second)]
    _, headers = make.shopper(home=first)
    make.store_session(headers, courier, compound=second)
    return campaign, rounds, (first, second), headers


def test_a_shopper_who_shook_in_one_compound_is_refused_in_another_of_the_campaign_that_day(make):
    _, (here, there), _, headers = two_compounds_open(make)

    assert make.shake(here, headers).status_code == 200
    refused = make.shake(there, headers, shake_id="elsewhere")
    again = make.shake(there, headers, shake_id="elsewhere")

    error = assert_error(refused, 403, "not_in_compound")
    assert "another compound today" in error["message"]
    assert again.status_code == 403 and again.get_json() == refused.get_json()  # the same answer again
    assert make.shake(here, headers).status_code == 200  # still theirs


def test_a_refused_shake_elsewhere_counts_nothing_there(client, make):
    _, (here, there), (_, second), headers = two_compounds_open(make)
    make.shake(here, headers)

    assert [make.shake(there, headers).status_code for _ in range(4)] == [403] * 4  # never a 429

    shown = client.get(f"/api/v1/compounds/{second.id}/shake", headers=headers).get_json()["round"]
    assert shown["id"] == there and shown["shakes_left"] == 3


def test_another_campaign_in_the_other_compound_is_not_refused(make):
    first, second = make.compound(), make.compound()
    courier = make.courier([first, second])
    make.campaign([first, second])
    make.campaign([second], title="只在二号小区")
    here = make.arrival(courier, first).get_json()["rounds"][0]["id"]
    rounds_there = [r["id"] for r in make.arrival(courier, second).get_json()["rounds"]]
    _, headers = make.shopper(home=first)
    make.store_session(headers, courier, compound=second)

    assert make.shake(here, headers).status_code == 200
    statuses = sorted(make.shake(r, headers).status_code for r in rounds_there)

    assert statuses == [200, 403]  # the other campaign's round: a campaign of its own


def test_shaking_at_once_in_two_compounds_gets_exactly_one_of_them(app, make):
    campaign, rounds, _, headers = two_compounds_open(make, shakes_per_shopper=10)
    campaign_id = campaign.id
    calls = [lambda client, r=r, n=n: client.post(f"/api/v1/shake-rounds/{r}/shakes",
                                                  json={"shake_id": f"at-once-{r}-{n}"}, headers=headers)
             for n in range(6) for r in rounds]

    results = at_once(app, calls)

    taken = {rounds[i % 2] for i, result in enumerate(results) if result[0] == 200}
    refused = [error_code(result) for result in results if result[0] != 200]
    assert len(taken) == 1, results
    assert refused == ["not_in_compound"] * 6, results
    if app.config.get("SHAKE_DRAWS") != "redis":  # the SQL engine's claim is a row
        db.session.expire_all()
        assert len(db.session.scalars(select(ShopperCompoundDay).filter_by(campaign_id=campaign_id)).all()) == 1


@pytest.mark.parametrize("shake_draws", ["redis"])
def test_the_redis_engine_remembers_the_days_compound_for_two_days_at_most(app, make):
    _, (here, _), (first, _), headers = two_compounds_open(make)
    engine = app.extensions["xiaoge.draw_engine"]

    make.shake(here, headers)

    (key,) = engine.redis.keys(f"{engine.prefix}shake:compound-day:*")
    assert engine.redis.get(key) == str(first.id).encode()
    assert 0 < engine.redis.ttl(key) <= 2 * 24 * 3600
