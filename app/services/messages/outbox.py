"""The outbox subscribe messages leave through, off every request's path.

An arrival (one that opens a round: "shake now"; any accepted one: "your order is ready")
adds one `van_arrived` job however many shoppers live in the compound; a background loop
claims it and expands it into one `send` per resident with a send left, consuming each send
in one conditional UPDATE. Loops on several workers claim rows with
`FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer) and push the claimed rows' due
time past a lease, so no two loops ever hold the same row.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from app.models import Address, Arrival, Compound, Courier, Order, OutboxMessage, ShakeRound, Shopper
from app.models.message import MessageSubscription
from app.services.messages.subscriptions import take_send

STORE_PAGE = "pages/store/index"
SHAKE_NOW = "小哥到了，快来摇一摇"
AWAITING_PICKUP = ("reserved", "paid")  # orders the van's arrival makes ready to collect
ORDER_STATUS_TEXTS = {"paid": "已支付", "ready": "待取货：小哥已到", "refunded": "已退款",
                      "group_succeeded": "拼团成功", "group_failed": "拼团未成，已取消"}
THING_LENGTH = 20  # WeChat refuses a `thing` value longer than this (47003)
CLAIM_LEASE = timedelta(seconds=60)  # past any send's timeout: a claim left by a dead worker is retried then


def enqueue_van_arrived(session: Session, arrival: Arrival, now: datetime) -> None:
    """One job for an accepted arrival (never one row per shopper): "shake now" to the residents
    if it opened a round, "ready" to the courier's orders there either way."""
    session.add(OutboxMessage(kind="van_arrived", compound_id=arrival.compound_id, arrival_id=arrival.id,
                              due_at=now))


def enqueue_send(session: Session, shopper_id: int, template_id: str, data: dict, page: str,
                 now: datetime) -> bool:
    """Queue one message if the shopper has a send of the template left (consumed now); whether queued."""
    if not take_send(session, shopper_id, template_id):
        return False
    session.add(OutboxMessage(kind="send", shopper_id=shopper_id, template_id=template_id, data=data,
                              page=page, due_at=now))
    return True


def order_status(session: Session, order: Order, status: str, template_id: str, now: datetime) -> bool:
    """Queue "your order is paid / ready / refunded" for the order's shopper, if subscribed."""
    data = {"character_string1": str(order.id), "phrase2": ORDER_STATUS_TEXTS[status],
            "amount3": f"¥{order.total_fen / 100:.2f}"}
    # Opens the mini-program at the courier's store, where the shopper's orders are listed.
    page = f"{STORE_PAGE}?c={session.get(Courier, order.courier_id).courier_code}&order={order.id}"
    return enqueue_send(session, order.shopper_id, template_id, data, page, now)


def claim(session: Session, kind: str, now: datetime, limit: int,
          due_by: datetime | None = None) -> list[int]:
    """Pending rows of a kind due by `due_by` (default: now), oldest first, taken for this loop until
    the lease ends: their ids (commit, then read them with `claimed`)."""
    ids = list(session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.kind == kind, OutboxMessage.status == "pending",
               OutboxMessage.due_at <= (due_by or now))
        .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)))
    if not ids:
        return []
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                    .values(due_at=now + CLAIM_LEASE).execution_options(synchronize_session=False))
    return ids


def claimed(session: Session, ids: list[int]) -> list[OutboxMessage]:
    """The claimed rows, read in one SELECT after the claim's commit (which expires loaded rows:
    read before it, each would reload alone)."""
    if not ids:
        return []
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                .order_by(OutboxMessage.id).execution_options(populate_existing=True)))


def expand_van_arrived(session: Session, job: OutboxMessage, templates: tuple[str, str],
                       now: datetime) -> int:
    """Turn the job into one send per resident of its compound with a send left of the van
    template (if its arrival opened a round), and "ready" for the courier's orders there
    waiting for pickup; sends queued."""
    template_id, order_template_id = templates
    finished = session.execute(update(OutboxMessage)
                               .where(OutboxMessage.id == job.id, OutboxMessage.status == "pending")
                               .values(status="done", sent_at=now)
                               .execution_options(synchronize_session=False))
    if finished.rowcount != 1:
        return 0  # another loop expanded it
    courier = session.get(Courier, session.get(Arrival, job.arrival_id).courier_id)
    shake_now = residents_told(session, job, courier, template_id, now) if opened_a_round(session, job) else 0
    return shake_now + orders_ready(session, courier.id, job.compound_id, order_template_id, now)


