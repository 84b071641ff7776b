"""Orders picked up from the van: placing them, pricing them, and what sells in a compound."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Compound, Coupon, Order, OrderItem, Product, StoreSession
from app.services.errors import (CouponNotValidHere, CouponUnusable, InvalidRequest, NotCancellable, NotFound,
                                 TooManyOpenOrders)
from app.services.places.addresses import lock_shopper
from app.services.paging import OWN_LIST_LIMIT, Page, page_of
from app.services.popularity import note_order
from app.services.store import catalog, order_states
from app.services.store.order_states import WAITING_STATUSES
from app.services.van import stock as van_stock

BEST_SELLER_WINDOW = timedelta(days=30)
MAX_OPEN_ORDERS = 5
# Orders that do not count as sales: never paid and closed, or paid back.
NOT_SOLD = ("cancelled", "refunding", "refunded")


def new_pickup_code() -> str:
    """Six digits the shopper reads out at the van."""
    return f"{secrets.randbelow(1_000_000):06d}"


def place_order(session: Session, store_session: StoreSession, items: list[dict],
                now: datetime, coupon_id: int | None = None, max_open: int = MAX_OPEN_ORDERS,
                pay_deadline: datetime | None = None) -> Order:
    """Price the items as the storefront shows them (catalog.price_book), apply a coupon, reserve
    for pickup; a shopper holds at most `max_open` store orders waiting for pickup. With a
    `pay_deadline` the order is paid by WeChat Pay before it (pending_payment), else at the van."""
    ensure_room_for_open_order(session, store_session.shopper_id, max_open)
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
                  coupon_id=coupon_id, source="store", subtotal_fen=subtotal,
                  discount_fen=discount, total_fen=subtotal - discount,
                  pickup_code=new_pickup_code(), items=lines, pay_deadline=pay_deadline,
                  status="pending_payment" if pay_deadline else "reserved",
                  pay_method="wechat" if pay_deadline else "at_van")
    session.add(order)
    session.flush()
    van_stock.reserve_order(session, order, now)
    note_order(session, order, +1)
    return order


def ensure_room_for_open_order(session: Session, shopper_id: int, max_open: int) -> None:
    """Refuse an order past the open-order cap; the shopper's row is held, so concurrent orders count one at a time."""
    lock_shopper(session, shopper_id)
    open_orders = session.scalar(
        select(func.count()).select_from(Order)
        .where(Order.shopper_id == shopper_id, Order.source == "store", Order.status.in_(WAITING_STATUSES))
    )
    if open_orders >= max_open:
        raise TooManyOpenOrders()


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


def shopper_orders(session: Session, shopper_id: int, after: int | None = None, limit: int = OWN_LIST_LIMIT) -> Page:
    """The shopper's orders, newest first, a page at a time."""
    return page_of(session, select(Order).where(Order.shopper_id == shopper_id), Order.id, after, limit)


def cancel_order(session: Session, order_id: int, now: datetime | None = None) -> tuple[Order, bool]:
    """Cancel an unpaid order not yet handed over, giving its goods back; (the order, whether this
    call cancelled it: False for one cancelled before). One conditional UPDATE, so a racing
    handover, payment or cancel cannot both win. A paid order is refunded instead (payments)."""
    order = get_order(session, order_id)
    cancelled = order_states.move(session, order, "cancel", cancelled_at=now or datetime.now(timezone.utc))
    if not cancelled and order.status != "cancelled":
        raise NotCancellable()
    if cancelled:
        give_goods_back(session, order)
    return order, cancelled


def give_goods_back(session: Session, order: Order) -> None:
    """Goods given back: everything a closed order held returns (its coupon; the van's stock)."""
    if order.coupon_id is not None:
        give_coupon_back(session, order)
    van_stock.give_back(session, order)


def give_coupon_back(session: Session, order: Order) -> None:
    """The order's coupon is unused again; the order lets go of it (orders.coupon_id is unique)."""
    session.execute(
        update(Coupon).where(Coupon.id == order.coupon_id, Coupon.status == "used")
        .values(status="unused", used_at=None).execution_options(synchronize_session=False)
    )
    order.coupon_id = None
    session.flush()


def find_orders(session: Session, text: str, limit: int = 20) -> list[Order]:
    """Ops looking for an order: the one with this id, and the newest with this pickup code."""
    text = text.strip()
    if not text.isdigit() or len(text) > 18:
        return []
    found = session.scalars(
        select(Order).where((Order.id == int(text)) | (Order.pickup_code == text))
        .order_by(Order.id.desc()).limit(limit)
    ).all()
    return sorted(found, key=lambda order: order.id != int(text))  # the id match first


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
            .where(scope, Order.created_at >= since, Order.status.notin_(NOT_SOLD))
            .group_by(Product.id).order_by(func.sum(OrderItem.quantity).desc(), Product.id)
            .limit(limit)
        ).all()
        if ranked:
            return [product for product, _ in ranked]
    return []
