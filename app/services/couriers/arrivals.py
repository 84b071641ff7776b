"""A courier's "arrived" tap: recorded once, opening the compound's shake rounds.

A tap opens nothing, though recorded, when it is stale (422 stale_event), when its GPS fix is
too far from the compound (422 too_far), or when it repeats an arrival of the courier's there
that opened a round within `ArrivalLimits.repeat_after` (a double tap, or a re-tap once the
round closed: 201, no round).
A courier's taps are taken one at a time (a lock on their row), so these checks hold under
concurrency; past `per_minute` taps a minute a tap is refused unrecorded (429 rate_limited).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Arrival, Compound, Courier, ShakeRound
from app.services.campaigns.rounds import settle_compound
from app.services.errors import NotOnRoute, RateLimited
from app.services.messages import outbox
from app.services.places.compounds import distance_m

STALE_AFTER = timedelta(minutes=30)
# Device clocks drift; a tap "from the future" is believed up to this much, then clamped.
CLOCK_SKEW = timedelta(minutes=5)
# GPS in a van drifts: past the radius is flagged; past the radius and this much more is refused.
TOO_FAR_MARGIN_M = 300
FLOOD_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class ArrivalLimits:
    """How soon a courier's arrival in the same compound counts again, and taps a minute."""

    repeat_after: timedelta = timedelta(minutes=10)
    per_minute: int = 10


@dataclass
class ArrivalOutcome:
    arrival: Arrival
    opened: list[ShakeRound] = field(default_factory=list)
    closed: list[ShakeRound] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return self.arrival.stale

    @property
    def too_far(self) -> bool:
        return self.arrival.too_far

    @property
    def accepted(self) -> bool:
        """A real arrival: announced to the compound's shoppers (it may still open no round)."""
        return not (self.arrival.stale or self.arrival.too_far or self.arrival.repeat)


def record_arrival(session: Session, courier: Courier, *, event_id: str, compound_id: int,
                   occurred_at: datetime, now: datetime, lat: float | None = None,
                   lng: float | None = None, limits: ArrivalLimits = ArrivalLimits()) -> ArrivalOutcome:
    """Record the tap; unless refused or a repeat, open a round per live campaign covering the compound.

    Idempotency on event_id is the caller's (the stored first answer is replayed).
    """
    if not courier.serves(compound_id):
        raise NotOnRoute()
    take_turn(session, courier.id)
    check_pace(session, courier.id, now, limits.per_minute)
    compound = session.get(Compound, compound_id)
    arrival = Arrival(courier_id=courier.id, compound_id=compound_id, event_id=event_id,
                      occurred_at=min(occurred_at, now + CLOCK_SKEW), received_at=now, lat=lat, lng=lng,
                      stale=occurred_at < now - STALE_AFTER, far_from_compound=False, too_far=False)
    if lat is not None and lng is not None:
        arrival.distance_m = round(distance_m(lat, lng, compound.lat, compound.lng))
        arrival.far_from_compound = arrival.distance_m > compound.radius_m
        arrival.too_far = arrival.distance_m > compound.radius_m + TOO_FAR_MARGIN_M
    arrival.repeat = not (arrival.stale or arrival.too_far) and opened_lately(
        session, courier.id, compound_id, now - limits.repeat_after)
    session.add(arrival)
    session.flush()
    outcome = ArrivalOutcome(arrival)
    outcome.closed, outcome.opened = settle_compound(session, arrival, now, may_open=outcome.accepted)
    if outcome.accepted:  # one job, whatever the compound's size: residents are written to off this path
        outbox.enqueue_van_arrived(session, arrival, now)
    return outcome


def take_turn(session: Session, courier_id: int) -> None:
    """Hold the courier's row until the transaction ends: their taps are decided one at a time
    (PostgreSQL; SQLite has one writer anyway)."""
    session.execute(select(Courier.id).where(Courier.id == courier_id).with_for_update())


def check_pace(session: Session, courier_id: int, now: datetime, per_minute: int) -> None:
    """RateLimited when the courier's taps of the last minute reach per_minute (a scripted flood)."""
    count, oldest = session.execute(
        select(func.count(), func.min(Arrival.received_at))
        .where(Arrival.courier_id == courier_id, Arrival.received_at > now - FLOOD_WINDOW)).one()
    if count >= per_minute:
        wait = (oldest + FLOOD_WINDOW - now).total_seconds() if oldest is not None else 1
        raise RateLimited(max(1, math.ceil(wait)), "Too many arrivals in a minute; try again shortly.")


def opened_lately(session: Session, courier_id: int, compound_id: int, since: datetime) -> bool:
    """Whether an arrival of the courier's opened a round in the compound since then."""
    return session.scalar(
        select(ShakeRound.id).join(Arrival, Arrival.id == ShakeRound.arrival_id)
        .where(Arrival.courier_id == courier_id, ShakeRound.compound_id == compound_id,
               ShakeRound.opens_at > since).limit(1)) is not None