def opened_a_round(session: Session, job: OutboxMessage) -> bool:
    """Whether the job's arrival opened a shake round (else there is nothing to shake)."""
    opened = select(ShakeRound.id).where(ShakeRound.arrival_id == job.arrival_id).limit(1)
    return session.scalar(opened) is not None


def residents_told(session: Session, job: OutboxMessage, courier: Courier, template_id: str,
                   now: datetime) -> int:
    """Queue "the van is here, shake now" to each resident with a send left; messages queued."""
    compound = session.get(Compound, job.compound_id)
    residents = select(Address.shopper_id).where(Address.compound_id == job.compound_id, Address.is_default)
    # Every resident's send consumed in one statement, each at most once: the rows it returns are
    # exactly the shoppers to write to.
    shopper_ids = list(session.scalars(
        update(MessageSubscription)
        .where(MessageSubscription.template_id == template_id, MessageSubscription.sends_left > 0,
               MessageSubscription.shopper_id.in_(residents))
        .values(sends_left=MessageSubscription.sends_left - 1)
        .returning(MessageSubscription.shopper_id).execution_options(synchronize_session=False)))
    if shopper_ids:
        data = {"thing1": courier.name[:THING_LENGTH], "thing2": compound.name[:THING_LENGTH],
                "thing3": SHAKE_NOW}
        page = f"{STORE_PAGE}?c={courier.courier_code}"
        session.execute(insert(OutboxMessage), [
            {"kind": "send", "shopper_id": shopper_id, "template_id": template_id, "data": data,
             "page": page, "due_at": now, "status": "pending", "attempts": 0}
            for shopper_id in sorted(shopper_ids)])
    return len(shopper_ids)


def orders_ready(session: Session, courier_id: int, compound_id: int, template_id: str, now: datetime) -> int:
    """Queue "ready" for the courier's orders in the compound that wait for pickup; queued."""
    orders = session.scalars(select(Order).where(
        Order.courier_id == courier_id, Order.compound_id == compound_id, Order.status.in_(AWAITING_PICKUP),
        Order.held.is_(False),
    ).order_by(Order.id))
    return sum(order_status(session, order, "ready", template_id, now) for order in orders)


def finish(session: Session, message_id: int, status: str, error: str) -> None:
    """The send is over without reaching the shopper: refused by them (43101) or failed for good."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                    .values(status=status, last_error=error[:200]).execution_options(synchronize_session=False))


def finish_sent(session: Session, message_ids: list[int], now: datetime) -> None:
    """These sends went through: one UPDATE for a batch of them."""
    if message_ids:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(message_ids))
                        .values(status="sent", sent_at=now, last_error=None)
                        .execution_options(synchronize_session=False))


def retry_later(session: Session, message: OutboxMessage, due_at: datetime, error: str,
                counted: bool = True) -> None:
    """Try the send again at due_at; a counted attempt brings it nearer to giving up."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                    .values(due_at=due_at, last_error=error[:200],
                            attempts=OutboxMessage.attempts + (1 if counted else 0))
                    .execution_options(synchronize_session=False))


def release(session: Session, message_ids: list[int], due_at: datetime) -> None:
    """Give claimed but unsent rows back, due then (the sender backs off)."""
    if message_ids:
        session.execute(update(OutboxMessage)
                        .where(and_(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "pending"))
                        .values(due_at=due_at).execution_options(synchronize_session=False))


def openids(session: Session, shopper_ids: set[int]) -> dict[int, str]:
    """{shopper_id: openid} for the shoppers a batch writes to."""
    return dict(session.execute(select(Shopper.id, Shopper.openid).where(Shopper.id.in_(shopper_ids))).all())


def prune(session: Session, before: datetime) -> int:
    """Forget finished rows created before then (the outbox is a queue, not an archive); rows removed."""
    result = session.execute(delete(OutboxMessage)
                             .where(OutboxMessage.status != "pending", OutboxMessage.created_at < before)
                             .execution_options(synchronize_session=False))
    return result.rowcount
