"""The draw script's reply, read here and nowhere else, and the answers the script stores.

The script (draw.lua) replies with one of
  {"replay", stored} | {"answer", stored}   an answer to give (stored before, or just now)
  {"win", round_prize_id, used}             a win decided now: record it in the database
  {"residence"}                             nothing done: Redis does not know the shopper lives there
and stores, under the shake_id, one of
  {"status": n, "body": {...}}              an answer as given (a refusal, a recorded win)
  {"lose": shakes_left}                     a lose (its body is answers.ShakeAnswer.lose's)
  {"pending": round_prize_id, "used": n}    a win decided, not yet recorded (a retry finishes it)
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from app.services.errors import ServiceError, ShakeLimitReached
from app.services.idempotency import Answer, error_body
from app.services.shaking.answers import ShakeAnswer
from app.services.shaking.rules import taken_part_elsewhere


@dataclass(frozen=True)
class PendingWin:
    """A win Redis decided, to be recorded in the database before it is answered."""

    round_prize_id: int
    used: int  # the shopper's shakes in the round, this one included


@dataclass(frozen=True)
class Decision:
    """What one run of the draw script decided: exactly one of the three."""

    answer: Answer | None = None
    win: PendingWin | None = None
    ask_residence: bool = False


ASK_RESIDENCE = Decision(ask_residence=True)


def read_reply(reply: list, shake_id: str) -> Decision:
    """The script's reply as a Decision."""
    kind, *values = reply
    if kind == b"residence":
        return ASK_RESIDENCE
    if kind == b"win":
        return Decision(win=PendingWin(int(values[0]), int(values[1])))
    stored = json.loads(values[0])
    if "pending" in stored:  # a retry of a win still (or never) being recorded: finish it, once
        return Decision(win=PendingWin(stored["pending"], stored["used"]))
    replayed = kind == b"replay"
    if "lose" in stored:
        return Decision(answer=Answer(200, ShakeAnswer.lose(shake_id, stored["lose"]).body(), replayed))
    return Decision(answer=Answer(stored["status"], stored["body"], replayed))


def stored_answer(answer: Answer) -> str:
    """An answer as the script keeps it, to replay for the same shake_id."""
    return json.dumps({"status": answer.status, "body": answer.body})


def stored_refusal(refusal: ServiceError) -> str:
    return stored_answer(Answer(refusal.status, error_body(refusal), replayed=False))


LIMIT_REFUSAL = stored_refusal(ShakeLimitReached())
ELSEWHERE_REFUSAL = stored_refusal(taken_part_elsewhere())
