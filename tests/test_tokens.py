"""Bearer tokens: a verified token is remembered briefly, never past its own expiry."""
from __future__ import annotations

import time

import pytest

from app.services.accounts.tokens import TokenService
from app.services.errors import Unauthorized


def test_a_remembered_token_still_expires_on_time():
    tokens = TokenService("secret", {"shopper": 1, "courier": 60, "staff": 60})
    token = tokens.issue("shopper", 7)
    assert tokens.verify(token, "shopper").subject_id == 7  # verified, and remembered

    time.sleep(2.1)  # itsdangerous counts whole seconds: 1 s of life is over by then

    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(token, "shopper")


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
