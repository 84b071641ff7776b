"""What a shopper can pay for products today: the price book's deal, the best coupon in their
wallet usable on one unit, an open group deal in their compound; a few queries for any number of products."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.models import Coupon, CouponTemplate, GroupDeal, Product
from app.models.coupon import coupon_template_compounds
from app.models.group import JOINABLE_STATUSES
from app.services.places.residence import home_compound_id, latest_session_compound_id
from app.services.shopping_plan.plan import Offer
from app.services.store.catalog import price_book, priced


def shopping_compound_id(session: Session, shopper_id: int) -> int | None:
    """Where the shopper's prices are: their home compound, else their latest store session's."""
    return home_compound_id(session, shopper_id) or latest_session_compound_id(session, shopper_id)


def usable_coupons(session: Session, shopper_id: int, compound_id: int, now: datetime) -> list[tuple[int, int]]:
    """(discount_fen, threshold_fen) of the shopper's unused coupons valid now in the compound."""
    return list(session.execute(
        select(CouponTemplate.discount_fen, CouponTemplate.threshold_fen)
        .join(Coupon, Coupon.template_id == CouponTemplate.id)
        .join(coupon_template_compounds, coupon_template_compounds.c.coupon_template_id == CouponTemplate.id)
        .where(Coupon.shopper_id == shopper_id, Coupon.status == "unused",
               coupon_template_compounds.c.compound_id == compound_id,
               CouponTemplate.valid_from <= now, CouponTemplate.valid_until > now)).all())


def group_prices(session: Session, compound_id: int, product_ids, now: datetime) -> dict[int, int]:
    """{product_id: lowest group price} of group deals in the compound that still take joins."""
    return dict(session.execute(
        select(GroupDeal.product_id, func.min(GroupDeal.group_price_fen))
        .where(GroupDeal.compound_id == compound_id, GroupDeal.product_id.in_(list(product_ids)),
               GroupDeal.status.in_(JOINABLE_STATUSES), GroupDeal.deadline > now,
               or_(GroupDeal.max_households.is_(None), GroupDeal.joined < GroupDeal.max_households))
        .group_by(GroupDeal.product_id)).all())


def with_best_coupon(price_fen: int, coupons: Sequence[tuple[int, int]]) -> int:
    """One unit's price after the best coupon whose threshold it meets (as an order applies one)."""
    discounts = [min(discount, price_fen) for discount, threshold in coupons if threshold <= price_fen]
    return price_fen - max(discounts, default=0)


def todays_offers(session: Session, shopper_id: int, compound_id: int | None, products: Sequence[Product],
                  now: datetime) -> list[Offer]:
    """Each product at its best price for this shopper today (list price outside any compound)."""
    if compound_id is None:
        return [Offer(p.id, p.name, p.category, p.price_fen, p.price_fen) for p in products]
    book = price_book(session, shopper_id, compound_id, now)
    coupons = usable_coupons(session, shopper_id, compound_id, now)
    groups = group_prices(session, compound_id, [p.id for p in products], now)
    offers = []
    for product in products:
        item = priced(book, product)
        choices = [(product.price_fen, "list")]
        if item.deal_price_fen is not None:
            choices.append((item.deal_price_fen, "deal"))
        choices.append((with_best_coupon(item.price_to_pay_fen, coupons), "coupon"))
        if product.id in groups:
            choices.append((groups[product.id], "group"))
        price, source = min(choices, key=lambda choice: choice[0])  # on a tie the first: list, deal, coupon
        offers.append(Offer(product.id, product.name, product.category, product.price_fen, price, source))
    return offers
