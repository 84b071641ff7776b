"""A shopper in a store: the compound's live counts, pushed to everyone in its room."""
from __future__ import annotations

from app import broadcasts
from app.extensions import db
from app.models import utcnow
from app.services.places.live import LiveCounts, live_counts


def announce_live(compound_id: int) -> LiveCounts:
    """Count who is watching and buying in the compound now, and tell its room."""
    counts = live_counts(db.session, compound_id, utcnow())
    broadcasts.live(compound_id, counts.watching, counts.buying)
    return counts
