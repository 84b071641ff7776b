"""Shake ids chosen for where their number falls: a shake's outcome is fixed by the round's seed
and its shake_id (app/services/draws), so a test that wants a given prize picks the id."""
from __future__ import annotations

import itertools

from app.extensions import db
from app.models import ShakeRound
from app.services.draws.numbers import prize_index, shake_number

_seq = itertools.count(1)


def shake_id_in_share(round_id: int, index: int | None) -> str:
    """A fresh shake_id whose number falls in prize line `index`'s share of [0, 1) (None: in none)."""
    shake_round = db.session.get(ShakeRound, round_id)
    odds = [line.prize.win_probability for line in shake_round.prizes]
    while True:
        shake_id = f"picked-{next(_seq)}"
        if prize_index(shake_number(shake_round.seed, shake_id), odds) == index:
            return shake_id
