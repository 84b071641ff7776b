"""Whole fen, shared and rounded in one place, so every figure of a statement adds up exactly."""
from __future__ import annotations

BASIS_POINTS = 10_000


def pro_rata(amount: int, weights: list[int]) -> list[int]:
    """`amount` split in proportion to `weights`, in whole fen that add up to it exactly (largest
    remainder first, ties to the earlier line); no share exceeds its weight when amount <= sum(weights)."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [amount * weight // total for weight in weights]
    left = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for index in by_remainder[:left]:
        shares[index] += 1
    return shares


def commission_fen(sales_fen: int, rate_bp: int) -> int:
    """A line's commission: its sales at the rate, rounded half up to the fen."""
    return (sales_fen * rate_bp + BASIS_POINTS // 2) // BASIS_POINTS
