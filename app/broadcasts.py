"""Server -> client events and the rooms they go to, in one place. Call after the commit that made them true.

One room per compound (its shoppers), per courier (their handheld) and per campaign (the
consoles watching it). With REDIS_URL set, python-socketio's message queue carries each emit
to every worker, so a shopper connected to one worker hears an arrival announced through another.
"""
from __future__ import annotations

from app.extensions import socketio
from app.metrics import timed_broadcast
from app.models import Arrival, Courier, GroupDeal, Order, ShakeRound
from app.schemas.pickup import PickupOut
from app.schemas.shake import CampaignStatsOut
from app.services.campaigns import CampaignStats

PICKUP, STATS = PickupOut(), CampaignStatsOut()  # built once: building a schema costs more than a dump


def compound_room(compound_id: int) -> str:
    return f"compound:{compound_id}"


def courier_room(courier_id: int) -> str:
    return f"courier:{courier_id}"


def campaign_room(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def watched_campaign_ids() -> set[int]:
    """Campaigns a console socket on this worker watches (its room has a member here)."""
    rooms = socketio.server.manager.rooms.get("/console", {}) if socketio.server else {}
    return {int(room.removeprefix("campaign:")) for room, members in list(rooms.items())
            if isinstance(room, str) and room.startswith("campaign:") and members}


def rfc3339(moment) -> str:
    return moment.isoformat()


@timed_broadcast
def van_arrived(arrival: Arrival, courier: Courier) -> None:
    """Shoppers in the compound: the van is here."""
    socketio.emit("van_arrived", {
        "compound_id": arrival.compound_id,
        "courier": {"id": courier.id, "name": courier.name, "avatar_url": courier.avatar_url},
        "arrived_at": rfc3339(arrival.received_at),
    }, to=compound_room(arrival.compound_id), namespace="/shopper")


@timed_broadcast
def console_arrival(campaign_id: int, shake_round: ShakeRound | None, arrival: Arrival,
                    courier: Courier) -> None:
    """Consoles watching the campaign: a van arrived and opened this round (`round_opened`
    follows), or was refused as too far from the compound (no round: `round_id` null)."""
    socketio.emit("arrival", {
        "arrival_id": arrival.id, "round_id": shake_round.id if shake_round else None,
        "campaign_id": campaign_id,
        "compound": {"id": arrival.compound_id, "name": arrival.compound.name},
        "courier": {"id": courier.id, "name": courier.name},
        "arrived_at": rfc3339(arrival.received_at), "far_from_compound": bool(arrival.far_from_compound),
        "too_far": bool(arrival.too_far), "distance_m": arrival.distance_m,
    }, to=campaign_room(campaign_id), namespace="/console")


@timed_broadcast
def shake_open(shake_round: ShakeRound) -> None:
    """Shoppers in the compound, and consoles watching the campaign: a round is open."""
    payload = {
        "round_id": shake_round.id, "compound_id": shake_round.compound_id,
        "campaign": {"id": shake_round.campaign.id, "title": shake_round.campaign.title},
        "opens_at": rfc3339(shake_round.opens_at), "closes_at": rfc3339(shake_round.closes_at),
        "seed_sha256": shake_round.seed_sha256,  # the seed itself: in the round's draws once closed
    }
    socketio.emit("shake_open", payload, to=compound_room(shake_round.compound_id), namespace="/shopper")
    socketio.emit("round_opened", payload, to=campaign_room(shake_round.campaign_id), namespace="/console")


@timed_broadcast
def shake_closed(shake_round: ShakeRound) -> None:
    """Shoppers in the compound, and consoles: the round is over."""
    payload = {"round_id": shake_round.id, "compound_id": shake_round.compound_id}
    socketio.emit("shake_closed", {"round_id": shake_round.id}, to=compound_room(shake_round.compound_id),
                  namespace="/shopper")
    socketio.emit("round_closed", payload, to=campaign_room(shake_round.campaign_id), namespace="/console")


@timed_broadcast
def live(compound_id: int, watching: int, buying: int, items: dict[int, tuple[int, int]]) -> None:
    """Shoppers in the compound: how many are watching and buying, and the products whose
    figures changed since the last push: {"<product_id>": {"watching", "bought_today"}}."""
    socketio.emit("live", {"compound_id": compound_id, "watching": watching, "buying": buying,
                           "items": {str(pid): {"watching": w, "bought_today": b}
                                     for pid, (w, b) in sorted(items.items())}},
                  to=compound_room(compound_id), namespace="/shopper")


@timed_broadcast
def pickup_added(order: Order) -> None:
    """The courier's handheld: a new order to hand over (a group order once its group succeeds)."""
    if order.held:
        return
    socketio.emit("pickup_added", {"order": PICKUP.dump(order)}, to=courier_room(order.courier_id),
                  namespace="/courier")


@timed_broadcast
def campaign_stats(campaign_id: int, stats: CampaignStats) -> None:
    """Consoles watching the campaign: fresh figures."""
    socketio.emit("campaign_stats", {"campaign_id": campaign_id, **STATS.dump(stats)},
                  to=campaign_room(campaign_id), namespace="/console")


@timed_broadcast
def campaign_live(campaign_id: int, payload: dict) -> None:
    """Consoles watching the campaign: shoppers watching per compound (console_live's feed)."""
    socketio.emit("campaign_live", payload, to=campaign_room(campaign_id), namespace="/console")


@timed_broadcast
def group_progress(deal: GroupDeal) -> None:
    """Shoppers in the compound: a group deal's seats taken and status (a join, its success or failure)."""
    socketio.emit("group_progress", {"group_deal_id": deal.id, "joined": deal.joined, "joined_fen": deal.joined_fen,
                                     "status": deal.status},
                  to=compound_room(deal.compound_id), namespace="/shopper")
