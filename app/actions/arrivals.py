"""The courier's "arrived" tap, over REST or the socket: recorded once per event_id, announced once."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app import broadcasts, metrics
from app.extensions import db
from app.models import Courier, utcnow
from app.schemas.shake import ArrivalAnswer
from app.services import idempotency
from app.services.campaigns import live_campaigns_for
from app.services.couriers import arrivals, registry
from app.services.errors import StaleEvent, TooFar

ANSWER = ArrivalAnswer()


def arrive(courier_id: int, body: dict) -> idempotency.Answer:
    """Record a courier's arrival once per event_id; broadcast what it opened, the first time only."""
    courier = registry.get_courier(db.session, courier_id)
    outcomes = []

    def produce():
        outcome = arrivals.record_arrival(db.session, courier, event_id=body["event_id"],
                                          compound_id=body["compound_id"], occurred_at=body["occurred_at"],
                                          lat=body["lat"], lng=body["lng"], now=utcnow(), limits=limits())
        outcomes.append(outcome)
        answer = ANSWER.dump({"arrival": outcome.arrival, "rounds": outcome.opened})
        if outcome.too_far or outcome.stale:  # recorded, so answered with the arrival, and replayed as such
            refusal = TooFar() if outcome.too_far else StaleEvent()
            return refusal.status, {**idempotency.error_body(refusal), **answer}
        return 201, answer

    answer = idempotency.answer_once(db.session, "arrival", courier_id, body["event_id"], produce)
    metrics.arrival(arrival_outcome(answer, outcomes))
    if not answer.replayed and outcomes:
        announce(courier, outcomes[-1])
    return answer


def limits() -> arrivals.ArrivalLimits:
    """ARRIVAL_REPEAT_MINUTES and ARRIVALS_PER_MINUTE, as the arrival service takes them."""
    config = current_app.config
    return arrivals.ArrivalLimits(repeat_after=timedelta(minutes=config.get("ARRIVAL_REPEAT_MINUTES", 0)),
                                  per_minute=config.get("ARRIVALS_PER_MINUTE", 10))


def arrival_outcome(answer: idempotency.Answer, outcomes: list) -> str:
    """What xiaoge_arrivals_total counts an arrival as: its outcome, or the refusal's code."""
    if answer.replayed:
        return "replayed"
    if not outcomes:  # refused before anything was recorded
        return answer.body["error"]["code"]
    outcome = outcomes[-1]
    return "stale" if outcome.stale else "opened" if outcome.opened else "no_round"


def announce(courier: Courier, outcome: arrivals.ArrivalOutcome) -> None:
    """Rounds the arrival closed, the van to the compound's shoppers, each round it opened; an
    arrival refused as too far to the dashboards of the campaigns running there."""
    for closed in outcome.closed:
        broadcasts.shake_closed(closed)
    if outcome.too_far:
        arrival = outcome.arrival
        for campaign in live_campaigns_for(db.session, arrival.compound_id, arrival.received_at):
            broadcasts.console_arrival(campaign.id, None, arrival, courier)
    if not outcome.accepted:
        return
    broadcasts.van_arrived(outcome.arrival, courier)
    for opened in outcome.opened:
        broadcasts.console_arrival(opened.campaign_id, opened, outcome.arrival, courier)
        broadcasts.shake_open(opened)
