"""The H5 verifier page (/draws/<round_id>, app/web/static/draws.js) in Debian's chromium: it
checks a closed round of the suite with Web Crypto as handheld/verify.py does, and catches a
changed outcome and a wrong commitment."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Shake, ShakeRound
from app.services.draws import numbers
from tests.browser import PHONE, watched_page
from tests.test_verifiable_draws import closed_round  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def no_problem(message) -> bool:
    return message.type == "error"


def test_the_page_verifies_a_real_round_and_catches_a_changed_outcome(browser, live_server, closed_round):  # noqa: F811
    from playwright.sync_api import expect

    round_id, commitment = closed_round
    with watched_page(browser, live_server, no_problem, **PHONE) as page:
        page.goto(f"{live_server.url}/draws/{round_id}?commitment={commitment}")
        expect(page.locator("#draws-verdict")).to_contain_text("✓ 公平 OK: 24 次摇动")

        seed = db.session.get(ShakeRound, round_id).seed
        loses = db.session.scalars(select(Shake).where(Shake.round_id == round_id, Shake.won.is_(False))).all()
        lost = next(s for s in loses
                    if numbers.prize_index(numbers.shake_number(seed, s.shake_id), [0.3, 0.3]) != 0)
        lost.won, lost.round_prize_id = True, db.session.get(ShakeRound, round_id).prizes[0].id
        db.session.commit()
        page.locator("#draws-check").click()

        expect(page.locator("#draws-verdict")).to_contain_text("PROBLEMS (1)")
        expect(page.locator("#draws-problems li")).to_contain_text(f"shake {lost.shake_id}: won")


def test_the_page_catches_a_commitment_that_does_not_match(browser, live_server, closed_round):  # noqa: F811
    from playwright.sync_api import expect

    round_id, _ = closed_round
    with watched_page(browser, live_server, no_problem, **PHONE) as page:
        page.goto(f"{live_server.url}/draws/{round_id}?commitment={'ab' * 32}")
        expect(page.locator("#draws-verdict")).to_contain_text("PROBLEMS (1)")
        expect(page.locator("#draws-problems li")).to_contain_text("not the commitment given")
