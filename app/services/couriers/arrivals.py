"""A courier's "arrived" tap: recorded once, opening the compound's shake rounds."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.models import Arrival, Compound, Courier, ShakeRound
from app.services.campaigns.rounds import close_due_rounds, open_rounds_for_arrival
from app.services.errors import NotOnRoute
from app.services.places.compounds import distance_m

STALE_AFTER = timedelta(minutes=30)
# Device clocks drift; a tap "from the future" is believed up to this much, then clamped.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class ArrivalOutcome:
    arrival: Arrival
    opened: list[ShakeRound] = field(default_factory=list)
    closed: list[ShakeRound] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return self.arrival.stale


def record_arrival(session: Session, courier: Courier, *, event_id: str, compound_id: int,
                   occurred_at: datetime, now: datetime, lat: float | None = None,
                   lng: float | None = None) -> ArrivalOutcome:
    """Record the tap; unless it is stale, open a round per live campaign covering the compound.

    Idempotency on event_id is the caller's (the stored first answer is replayed).
    """
    if not courier.serves(compound_id):
        raise NotOnRoute()
    compound = session.get(Compound, compound_id)
    arrival = Arrival(courier_id=courier.id, compound_id=compound_id, event_id=event_id,
                      occurred_at=min(occurred_at, now + CLOCK_SKEW), lat=lat, lng=lng,
                      stale=occurred_at < now - STALE_AFTER)
    if lat is not None and lng is not None:
        arrival.distance_m = round(distance_m(lat, lng, compound.lat, compound.lng))
        arrival.far_from_compound = arrival.distance_m > compound.radius_m
    session.add(arrival)
    session.flush()
    outcome = ArrivalOutcome(arrival, closed=close_due_rounds(session, now, compound_id))
    if not arrival.stale:
        outcome.opened = open_rounds_for_arrival(session, arrival, now)
    return outcome
