"""The live dashboard: its page and snapshot, the staff token it embeds, and what the /console
namespace tells it (arrivals, rounds, and shoppers watching pushed by the live feed)."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from app.extensions import db, socketio
from app.models import utcnow
from app.realtime.console_live import ConsoleLiveFeed, ensure_live_feed
from app.services.campaigns import dashboard
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)


def boot_of(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="dashboard-boot">(.*?)</script>', page, re.S)
    assert match, "the dashboard has no boot data"
    return json.loads(match.group(1))


def events(socket_client, name: str) -> list[dict]:
    return [e["args"][0] for e in socket_client.get_received("/console") if e["name"] == name]


@pytest.fixture
def world(make):
    home = make.compound(name="看板花园")
    campaign = make.campaign([home], title="看板活动")
    return SimpleNamespace(home=home, campaign=campaign, courier=make.courier([home]))


def test_the_page_embeds_a_staff_token_and_the_figures_so_far(app, console, world):
    marketer = console("marketing")
    page = text(marketer.get(f"/console/campaigns/{world.campaign.id}/live"))
    boot = boot_of(page)
    principal = app.extensions["xiaoge.tokens"].verify(boot["token"], "staff")
    assert (principal.subject_id, principal.role) == (marketer.member.id, "marketing")
    assert boot["campaign"]["compounds"] == {str(world.home.id): "看板花园"}
    assert boot["stats"] == {"campaign_id": world.campaign.id, "rounds": 0, "shakes": 0, "wins": 0,
                             "by_prize": [pytest.approx(boot["stats"]["by_prize"][0])],
                             "rounds_today": [{"compound_id": world.home.id, "rounds": 0}]}
    assert boot["rounds"] == [] and boot["arrivals"] == []
    assert "/vendor/socket.io.min.js" in page and "/vendor/uPlot.iife.min.js" in page


def test_the_chart_library_is_served_by_the_app(client):
    with client.get("/vendor/uPlot.iife.min.js") as script, client.get("/vendor/uPlot.min.css") as style:
        assert script.status_code == 200 and b"uPlot" in script.get_data()
        assert style.mimetype == "text/css"


def test_a_dashboard_socket_hears_the_arrival_and_the_round_it_opened(app, client, make, console, world):
    boot = boot_of(text(console("marketing").get(f"/console/campaigns/{world.campaign.id}/live")))
    socket_client = socketio.test_client(app, namespace="/console", auth={"token": boot["token"]},
                                         flask_test_client=client)
    ack = socket_client.emit("watch_campaign", {"campaign_id": world.campaign.id}, namespace="/console",
                             callback=True)
    assert ack == {"ok": True, "campaign_id": world.campaign.id}
    opened = make.arrival(world.courier, world.home).get_json()["rounds"][0]
    received = socket_client.get_received("/console")
    assert [e["name"] for e in received] == ["arrival", "round_opened"]
    arrival = received[0]["args"][0]
    assert arrival["round_id"] == opened["id"]
    assert arrival["compound"] == {"id": world.home.id, "name": "看板花园"}
    assert arrival["courier"]["name"] == world.courier.name
    assert received[1]["args"][0]["round_id"] == opened["id"]
    socket_client.disconnect(namespace="/console")


def test_the_snapshot_has_open_rounds_arrivals_and_the_shake_timeline(console, make, world):
    opened = make.arrival(world.courier, world.home).get_json()["rounds"][0]
    _, headers = make.shopper(home=world.home)
    make.shake(opened["id"], headers)
    make.shake(opened["id"], headers)
    snapshot = console("marketing").get(f"/console/campaigns/{world.campaign.id}/live.json").get_json()
    assert [r["round_id"] for r in snapshot["rounds"]] == [opened["id"]]
    assert [a["round_id"] for a in snapshot["arrivals"]] == [opened["id"]]
    assert snapshot["stats"]["shakes"] == 2
    points = snapshot["timeline"]["points"]
    assert sum(p["shakes"] for p in points) == 2
    assert sum(p["wins"] for p in points) == snapshot["stats"]["wins"]
    assert all(p["t"] % snapshot["timeline"]["bucket_seconds"] == 0 for p in points)
    assert abs(points[-1]["t"] - utcnow().timestamp()) < 60


def test_watching_counts_shoppers_who_entered_a_store_lately(make, world):
    _, headers = make.shopper(home=world.home)
    make.store_session(headers, world.courier, world.home)
    counts = dashboard.live_counts(db.session, world.campaign, utcnow())
    assert counts == {"campaign_id": world.campaign.id, "watching": 1,
                      "compounds": [{"id": world.home.id, "name": "看板花园", "watching": 1}]}


def test_the_live_feed_pushes_watching_counts_to_the_campaign_room(app, client, make, world):
    token = make.staff_token("marketing")
    socket_client = socketio.test_client(app, namespace="/console", auth={"token": token},
                                         flask_test_client=client)
    socket_client.emit("watch_campaign", {"campaign_id": world.campaign.id}, namespace="/console",
                       callback=True)
    _, headers = make.shopper(home=world.home)
    make.store_session(headers, world.courier, world.home)
    db.session.commit()
    ConsoleLiveFeed(app, SimpleNamespace(running=True)).tick()
    (pushed,) = events(socket_client, "campaign_live")
    assert pushed["campaign_id"] == world.campaign.id and pushed["watching"] == 1
    socket_client.disconnect(namespace="/console")


def test_the_live_feed_runs_only_beside_a_running_round_sweeper(app):
    ensure_live_feed(app)  # the tests' apps run no sweeper
    assert "xiaoge.console_live_feed" not in app.extensions
    feed = ConsoleLiveFeed(app, SimpleNamespace(running=False))
    feed.start()
    assert feed.running is False


def test_ops_cannot_open_the_dashboard_nor_watch_over_the_socket(app, client, make, console, world):
    assert console("ops").get(f"/console/campaigns/{world.campaign.id}/live").status_code == 403
    socket_client = socketio.test_client(app, namespace="/console", auth={"token": make.staff_token("ops")},
                                         flask_test_client=client)
    ack = socket_client.emit("watch_campaign", {"campaign_id": world.campaign.id}, namespace="/console",
                             callback=True)
    assert ack["error"]["code"] == "forbidden"
    socket_client.disconnect(namespace="/console")
