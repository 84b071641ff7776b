"""Refused shakes are kept briefly or not at all: a flood of fresh shake_ids fills neither Redis nor the database."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import IdempotentAnswer, ShakeRound
from tests.factories import draw_engine, now
from tests.test_shakes import open_round


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here runs on both draw engines (app/services/shaking/)."""
    return request.param


def refusal_answers_kept(app, shopper_id: int) -> dict[str, int]:
    """Each refused shake_id of the shopper kept by the engine, with seconds left to keep it (-1: for ever)."""
    if app.config.get("SHAKE_DRAWS") == "redis":
        engine = draw_engine(app)
        keys = engine.redis.keys(engine.answer_key(shopper_id, "*"))
        return {key.decode().rsplit(":", 1)[1]: engine.redis.ttl(key) for key in keys
                if b'"error"' in (engine.redis.get(key) or b"")}
    db.session.expire_all()
    stored = db.session.scalars(select(IdempotentAnswer).where(
        IdempotentAnswer.scope == "shake", IdempotentAnswer.owner_id == shopper_id, IdempotentAnswer.status >= 400))
    return {answer.key: -1 for answer in stored}


def test_refusals_of_an_unknown_or_closed_round_are_not_kept(app, make):
    home = make.compound()
    _, round_id = open_round(make, home)
    shopper_id, headers = make.shopper(home=home)
    db.session.get(ShakeRound, round_id).closes_at = now() - timedelta(seconds=1)
    db.session.commit()

    late = [make.shake(round_id, headers, shake_id=f"late-{n}") for n in range(20)]
    unknown = [make.shake(round_id + 1000, headers, shake_id=f"unknown-{n}") for n in range(20)]

    assert {a.get_json()["error"]["code"] for a in late} == {"round_closed"}
    assert {a.status_code for a in unknown} == {404}
    assert refusal_answers_kept(app, shopper_id) == {}
    assert make.shake(round_id, headers, shake_id="late-0").get_json() == late[0].get_json()  # asked again: the same


def test_a_shake_over_the_limit_is_kept_no_longer_than_the_setting_and_replayed_meanwhile(app, make):
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=1)
    shopper_id, headers = make.shopper(home=home)
    assert make.shake(round_id, headers).status_code == 200

    refused = [make.shake(round_id, headers, shake_id=f"over-{n}") for n in range(20)]
    again = make.shake(round_id, headers, shake_id="over-0")

    assert {a.status_code for a in refused} == {429}
    assert again.status_code == 429 and again.get_json() == refused[0].get_json()
    kept = refusal_answers_kept(app, shopper_id)
    assert all(0 < seconds <= app.config["SHAKE_REFUSAL_KEEP_SECONDS"] for seconds in kept.values()), kept
    assert db.session.scalar(select(func.count()).select_from(IdempotentAnswer)
                             .where(IdempotentAnswer.status >= 400)) == 0  # neither engine stores a refusal row


def test_a_win_and_a_lose_are_still_replayed_after_a_refusal_setting_of_zero(app, make):
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=2)
    _, headers = make.shopper(home=home)
    app.config["SHAKE_REFUSAL_KEEP_SECONDS"] = 0
    if app.config.get("SHAKE_DRAWS") == "redis":
        draw_engine(app).refusal_keep_seconds = 0

    won, lost = make.shake(round_id, headers, shake_id="won"), make.shake(round_id, headers, shake_id="lost")

    assert make.shake(round_id, headers, shake_id="won").get_json() == won.get_json()
    assert make.shake(round_id, headers, shake_id="lost").get_json() == lost.get_json()
    assert make.shake(round_id, headers, shake_id="over").status_code == 429
