"""A prize pool made plain: per round, how many of each prize, the odds, and how fast stock goes.

The draw (app/services/shaking/, app/services/draws/) lays the prize lines' odds end to end on
[0, 1) in order; a shake's number picks the line whose share holds it (none past their sum), and
that line takes one of the round's stock if released (stock is released linearly over the
window: one at once, then one every window/stock seconds). console.js computes the same for the
form.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrizeOdds:
    title: str
    kind: str
    per_round: int
    probability: float  # the line's own odds, when it is tried
    effective: float  # chance a shake wins this line: its share of [0, 1), cut short past 1
    one_in: float  # shakes per win of this line, on average
    shakes_to_empty: float  # shakes a round needs, on average, to give this prize out
    release_every_s: float  # after the first, one more is released every this many seconds


@dataclass(frozen=True)
class PoolSummary:
    prizes: list[PrizeOdds]
    items_per_round: int
    win_chance: float  # chance one shake wins something while every line has stock


def pool_summary(prizes, window_seconds: int) -> PoolSummary:
    """Odds and pacing of a pool; `prizes` have kind, title, per_round and win_probability."""
    lines, before = [], 0.0
    for prize in prizes:
        p = prize.win_probability
        effective = max(0.0, min(p, 1.0 - before))
        before += p
        lines.append(PrizeOdds(title=prize.title, kind=prize.kind, per_round=prize.per_round, probability=p,
                               effective=effective, one_in=1 / effective if effective else float("inf"),
                               shakes_to_empty=prize.per_round / effective if effective else float("inf"),
                               release_every_s=window_seconds / prize.per_round))
    return PoolSummary(lines, sum(line.per_round for line in lines), min(before, 1.0))
