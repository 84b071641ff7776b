"""The courier's store in money: what each courier's store sold and what he earns on it.

- rules.py: the commission rate per product category (basis points) and the default rate, as ops set them.
- money.py: the two sums every figure goes through: an order's discount and refunds shared over its
  lines pro rata, and a line's commission rounded (once, here).
- statements.py: a courier's statement for a month or a day (Asia/Shanghai): the lines handed over,
  per-category totals, and what his store brought in besides (coupon claims, shake wins).
"""
