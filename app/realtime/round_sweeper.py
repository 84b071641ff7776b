"""Closes shake rounds on time, even when no request comes in, and pushes campaign figures.

Every worker runs one; the conditional UPDATE in rounds.close_round makes each round close
exactly once whichever worker gets there first. Rounds live in the database, so a round
that was due while the server was down closes on the first tick after a restart. Campaign
figures (a COUNT over the campaign's shakes) are counted only for campaigns a console socket
connected to this worker watches: none at all while no dashboard is open.
"""
from __future__ import annotations

from datetime import timedelta

from app import broadcasts, metrics
from app.background import BackgroundLoop
from app.extensions import db
from app.models import ShakeRound, utcnow
from app.services import campaigns
from app.services.campaigns import rounds

MAX_SLEEP_SECONDS = 1.0
MIN_SLEEP_SECONDS = 0.05


class RoundSweeper(BackgroundLoop):
    retry_seconds = MAX_SLEEP_SECONDS

    def tick(self) -> float:
        """Close due rounds, push figures; return how long to sleep until the next closing."""
        with self.app.app_context():
            try:
                now = utcnow()
                closed = []
                for shake_round in rounds.due_rounds(db.session, now):
                    # One transaction a round: it holds its campaign's prize rows (the stock it
                    # gives back) only for itself, never while waiting for another round's row.
                    if rounds.close_round(db.session, shake_round, now):
                        closed.append(shake_round)
                    db.session.commit()
                metrics.rounds_closed(closed, now)
                for shake_round in closed:
                    broadcasts.shake_closed(shake_round)
                watched = broadcasts.watched_campaign_ids()  # figures only for dashboards open here
                if watched:
                    self.push_stats(watched & ({r.campaign_id for r in closed} | live_campaign_ids(now)))
                upcoming = rounds.next_closing_time(db.session)
            finally:
                db.session.remove()
        if upcoming is None:
            return MAX_SLEEP_SECONDS
        return min(MAX_SLEEP_SECONDS, max(MIN_SLEEP_SECONDS, (upcoming - utcnow()).total_seconds()))

    def push_stats(self, campaign_ids: set[int]) -> None:
        for campaign_id in sorted(campaign_ids):
            campaign = campaigns.get_campaign(db.session, campaign_id)
            broadcasts.campaign_stats(campaign_id, campaigns.campaign_stats(db.session, campaign))


def live_campaign_ids(now) -> set[int]:
    """Campaigns with a round open (or just closed), whose dashboards want fresh figures."""
    recent = now - timedelta(seconds=2)
    return set(db.session.scalars(
        db.select(ShakeRound.campaign_id).where((ShakeRound.closed_at.is_(None)) | (ShakeRound.closed_at >= recent))
        .distinct()
    ))
