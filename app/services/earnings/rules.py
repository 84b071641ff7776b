"""Commission rates per product category, set by ops; a default rate for categories without a rule."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import DEFAULT_CATEGORY, CommissionRule, Product

# The default rate until ops set one: no rule, no commission.
UNSET_DEFAULT_BP = 0


@dataclass(frozen=True)
class Rates:
    """The rates in force: one per category with a rule, the default for the rest."""

    default_bp: int
    by_category: dict[str, int]

    def of(self, category: str) -> int:
        return self.by_category.get(category, self.default_bp)


@dataclass(frozen=True)
class RateChange:
    """A rule as it was and as it is (None: no rule); `rule_id` names the row, kept or removed."""

    category: str | None
    before_bp: int | None
    after_bp: int | None
    rule_id: int | None

    @property
    def changed(self) -> bool:
        return self.before_bp != self.after_bp


def current_rates(session: Session) -> Rates:
    """Every rule, read in one query."""
    rows = dict(session.execute(select(CommissionRule.category, CommissionRule.rate_bp)).all())
    default = rows.pop(DEFAULT_CATEGORY, UNSET_DEFAULT_BP)
    return Rates(default_bp=default, by_category=rows)


def category_rules(session: Session) -> list[CommissionRule]:
    """The rules of named categories, by category (the default is in `current_rates`)."""
    return list(session.scalars(select(CommissionRule).where(CommissionRule.category != DEFAULT_CATEGORY)
                                .order_by(CommissionRule.category)))


def known_categories(session: Session, rules: list[CommissionRule]) -> list[str]:
    """The categories products carry today, and those with a rule, sorted: what ops may set a rate for."""
    products = session.scalars(select(Product.category).distinct())
    return sorted(set(products) | {rule.category for rule in rules})


def set_rate(session: Session, category: str | None, rate_bp: int | None) -> RateChange:
    """Set the category's rate (None category: the default rate); rate None removes the rule, so the
    category falls back to the default (the default to 0). The same rate again changes nothing."""
    key = DEFAULT_CATEGORY if category is None else category
    rule = session.scalar(select(CommissionRule).where(CommissionRule.category == key))
    before = rule.rate_bp if rule is not None else None
    if rate_bp is None:
        if rule is not None:
            session.delete(rule)
            session.flush()
        return RateChange(category, before, None, rule.id if rule is not None else None)
    if rule is None:
        rule, inserted = insert_rule(session, key, rate_bp)
        before = None if inserted else rule.rate_bp
    rule.rate_bp = rate_bp
    session.flush()
    return RateChange(category, before, rate_bp, rule.id)


def insert_rule(session: Session, category: str, rate_bp: int) -> tuple[CommissionRule, bool]:
    """(a new rule, True); when another staff member's insert of the category won the race, (theirs, False)."""
    rule = CommissionRule(category=category, rate_bp=rate_bp)
    try:
        with session.begin_nested():
            session.add(rule)
    except IntegrityError:
        return session.scalars(select(CommissionRule).where(CommissionRule.category == category)).one(), False
    return rule, True


@dataclass(frozen=True)
class CategoryRate:
    category: str
    rate_bp: int
    has_rule: bool


@dataclass(frozen=True)
class RatesOverview:
    """What ops see: the default, the rules, and every product category with the rate in force."""

    default_rate_bp: int
    rules: list[CommissionRule]
    categories: list[CategoryRate]


def overview(session: Session) -> RatesOverview:
    rates, rules = current_rates(session), category_rules(session)
    categories = [CategoryRate(category, rates.of(category), category in rates.by_category)
                  for category in known_categories(session, rules)]
    return RatesOverview(rates.default_bp, rules, categories)
