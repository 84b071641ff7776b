"""What winning a prize gives the shopper, one class per prize kind (a registry, CTFd-style)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.models import Arrival, CampaignPrize, Coupon, Order, OrderItem, ShakeRound
from app.services.popularity import note_order
from app.services.store.orders import new_pickup_code


@dataclass(frozen=True)
class Awarded:
    """What a prize became in the shopper's hands: a coupon, or an order to pick up."""

    coupon: Coupon | None = None
    order: Order | None = None


class CouponPrize:
    """A coupon straight into the wallet (the round's pool, not the template's claim stock)."""

    kind = "coupon"

    def award(self, session: Session, prize: CampaignPrize, shopper_id: int, shake_round: ShakeRound,
              now: datetime) -> Awarded:
        coupon = Coupon(template=prize.coupon_template, shopper_id=shopper_id, claim_no=None,
                        source="shake", status="unused")
        session.add(coupon)
        session.flush()
        return Awarded(coupon=coupon)


class ItemPrize:
    """An item reserved for pickup at the van that opened the round: an order at zero cost."""

    kind = "item"

    def award(self, session: Session, prize: CampaignPrize, shopper_id: int, shake_round: ShakeRound,
              now: datetime) -> Awarded:
        courier_id = session.get(Arrival, shake_round.arrival_id).courier_id
        price = prize.product.price_fen
        order = Order(shopper_id=shopper_id, courier_id=courier_id, compound_id=shake_round.compound_id,
                      source="shake", status="reserved", subtotal_fen=price, discount_fen=price,
                      total_fen=0, pickup_code=new_pickup_code(),
                      items=[OrderItem(product_id=prize.product_id, quantity=1, unit_price_fen=price)])
        session.add(order)
        session.flush()
        note_order(session, order, +1)  # counted in bought_today as the day's orders count it
        return Awarded(order=order)


PRIZE_KINDS = {kind.kind: kind for kind in (CouponPrize(), ItemPrize())}
