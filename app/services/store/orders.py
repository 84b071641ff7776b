"""Orders picked up from the van: placing them, pricing them, and what sells in a compound."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Compound, Coupon, Order, OrderItem, Product, StoreSession
from app.services.errors import CouponNotValidHere, CouponUnusable, InvalidRequest, NotFound
from app.services.store import catalog

BEST_SELLER_WINDOW = timedelta(days=30)


def new_pickup_code() -> str:
    """Six digits the shopper reads out at the van."""
    return f"{secrets.randbelow(1_000_000):06d}"


def place_order(session: Session, store_session: StoreSession, items: list[dict],
                now: datetime, coupon_id: int | None = None) -> Order:
    """Price the items as the storefront shows them (catalog.price_book), apply a coupon, reserve for pickup."""
    quantities: dict[int, int] = {}
    for item in items:
        quantities[item["product_id"]] = quantities.get(item["product_id"], 0) + item["quantity"]
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(quantities)))}
    missing = sorted(set(quantities) - set(products))
    if missing:
        raise InvalidRequest({"items": f"unknown product ids: {missing}"})
    book = catalog.price_book(session, store_session.shopper_id, store_session.compound_id, now)
    lines = [OrderItem(product=products[pid], quantity=qty,
                       unit_price_fen=catalog.priced(book, products[pid]).price_to_pay_fen)
             for pid, qty in quantities.items()]
    subtotal = sum(line.unit_price_fen * line.quantity for line in lines)
    discount = (redeem_coupon(session, coupon_id, store_session.shopper_id, store_session.compound_id,
                              subtotal, now) if coupon_id else 0)
    order = Order(shopper_id=store_session.shopper_id, courier_id=store_session.courier_id,
                  compound_id=store_session.compound_id, store_session_id=store_session.id,
                  coupon_id=coupon_id, source="store", status="reserved", subtotal_fen=subtotal,
                  discount_fen=discount, total_fen=subtotal - discount,
                  pickup_code=new_pickup_code(), items=lines)
    session.add(order)
    session.flush()
    return order


def redeem_coupon(session: Session, coupon_id: int, shopper_id: int, compound_id: int, subtotal: int,
                  now: datetime) -> int:
    """Mark the shopper's coupon used (one conditional UPDATE) and return its discount."""
    coupon = session.get(Coupon, coupon_id)
    if coupon is None or coupon.shopper_id != shopper_id:
        raise InvalidRequest({"coupon_id": "not one of your coupons"})
    template = coupon.template
    if not template.valid_from <= now < template.valid_until:
        raise CouponUnusable("This coupon is not valid now.")
    if compound_id not in {c.id for c in template.compounds}:
        raise CouponNotValidHere()
    if subtotal < template.threshold_fen:
        raise CouponUnusable(f"This coupon needs an order of at least {template.threshold_fen} fen.")
    used = session.execute(
        update(Coupon).where(Coupon.id == coupon_id, Coupon.status == "unused")
        .values(status="used", used_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise CouponUnusable("This coupon has been used already.")
    return min(template.discount_fen, subtotal)


def shopper_orders(session: Session, shopper_id: int) -> list[Order]:
    return list(session.scalars(
        select(Order).where(Order.shopper_id == shopper_id).order_by(Order.id.desc()).limit(100)
    ))


def get_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("No such order.")
    return order


def best_sellers(session: Session, compound_id: int, city: str, now: datetime, limit: int) -> list[Product]:
    """The compound's best-sellers of the last 30 days; the city's when it has none yet."""
    since = now - BEST_SELLER_WINDOW
    for scope in (Order.compound_id == compound_id,
                  Order.compound_id.in_(select(Compound.id).where(Compound.city == city))):
        ranked = session.execute(
            select(Product, func.sum(OrderItem.quantity).label("sold"))
            .join(OrderItem, OrderItem.product_id == Product.id)
            .join(Order, Order.id == OrderItem.order_id)
            .where(scope, Order.created_at >= since, Order.status != "cancelled")
            .group_by(Product.id).order_by(func.sum(OrderItem.quantity).desc(), Product.id)
            .limit(limit)
        ).all()
        if ranked:
            return [product for product, _ in ranked]
    return []
