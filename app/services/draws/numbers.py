"""The draw's arithmetic, with nothing but the standard library (handheld/verify.py redoes it
on its own, as a verifier must; tests hold the two to the same hand-computed numbers).

A shake's number is `int.from_bytes(HMAC-SHA256(key=seed, msg=shake_id)[:8], "big") / 2**64`,
in [0, 1). The round's prize lines split [0, 1) in their order, each taking its
win_probability: the number picks at most one line (none past their sum), which then wins if
its stock, pacing and the shopper's limits allow.
"""
from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from collections.abc import Sequence

SEED_BYTES = 32
NUMBER_SPAN = 2 ** 64


def new_seed() -> bytes:
    """A round's secret: 32 random bytes, revealed only once the round has closed."""
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes) -> str:
    """What a round shows of its seed while open: the hex SHA-256 of its bytes."""
    return hashlib.sha256(seed).hexdigest()


def shake_number(seed: bytes, shake_id: str) -> float:
    """The shake's number in [0, 1), fixed by the seed and the client-made shake_id."""
    digest = hmac.digest(seed, shake_id.encode("utf-8"), "sha256")  # one-shot: the C path, ~1 µs
    return int.from_bytes(digest[:8], "big") / NUMBER_SPAN


def drawn_number(seed: bytes | None, shake_id: str) -> float:
    """The number a shake in a round with this seed draws. A round without one (opened by code
    older than verifiable draws, during a rolling deploy) draws by chance, as it did then."""
    return shake_number(seed, shake_id) if seed is not None else random.random()


def prize_index(number: float, probabilities: Sequence[float]) -> int | None:
    """The prize line whose share of [0, 1) holds the number, or None (past every share)."""
    upper = 0.0
    for index, probability in enumerate(probabilities):
        upper += probability
        if number < upper:
            return index
    return None
