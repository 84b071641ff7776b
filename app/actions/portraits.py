"""The nightly portrait refresh: after NIGHTLY_HOUR (Asia/Shanghai) every compound whose portrait
is older than today is refreshed once, by whichever worker claims it first.

Every worker may run the loop (a claim is one conditional UPDATE, so two never refresh the same
compound at once; a worker that dies mid-refresh loses its claim after CLAIM_HOLD);
`refresh_stale_portraits()` does one round, for tests and `flask --app wsgi refresh-portraits`.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from app.background import BackgroundLoop
from app.extensions import db
from app.models import utcnow
from app.services.places.live import SHANGHAI
from app.services.portrait import portraits

log = logging.getLogger(__name__)
NIGHTLY_HOUR = 3
CLAIM_HOLD = timedelta(minutes=10)
CHECK_EVERY_SECONDS = 300.0


def window_days() -> int:
    """The days a portrait covers (PORTRAIT_DAYS)."""
    return int(current_app.config.get("PORTRAIT_DAYS", portraits.WINDOW_DAYS))


def refresh_stale_portraits(now: datetime | None = None) -> list[int]:
    """Refresh every compound whose portrait is older than today, one commit each; their ids."""
    window = window_days()
    done = []
    while True:
        at = now or utcnow()
        compound_id = portraits.claim_stale(db.session, at, CLAIM_HOLD)
        db.session.commit()
        if compound_id is None:
            return done
        portraits.refresh_portrait(db.session, compound_id, at, window)
        db.session.commit()
        done.append(compound_id)


class PortraitRefresher(BackgroundLoop):
    retry_seconds = CHECK_EVERY_SECONDS

    def tick(self) -> float:
        with self.app.app_context():
            try:
                if utcnow().astimezone(SHANGHAI).hour >= NIGHTLY_HOUR:
                    refreshed = refresh_stale_portraits()
                    if refreshed:
                        log.info("portraits refreshed: %s", refreshed)
            finally:
                db.session.remove()
        return float(self.app.config.get("PORTRAIT_CHECK_SECONDS", CHECK_EVERY_SECONDS))
