"""Helpers for the subscribe message tests: residents in bulk, the sender run by hand."""
from __future__ import annotations

import uuid

import requests

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import Address, MessageSubscription, OutboxMessage, Shopper, utcnow
from app.actions.message_sender import MessageSender

VAN = "sandbox_tpl_van_arrived"
ORDER = "sandbox_tpl_order_status"
PLAN = "sandbox_tpl_shopping_plan"


def residents(compound, count: int, sends: int = 1, template: str = VAN) -> list[int]:
    """`count` shoppers living in the compound (default address), each with `sends` sends left."""
    if not count:
        return []
    tag = uuid.uuid4().hex[:8]
    now = utcnow()
    db.session.execute(insert(Shopper), [{"openid": f"bulk-{tag}-{i}", "session_key": "k", "created_at": now}
                                         for i in range(count)])
    ids = list(db.session.scalars(select(Shopper.id).where(Shopper.openid.like(f"bulk-{tag}-%"))
                                  .order_by(Shopper.id)))
    db.session.execute(insert(Address), [{"shopper_id": i, "recipient": "住户", "phone": "13800000000",
                                          "detail": "1栋", "compound_id": compound.id, "is_default": True,
                                          "created_at": now} for i in ids])
    if sends:
        subscribe(ids, sends, template)
    db.session.commit()
    return ids


def subscribe(shopper_ids, sends: int = 1, template: str = VAN) -> None:
    db.session.execute(insert(MessageSubscription), [
        {"shopper_id": i, "template_id": template, "sends_left": sends, "updated_at": utcnow()}
        for i in shopper_ids])
    db.session.commit()


def sends_left(shopper_id: int, template: str = VAN) -> int | None:
    db.session.expire_all()
    return db.session.scalar(select(MessageSubscription.sends_left).where(
        MessageSubscription.shopper_id == shopper_id, MessageSubscription.template_id == template))


def outbox(**where) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def drain(app, ticks: int = 5) -> MessageSender:
    """Run a sender's ticks until the outbox has nothing due (or `ticks` run out)."""
    db.session.commit()
    sender = MessageSender(app)
    for _ in range(ticks):
        sender.tick()
    db.session.expire_all()
    return sender


def received(sandbox, openid: str | None = None) -> list[dict]:
    """What the sandbox's WeChat received (for this openid), as GET /sandbox/messages lists it."""
    answer = requests.get(f"{sandbox.url}/sandbox/messages", timeout=5)
    assert answer.status_code == 200
    return [m for m in answer.json()["messages"] if openid is None or m.get("touser") == openid]
