"""What a shake needs to know of its round (window, limits, prize lines, seed), read from the database
and kept by each worker for a moment, so the shakes of one second share one read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.models import RoundPrize, ShakeRound
from app.services.draws.numbers import drawn_number, prize_index
from app.services.shaking.rules import round_day


@dataclass(frozen=True)
class CouponTerms:
    """What a coupon prize's answer shows of its template (answers.coupon_body)."""

    template_id: int
    title: str
    discount_fen: int
    threshold_fen: int
    valid_until: datetime


@dataclass(frozen=True)
class PrizeLine:
    round_prize_id: int
    stock: int
    win_probability: float
    awarded: int  # in the database when read: where Redis starts counting if it has no count
    coupon: CouponTerms | None  # None for an item prize

    @classmethod
    def of(cls, round_prize: RoundPrize) -> PrizeLine:
        prize, template = round_prize.prize, round_prize.prize.coupon_template
        coupon = CouponTerms(template.id, template.title, template.discount_fen, template.threshold_fen,
                             template.valid_until) if prize.kind == "coupon" else None
        return cls(round_prize.id, round_prize.stock, prize.win_probability, round_prize.awarded, coupon)


@dataclass(frozen=True)
class RoundView:
    """A round as its shakes see it (rules.RoundWindow included)."""

    id: int
    compound_id: int
    campaign_id: int
    day: date  # rules.round_day: the day its compound is claimed for (one compound a day)
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    campaign_status: str
    shakes_per_shopper: int
    wins_per_shopper: int
    prizes: tuple[PrizeLine, ...]
    seed: bytes | None  # app/services/draws: every shake's number comes from it (None: an old round)

    @classmethod
    def of(cls, shake_round: ShakeRound) -> RoundView:
        campaign = shake_round.campaign
        return cls(shake_round.id, shake_round.compound_id, campaign.id, round_day(shake_round.opens_at),
                   shake_round.opens_at, shake_round.closes_at, shake_round.closed_at, campaign.status,
                   campaign.shakes_per_shopper, campaign.wins_per_shopper,
                   tuple(PrizeLine.of(p) for p in shake_round.prizes), shake_round.seed)

    def line(self, round_prize_id: int) -> PrizeLine | None:
        return next((line for line in self.prizes if line.round_prize_id == round_prize_id), None)

    def drawn_line(self, shake_id: str) -> int | None:
        """The position of the prize line the shake's number falls in, or None."""
        return prize_index(drawn_number(self.seed, shake_id), [line.win_probability for line in self.prizes])

    def shakes_left(self, used: int) -> int:
        return max(self.shakes_per_shopper - used, 0)
