"""The prize budget under real concurrency (PostgreSQL: arrivals released together from threads):
arrivals in several compounds at once never allocate more than a prize's total, nor open a
round past the day's cap, and arrivals and sweepers closing and opening rounds at once neither
deadlock nor lose stock."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import ShakeRound
from app.realtime.round_sweeper import RoundSweeper
from tests.concurrency import at_once
from tests.factories import now
from tests.test_prize_budget import allocated, close_now, item_prize, stocks


def test_arrivals_at_once_in_six_compounds_never_allocate_more_than_the_total(app, make, backend):
    homes = [make.compound() for _ in range(6)]
    prize_id = make.campaign(homes, prizes=item_prize(make, per_round=2, total=5)).prizes[0].id
    couriers = [(home, make.courier([home])) for home in homes]
    calls = [(home.id, make.courier_headers(courier)) for home, courier in couriers]

    results = at_once(app, [lambda client, h=home_id, hd=headers: client.post(
        "/api/v1/courier/arrivals", headers=hd,
        json={"event_id": f"evt-{h}", "compound_id": h, "occurred_at": now().isoformat()})
        for home_id, headers in calls])

    assert [status for status, _ in results] == [201] * 6, results
    round_ids = [r["id"] for _, body in results for r in body["rounds"]]
    assert len(round_ids) == 6  # every compound gets its round; the budget decides the stock
    assert sorted(stocks(round_ids)) == [0, 0, 0, 1, 2, 2]
    assert allocated(prize_id) == 5


def test_arrivals_at_once_open_no_round_past_the_days_cap(app, make, backend):
    home = make.compound()
    campaign = make.campaign([home], rounds_per_compound_per_day=2, prizes=item_prize(make, per_round=1))
    campaign_id, prize_id = campaign.id, campaign.prizes[0].id
    first = make.arrival(make.courier([home]), home).get_json()["rounds"][0]["id"]
    close_now(first)
    second = make.arrival(make.courier([home]), home).get_json()["rounds"][0]["id"]
    close_now(second)  # due: the arrivals below race to close it, then to open a third
    couriers = [make.courier([home]) for _ in range(5)]
    calls = [make.courier_headers(c) for c in couriers]

    results = at_once(app, [lambda client, hd=headers, n=n: client.post(
        "/api/v1/courier/arrivals", headers=hd,
        json={"event_id": f"evt-{n}", "compound_id": home.id, "occurred_at": now().isoformat()})
        for n, headers in enumerate(calls)])

    assert [status for status, _ in results] == [201] * 5, results
    assert [body["rounds"] for _, body in results] == [[]] * 5
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ShakeRound)
                             .where(ShakeRound.campaign_id == campaign_id)) == 2
    assert db.session.get(ShakeRound, second).closed_at is not None
    assert allocated(prize_id) == 0  # both rounds closed, nothing won: all given back


class SweptAnswer:
    """A sweeper tick as at_once sees a request: it answered, or its exception is reported."""

    status_code = 200

    def get_json(self, silent: bool = False):
        return {}


def test_arrivals_and_sweepers_closing_and_opening_rounds_at_once_keep_the_budget(app, make, backend):
    homes = [make.compound() for _ in range(6)]
    campaign = make.campaign(homes, prizes=item_prize(make, per_round=2, total=100))
    prize_id = campaign.prizes[0].id
    for home in homes:
        close_now(make.arrival(make.courier([home]), home).get_json()["rounds"][0]["id"])
    calls = [(home.id, make.courier_headers(make.courier([home]))) for home in homes]

    def tick(_client):
        RoundSweeper(app).tick()
        return SweptAnswer()

    results = at_once(app, [lambda client, h=home_id, hd=headers: client.post(
        "/api/v1/courier/arrivals", headers=hd,
        json={"event_id": f"evt-{h}", "compound_id": h, "occurred_at": now().isoformat()})
        for home_id, headers in calls] + [tick, tick])

    assert [status for status, _ in results] == [201] * 6 + [200] * 2, results
    assert all(len(body["rounds"]) == 1 for _, body in results[:6]), results
    db.session.expire_all()
    open_rounds = db.session.scalars(select(ShakeRound).where(ShakeRound.closed_at.is_(None))).all()
    assert len(open_rounds) == 6 and all(r.prizes[0].stock == 2 for r in open_rounds)
    assert allocated(prize_id) == 12  # the six closed gave back all of theirs
