"""Pushes `campaign_live` (shoppers watching per compound) to consoles every few seconds.

"Watching" counts shoppers who entered a store in the last 15 minutes, so it falls with no
event to announce it: it has to be pushed on a clock, not on events. The feed runs beside
the round sweeper (whose `campaign_stats` the same dashboards hear) and stops with it; a
dashboard page starts it. With several workers each one pushes, through the message queue,
to every console: a duplicate push repeats the same counts, which is harmless. Only campaigns
a console socket on this worker watches are counted.
"""
from __future__ import annotations

import logging

from flask import Flask

from app import broadcasts
from app.extensions import db, socketio
from app.models import utcnow
from app.services.campaigns import dashboard

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3.0


class ConsoleLiveFeed:
    def __init__(self, app: Flask, sweeper):
        self.app, self.sweeper = app, sweeper
        self.running = False

    def start(self) -> None:
        """Start pushing unless already pushing; nothing to do where no sweeper runs."""
        if not self.running and self.sweeper.running:
            self.running = True
            socketio.start_background_task(self.run)

    def run(self) -> None:
        try:
            while self.sweeper.running:
                try:
                    self.tick()
                except Exception:  # a database hiccup must not stop the feed for good
                    log.exception("console live feed tick failed")
                socketio.sleep(INTERVAL_SECONDS)
        finally:
            self.running = False

    def tick(self) -> None:
        watched = broadcasts.watched_campaign_ids()  # counts only for dashboards open on this worker
        if not watched:
            return
        with self.app.app_context():
            try:
                now = utcnow()
                for campaign in dashboard.campaigns_worth_watching(db.session, now):
                    if campaign.id not in watched:
                        continue
                    payload = dashboard.live_counts(db.session, campaign, now)
                    broadcasts.campaign_live(campaign.id, payload)
                db.session.commit()
            finally:
                db.session.remove()


def ensure_live_feed(app: Flask) -> None:
    """Start the app's feed if the round sweeper runs (ROUND_SWEEPER on and started)."""
    sweeper = app.extensions.get("xiaoge.round_sweeper")
    if sweeper is None:
        return
    feed = app.extensions.get("xiaoge.console_live_feed")
    if feed is None:
        feed = app.extensions["xiaoge.console_live_feed"] = ConsoleLiveFeed(app, sweeper)
    feed.start()
