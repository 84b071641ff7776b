"""What the fault tests (test_database_restart, test_worker_killed) ask a real server and its database."""
from __future__ import annotations

import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import RoundShopper, Shake


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def shake_over_rest(server, round_id: int, token: str, shake_id: str) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/shake-rounds/{round_id}/shakes", json={"shake_id": shake_id},
                         headers=auth(token), timeout=15)


def wins_listed(server, tokens) -> dict[str, set[str]]:
    """Each shopper's /me/wins, as the shake_ids listed."""
    def listed(token):
        answer = requests.get(f"{server.url}/api/v1/me/wins", headers=auth(token), timeout=15)
        return {win["shake_id"] for win in answer.json()["wins"]}
    return {token: listed(token) for token in tokens}


def recorded(app) -> dict[str, int]:
    """What the database holds: shakes, won shakes, and the most wins of one shopper in a round."""
    shakes = select(func.count()).select_from(Shake)
    with app.app_context():
        figures = {"shakes": db.session.scalar(shakes),
                   "won": db.session.scalar(shakes.where(Shake.won.is_(True))),
                   "most_wins": db.session.scalar(select(func.max(RoundShopper.wins)))}
        db.session.remove()  # its connection back to the pool before the pool is closed
        db.engine.dispose()
    return figures
