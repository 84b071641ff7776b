"""Bearer tokens: a verified token is remembered briefly, never past its own expiry."""
from __future__ import annotations

import pytest

from app.services.accounts.tokens import TokenService
from app.services.errors import Unauthorized


class Clock:
    """A clock the test moves: seconds since the epoch."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_still_expires_on_time():
    clock = Clock()
    tokens = TokenService("secret", {"shopper": 1, "courier": 60, "staff": 60}, clock=clock)
    token = tokens.issue("shopper", 7)
    assert tokens.verify(token, "shopper").subject_id == 7  # verified, and remembered

    clock.now += 1  # itsdangerous counts whole seconds: 1 s old is not yet past a 1 s life
    assert tokens.verify(token, "shopper").subject_id == 7
    clock.now += 1

    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(token, "shopper")


def test_a_token_is_remembered_for_a_minute_at_most():
    clock = Clock()
    tokens = TokenService("secret", {"shopper": 3600, "courier": 60, "staff": 60}, clock=clock)
    token = tokens.issue("shopper", 7)
    tokens.verify(token, "shopper")
    checked = []
    real_check = tokens._verify_signature
    tokens._verify_signature = lambda *args: checked.append(args) or real_check(*args)

    clock.now += 59
    tokens.verify(token, "shopper")
    assert checked == []  # remembered
    clock.now += 1
    tokens.verify(token, "shopper")
    assert len(checked) == 1  # checked again, a minute on


def test_a_remembered_token_is_still_only_for_its_audience():
    tokens = TokenService("secret", {"shopper": 60, "courier": 60, "staff": 60})
    token = tokens.issue("shopper", 7)
    tokens.verify(token, "shopper")

    with pytest.raises(Unauthorized, match="not for this part"):
        tokens.verify(token, "courier")


def test_a_tampered_token_is_refused_even_after_the_genuine_one_was_remembered():
    tokens = TokenService("secret", {"shopper": 60, "courier": 60, "staff": 60})
    token = tokens.issue("shopper", 7)
    tokens.verify(token, "shopper")

    with pytest.raises(Unauthorized, match="not valid"):
        tokens.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "shopper")
