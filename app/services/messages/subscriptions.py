"""What a shopper's `wx.requestSubscribeMessage` acceptances allow: one send per acceptance.

WeChat counts acceptances per template (accepting twice allows two messages); we count them
the same way, up to SENDS_CAP, so a client calling in a loop cannot grow a count for ever.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import MessageSubscription, utcnow

SENDS_CAP = 50


def accept(session: Session, shopper_id: int, accepted: Iterable[str],
           templates: Iterable[str]) -> dict[str, int]:
    """Add one send per accepted template of ours (others are ignored); the shopper's counts."""
    ours = set(templates)
    for template_id, times in Counter(t for t in accepted if t in ours).items():
        add_sends(session, shopper_id, template_id, times)
    return sends_left(session, shopper_id, ours)


def add_sends(session: Session, shopper_id: int, template_id: str, times: int) -> None:
    """sends_left += times, capped, in one statement (a first acceptance inserts the row)."""
    if _grow(session, shopper_id, template_id, times):
        return
    try:
        with session.begin_nested():  # two first acceptances at once: one inserts, the other grows
            session.add(MessageSubscription(shopper_id=shopper_id, template_id=template_id,
                                            sends_left=min(times, SENDS_CAP), updated_at=utcnow()))
    except IntegrityError:
        _grow(session, shopper_id, template_id, times)


def _grow(session: Session, shopper_id: int, template_id: str, times: int) -> bool:
    result = session.execute(
        update(MessageSubscription)
        .where(MessageSubscription.shopper_id == shopper_id, MessageSubscription.template_id == template_id)
        .values(sends_left=func.min(MessageSubscription.sends_left + times, SENDS_CAP)
                if session.get_bind().dialect.name == "sqlite"
                else func.least(MessageSubscription.sends_left + times, SENDS_CAP),
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount > 0


def sends_left(session: Session, shopper_id: int, templates: Iterable[str]) -> dict[str, int]:
    """{template_id: sends left} for each of our templates (0 where never accepted)."""
    counts = dict.fromkeys(sorted(set(templates)), 0)
    rows = session.execute(select(MessageSubscription.template_id, MessageSubscription.sends_left)
                           .where(MessageSubscription.shopper_id == shopper_id,
                                  MessageSubscription.template_id.in_(counts)))
    counts.update({template_id: left for template_id, left in rows})
    return counts


def take_send(session: Session, shopper_id: int, template_id: str) -> bool:
    """Consume one of the shopper's sends of the template, if any is left (one conditional UPDATE)."""
    result = session.execute(
        update(MessageSubscription)
        .where(MessageSubscription.shopper_id == shopper_id, MessageSubscription.template_id == template_id,
               MessageSubscription.sends_left > 0)
        .values(sends_left=MessageSubscription.sends_left - 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def forget_sends(session: Session, shopper_id: int, template_id: str) -> None:
    """WeChat says the shopper is not subscribed (43101): our count was wrong, spend no more on it."""
    session.execute(update(MessageSubscription)
                    .where(MessageSubscription.shopper_id == shopper_id,
                           MessageSubscription.template_id == template_id)
                    .values(sends_left=0).execution_options(synchronize_session=False))
