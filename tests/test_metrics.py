"""/metrics: behind METRICS_TOKEN, and its counters move with shakes, refusals, arrivals, sweeps."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from prometheus_client import Counter
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from app import metrics
from app.extensions import db
from app.models import ShakeRound
from app.realtime.round_sweeper import RoundSweeper
from tests.assertions import assert_error
from tests.factories import bearer

TOKEN = "scrape-me"


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics by (name, sorted labels)."""
    answer = client.get("/metrics", headers=bearer(TOKEN))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True))
            for sample in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def open_round(make, compound):
    courier = make.courier([compound])
    make.campaign([compound])
    answer = make.arrival(courier, compound)
    assert answer.status_code == 201, answer.get_json()
    return courier, answer.get_json()["rounds"][0]["id"]


def test_metrics_answer_404_while_no_token_is_configured(app, client):
    app.config["METRICS_TOKEN"] = None
    assert_error(client.get("/metrics"), 404, "not_found")
    assert_error(client.get("/metrics", headers=bearer("anything")), 404, "not_found")


def test_metrics_need_the_configured_bearer_token(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    assert_error(client.get("/metrics"), 401, "unauthorized")
    assert_error(client.get("/metrics", headers=bearer("wrong")), 401, "unauthorized")
    assert_error(client.get("/metrics", headers={"Authorization": TOKEN}), 401, "unauthorized")
    assert client.get("/metrics", headers=bearer(TOKEN)).status_code == 200


def test_a_shake_a_win_an_arrival_and_refusals_move_their_counters(app, client, make):
    app.config["METRICS_TOKEN"] = TOKEN
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    _, headers = make.shopper(home=home)
    before = scrape(client)

    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]
    assert make.shake(round_id, headers).get_json()["result"] == "win"  # the default prize: p=1
    assert make.shake(round_id, headers).status_code == 200  # a lose: one win per shopper
    assert_error(make.shake(987654, headers), 404)
    wrong = {"employee_no": courier.employee_no, "password": "not-the-password"}
    assert_error(client.post("/api/v1/courier/auth", json=wrong), 401, "bad_credentials")
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("xiaoge_arrivals_total", outcome="opened") == 1
    assert moved("xiaoge_shakes_total", engine="sql") == 3
    assert moved("xiaoge_wins_total", engine="sql") == 1
    assert moved("xiaoge_refusals_total", code="not_found") == 1
    assert moved("xiaoge_refusals_total", code="bad_credentials") == 1
    assert moved("xiaoge_broadcast_seconds_count", event="shake_open") == 1
    assert moved("xiaoge_broadcast_seconds_count", event="van_arrived") == 1


def test_a_replayed_arrival_and_a_shed_shake_are_counted(app, client, make):
    app.config["METRICS_TOKEN"] = TOKEN
    home = make.compound()
    courier, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)
    app.extensions["xiaoge.shake_admission"].limit = 0
    before = scrape(client)

    make.arrival(courier, home, event_id="same")
    make.arrival(courier, home, event_id="same")
    assert_error(make.shake(round_id, headers), 503, "unavailable", beside=())
    after = scrape(client)

    assert value(after, "xiaoge_arrivals_total", outcome="replayed") - \
        value(before, "xiaoge_arrivals_total", outcome="replayed") == 1
    assert value(after, "xiaoge_shakes_shed_total") - value(before, "xiaoge_shakes_shed_total") == 1
    assert value(after, "xiaoge_refusals_total", code="unavailable") - \
        value(before, "xiaoge_refusals_total", code="unavailable") == 1
    assert value(after, "xiaoge_shakes_in_flight") == 0


def test_the_sweeper_reports_how_late_it_closed_a_round(app, client, make):
    app.config["METRICS_TOKEN"] = TOKEN
    _, round_id = open_round(make, make.compound())
    shake_round = db.session.get(ShakeRound, round_id)
    shake_round.closes_at -= timedelta(seconds=shake_round.campaign.window_seconds + 5)
    shake_round.opens_at -= timedelta(seconds=shake_round.campaign.window_seconds + 5)
    db.session.commit()
    before = scrape(client)

    RoundSweeper(app).tick()
    after = scrape(client)

    assert value(after, "xiaoge_round_close_lag_seconds_count") - \
        value(before, "xiaoge_round_close_lag_seconds_count") == 1
    lag = value(after, "xiaoge_round_close_lag_seconds_sum") - \
        value(before, "xiaoge_round_close_lag_seconds_sum")
    assert 5 <= lag < 30
    assert value(after, "xiaoge_broadcast_seconds_count", event="shake_closed") > \
        value(before, "xiaoge_broadcast_seconds_count", event="shake_closed")


def test_the_grafana_dashboard_charts_every_metric_and_only_those():
    path = Path(__file__).resolve().parents[1] / "docs" / "grafana-dashboard.json"
    dashboard = json.loads(path.read_text())
    charted = {name.removesuffix("_bucket") for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"xiaoge_[a-z_]+", target["expr"])}
    exported = {metric._name + ("_total" if isinstance(metric, Counter) else "")
                for metric in vars(metrics).values() if isinstance(metric, MetricWrapperBase)}
    assert charted == exported
