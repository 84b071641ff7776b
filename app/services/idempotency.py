"""Client-made ids: the first answer to (scope, owner, key) is stored and replayed.

API.md: the same id again returns the first answer's body and status, whatever it was;
a 201 replays as 200. Refusals (ServiceError) are answers too and are stored; a crash is
not, nor a refusal that did nothing and passes with time (`remembered` False: busy, rate
limited), so a retry after one is tried afresh.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import IdempotentAnswer
from app.services.errors import ServiceError


class Answer(NamedTuple):
    status: int
    body: dict
    replayed: bool  # True when this is a stored answer: its effects (and broadcasts) happened before


def error_body(error: ServiceError) -> dict:
    return {"error": {"code": error.code, "message": error.message, **error.extra}}


def replay(session: Session, scope: str, owner_id: int, key: str) -> Answer | None:
    stored = session.scalar(select(IdempotentAnswer).where(
        IdempotentAnswer.scope == scope, IdempotentAnswer.owner_id == owner_id,
        IdempotentAnswer.key == key))
    if stored is None:
        return None
    return Answer(200 if stored.status == 201 else stored.status, stored.body, replayed=True)


def answer_once(session: Session, scope: str, owner_id: int, key: str,
                produce: Callable[[], tuple[int, dict]], keep_refusals: bool = True) -> Answer:
    """Run `produce` once per key and commit its answer with its effects, atomically.

    It owns the transaction: a refusal rolls back whatever `produce` did (no savepoint needed:
    nothing else is in the transaction) and stores the refusal as the answer instead, unless
    `keep_refusals` is False (a refusal that did nothing, decided the same way when asked again).
    """
    earlier = replay(session, scope, owner_id, key)
    if earlier is not None:
        return earlier
    try:
        status, body = produce()
        store(session, scope, owner_id, key, status, body)
        session.commit()
    except ServiceError as refusal:
        session.rollback()
        if not refusal.remembered:
            raise
        status, body = refusal.status, error_body(refusal)
        if not keep_refusals:  # unless the same key's concurrent request answered first (that answer holds)
            return replay(session, scope, owner_id, key) or Answer(status, body, replayed=False)
        try:
            store(session, scope, owner_id, key, status, body)
            session.commit()
        except IntegrityError:
            return replay_after_race(session, scope, owner_id, key)
    except IntegrityError:
        return replay_after_race(session, scope, owner_id, key)
    return Answer(status, body, replayed=False)


# One INSERT, built once; an answer is only ever written, never read back in the same session.
STORE = insert(IdempotentAnswer.__table__)


def store(session: Session, scope: str, owner_id: int, key: str, status: int, body: dict) -> None:
    """Write the answer (IntegrityError: another request with the same key wrote one first)."""
    session.execute(STORE, row(scope, owner_id, key, status, body))


def row(scope: str, owner_id: int, key: str, status: int, body: dict) -> dict:
    return {"scope": scope, "owner_id": owner_id, "key": key, "status": status, "body": body}


def store_first_answer(connection: Connection, scope: str, owner_id: int, key: str, status: int,
                       body: dict) -> Answer | None:
    """Store the answer of a request that has just proved itself the key's first (it wrote a
    row only the first could) and written its effects; None if another request with the key
    stored one after all (answer_once then replays it). For a connection of quick_writes."""
    try:
        connection.execute(STORE, row(scope, owner_id, key, status, body))
    except IntegrityError:
        return None
    return Answer(status, body, replayed=False)


def replay_after_race(session: Session, scope: str, owner_id: int, key: str) -> Answer:
    """A concurrent request with the same key committed first: its answer is the answer."""
    session.rollback()
    earlier = replay(session, scope, owner_id, key)
    if earlier is None:
        raise RuntimeError(f"{scope} {key}: conflicting write but no stored answer")
    return earlier


def answer_once_if_keyed(session: Session, scope: str, owner_id: int, key: str | None,
                         produce: Callable[[], tuple[int, dict]]) -> Answer:
    """`answer_once` when the client sent a key; without one, produce and commit (nothing to replay)."""
    if key is None:
        status, body = produce()
        session.commit()
        return Answer(status, body, replayed=False)
    return answer_once(session, scope, owner_id, key, produce)
