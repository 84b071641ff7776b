"""Client-made ids: the first answer to (scope, owner, key) is stored and replayed.

API.md: the same id again returns the first answer's body and status, whatever it was;
a 201 replays as 200. Refusals (ServiceError) are answers too and are stored; a crash is
not, so a retry after one is tried afresh.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import IdempotentAnswer
from app.services.errors import ServiceError


def error_body(error: ServiceError) -> dict:
    return {"error": {"code": error.code, "message": error.message, **error.extra}}


def replay(session: Session, scope: str, owner_id: int, key: str) -> tuple[int, dict] | None:
    stored = session.scalar(select(IdempotentAnswer).where(
        IdempotentAnswer.scope == scope, IdempotentAnswer.owner_id == owner_id,
        IdempotentAnswer.key == key))
    if stored is None:
        return None
    return (200 if stored.status == 201 else stored.status), stored.body


def answer_once(session: Session, scope: str, owner_id: int, key: str,
                produce: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """Run `produce` once per key and commit its answer with its effects, atomically."""
    earlier = replay(session, scope, owner_id, key)
    if earlier is not None:
        return earlier
    try:
        with session.begin_nested():
            status, body = produce()
    except ServiceError as refusal:
        status, body = refusal.status, error_body(refusal)
    session.add(IdempotentAnswer(scope=scope, owner_id=owner_id, key=key, status=status, body=body))
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key committed first: its answer is the answer.
        session.rollback()
        earlier = replay(session, scope, owner_id, key)
        if earlier is None:
            raise
        return earlier
    return status, body
