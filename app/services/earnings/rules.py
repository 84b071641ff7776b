"""Commission rates per product category, set by ops; a default rate for categories without a rule.

`commission_rules` holds the rates in force now; `commission_rate_changes` every change with the
moment it applies from, so a statement pays each line at the rate in force at its handover.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import DEFAULT_CATEGORY, CommissionRateChange, CommissionRule, Product, utcnow
from app.services.errors import InvalidRequest

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


@dataclass(frozen=True)
class RateHistory:
    """Every change, oldest first per category: the rate in force at any moment."""

    changes: dict[str, tuple[list[datetime], list[int | None]]]  # category -> (effective_from, rate_bp)

    def of(self, category: str, at: datetime) -> int:
        """The category's rate at `at`: its own rule then, else the default then (0 before any)."""
        own = self.rule_at(category, at)
        if own is not None:
            return own
        default = self.rule_at(DEFAULT_CATEGORY, at)
        return UNSET_DEFAULT_BP if default is None else default

    def rule_at(self, category: str, at: datetime) -> int | None:
        times, rates = self.changes.get(category, ((), ()))
        index = bisect_right(times, at)
        return rates[index - 1] if index else None


def rate_history(session: Session) -> RateHistory:
    """Every change, read in one query (a few rows a category)."""
    changes: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for category, effective_from, rate_bp in session.execute(
            select(CommissionRateChange.category, CommissionRateChange.effective_from, CommissionRateChange.rate_bp)
            .order_by(CommissionRateChange.effective_from, CommissionRateChange.id)):
        changes[category][0].append(effective_from)
        changes[category][1].append(rate_bp)
    return RateHistory(dict(changes))


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


def set_rate(session: Session, category: str | None, rate_bp: int | None,
             effective_from: datetime | None = None) -> RateChange:
    """Set the category's rate (None category: the default rate) from `effective_from` (default:
    now; never in the future, nor before the category's last change); rate None removes the rule, so
    the category falls back to the default (the default to 0). The same rate again changes nothing."""
    key = DEFAULT_CATEGORY if category is None else category
    now = utcnow()
    effective_from = effective_from or now
    if effective_from > now:
        raise InvalidRequest({"effective_from": "a rate applies from now or from a moment past, not ahead"})
    last = session.scalar(select(func.max(CommissionRateChange.effective_from))
                          .where(CommissionRateChange.category == key))
    if last is not None and effective_from < last:
        raise InvalidRequest({"effective_from": f"must not be before this rate's last change ({last.isoformat()})"})
    change = set_rule(session, key, category, rate_bp)
    if change.changed:
        session.add(CommissionRateChange(category=key, rate_bp=rate_bp, effective_from=effective_from))
        session.flush()
    return change


def set_rule(session: Session, key: str, category: str | None, rate_bp: int | None) -> RateChange:
    """The rule in force now, set (or removed: rate None)."""
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
