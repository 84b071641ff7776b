"""What the courier reads: short lines for a small screen, each saying what happened and what to do."""
from __future__ import annotations

from datetime import datetime

from handheld.client import Refused, Unreachable
from handheld.outbox import Delivery, Tap
from handheld.state import SignedIn


def clock_time(rfc3339: str | None) -> str:
    """"14:05" in the device's time zone."""
    if not rfc3339:
        return "?"
    try:
        return datetime.fromisoformat(rfc3339).astimezone().strftime("%H:%M")
    except ValueError:
        return rfc3339


def what(tap: Tap, signed: SignedIn | None) -> str:
    """The tap in a few words: "arrived at 阳光花园", "handover of order 12"."""
    if tap.kind == "arrived":
        compound_id = tap.body.get("compound_id")
        name = signed.compound_name(compound_id) if signed else f"compound {compound_id}"
        return f"arrived at {name}"
    return f"handover of order {tap.body.get('order_id')}"


def delivered(delivery: Delivery, signed: SignedIn | None) -> str:
    tap, body = delivery.tap, delivery.reply.body
    if tap.kind == "handover":
        return f"handed over: order {tap.body.get('order_id')} completed. Give the goods."
    line = f"{what(tap, signed)}: recorded"
    if delivery.replayed:
        return line + " (already on the server)."
    rounds = body.get("rounds") or []
    if (body.get("arrival") or {}).get("repeat"):
        return line + ". You opened a shake here minutes ago: no new round."
    if not rounds:
        return line + ". No shake campaign here now."
    until = clock_time(max(r.get("closes_at") or "" for r in rounds))
    return line + f". Shake open until {until} ({len(rounds)} round{'s' if len(rounds) > 1 else ''})."


def refusal_reason(tap: Tap, refusal: Refused, signed: SignedIn | None) -> str:
    """Why the server said no, in the courier's words."""
    body_error = refusal.body.get("error", {}) if isinstance(refusal.body, dict) else {}
    if refusal.code == "not_on_route":
        route = ", ".join(f"{c.get('name')} [{c.get('id')}]" for c in (signed.courier.get("compounds", [])
                                                                      if signed else []))
        return f"not on your route. Your route: {route or 'none'}."
    if refusal.code == "stale_event":
        return "tap too old to open a shake; recorded only."
    if refusal.code == "too_far":
        return "GPS says the van is too far from this compound to open a shake; recorded only."
    if refusal.code == "wrong_code":
        left = body_error.get("attempts_left")
        tries = f" {left} tries left." if left is not None else ""
        return f"WRONG CODE. Ask the shopper to read it again.{tries}"
    if refusal.code == "too_many_attempts":
        return f"locked after too many wrong codes. Call ops to unlock order {tap.body.get('order_id')}."
    if refusal.code == "not_found":
        return "no such order on your pick list. Check the order number with `pickups`."
    if refusal.code == "invalid_request":
        fields = body_error.get("fields") or {}
        detail = "; ".join(f"{name}: {why}" for name, why in fields.items())
        return f"invalid tap ({detail or refusal.message})."
    return f"{refusal.message} ({refusal.code}, HTTP {refusal.status})."


def refused(delivery: Delivery, signed: SignedIn | None) -> str:
    return f"REFUSED {what(delivery.tap, signed)}: {refusal_reason(delivery.tap, delivery.error, signed)}"


def waiting(failure: Refused | Unreachable | None) -> str:
    """Why a tap is still queued, and what the courier does about it."""
    if isinstance(failure, Refused) and failure.status == 401:
        return "queued: sign-in expired. Run `login`, then `sync`."
    if isinstance(failure, Refused):
        return f"queued: server busy ({failure.status} {failure.code}), will retry with `sync`."
    reason = str(failure) if failure else "server unreachable"
    return f"queued: {reason}, will retry with `sync`."


def queued_line(tap: Tap, signed: SignedIn | None, now: float) -> str:
    made = clock_time(tap.body.get("occurred_at"))
    line = f"  {what(tap, signed)}, made {made}, {tap.attempts} tries"
    if tap.last_error:
        line += f", last: {tap.last_error}"
    if tap.next_attempt_at > now:
        line += f", next auto-try in {int(tap.next_attempt_at - now) + 1}s"
    return line


def refused_line(tap: Tap, signed: SignedIn | None) -> str:
    return f"  refused: {what(tap, signed)}, made {clock_time(tap.body.get('occurred_at'))}: {tap.last_error}"


def pick_list(orders: list[dict], signed: SignedIn, compound_id: int | None) -> list[str]:
    """One line per order: number, goods, shopper; the number is what `handover` takes."""
    where = f" at {signed.compound_name(compound_id)}" if compound_id is not None else ""
    if not orders:
        return [f"nothing to hand over{where}."]
    lines = [f"{len(orders)} to hand over{where}:"]
    for order in orders:
        goods = ", ".join(f"{item.get('name')} x{item.get('quantity')}" for item in order.get("items", []))
        shopper = (order.get("shopper") or {}).get("nickname") or "shopper"
        won = " (won)" if order.get("source") == "shake" else ""
        place = "" if compound_id is not None else f" @ {signed.compound_name(order.get('compound_id'))}"
        lines.append(f"  #{order['id']}  {goods}  {shopper}{won}{place}")
    lines.append("hand over: handover ORDER_NUMBER --code CODE")
    return lines


def loading_list(plan: dict, signed: SignedIn) -> list[str]:
    """The day's loading list: one line a product, how many, and for which compounds."""
    state = "reviewed by ops" if plan.get("reviewed") else "suggested"
    if not plan["items"]:
        return [f"loading list {plan['date']} ({state}): nothing to load."]
    lines = [f"loading list {plan['date']} ({state}):"]
    for item in plan["items"]:
        where = ", ".join(f"{signed.compound_name(int(cid))} {units}" for cid, units in item["by_compound"].items())
        lines.append(f"  {item['quantity']:>4}  {item['name']}  (#{item['product_id']})  {where}")
    lines.append("load the van with it: loading-list --confirm")
    return lines
