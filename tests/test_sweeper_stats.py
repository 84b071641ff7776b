"""The round sweeper counts a campaign's figures (a COUNT over its shakes), and the console's live
feed its watching counts, only while a console socket on this worker watches the campaign: with
no dashboard open, no such query runs."""
from __future__ import annotations

import contextlib
import re
from types import SimpleNamespace

from sqlalchemy import event

from app.extensions import db, socketio
from app.realtime.console_live import ConsoleLiveFeed
from app.realtime.round_sweeper import RoundSweeper

SHAKES_COUNT = re.compile(r"count\(shakes\.id\)", re.IGNORECASE)


@contextlib.contextmanager
def statements():
    """Every SQL statement the app's engine runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def console_watching(app, client, make, campaign_id):
    socket = socketio.test_client(app, namespace="/console", auth={"token": make.staff_token("marketing")},
                                  flask_test_client=client)
    socket.emit("watch_campaign", {"campaign_id": campaign_id}, namespace="/console", callback=True)
    db.session.commit()  # the handlers read through the test's session: end that transaction
    return socket


def stats_heard(socket) -> list[dict]:
    return [e["args"][0] for e in socket.get_received("/console") if e["name"] == "campaign_stats"]


def live_campaign_with_a_shake(make):
    home = make.compound()
    campaign = make.campaign([home])
    _, headers = make.shopper(home=home)
    round_id = make.arrival(make.courier([home]), home).get_json()["rounds"][0]["id"]
    make.shake(round_id, headers)
    make.settle()
    campaign_id = campaign.id
    db.session.commit()  # SQLite: no transaction of the test's left open under the sweeper's
    return campaign_id


def test_with_no_dashboard_watching_the_sweeper_counts_no_stats(app, make):
    live_campaign_with_a_shake(make)

    with statements() as seen:
        RoundSweeper(app).tick()

    assert seen, "the sweeper still looks for due rounds"
    assert not [s for s in seen if SHAKES_COUNT.search(s)]


def test_a_watched_campaign_gets_its_figures_and_an_unwatched_one_is_not_counted(app, client, make):
    watched, unwatched = live_campaign_with_a_shake(make), live_campaign_with_a_shake(make)
    socket = console_watching(app, client, make, watched)

    with statements() as seen:
        RoundSweeper(app).tick()

    assert [s["campaign_id"] for s in stats_heard(socket)] == [watched]
    assert len([s for s in seen if SHAKES_COUNT.search(s)]) == 1  # the watched campaign's alone
    assert unwatched != watched
    socket.disconnect(namespace="/console")


def test_with_no_dashboard_watching_the_live_feed_counts_nothing(app, make):
    live_campaign_with_a_shake(make)

    with statements() as seen:
        ConsoleLiveFeed(app, SimpleNamespace(running=True)).tick()

    assert seen == []
