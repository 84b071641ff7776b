"""Products and compound deals, and the one price a shopper sees and pays for each, right now."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from app.models import Deal, Product, utcnow
from app.models.catalog import deal_compounds
from app.services.clearance import rules as clearance_rules
from app.services.errors import InvalidRequest
from app.services.places.compounds import get_compounds, replace_compounds
from app.services.places.residence import shopper_compound_ids
from app.services.rows import apply_changes, lock_row


def create_product(session: Session, *, name, category, price_fen, image_url=None,
                   orderable_off_van=False) -> Product:
    product = Product(name=name, category=category, price_fen=price_fen, image_url=image_url,
                      orderable_off_van=orderable_off_van)
    session.add(product)
    session.flush()
    return product


def get_product(session: Session, product_id: int, field: str = "product_id") -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise InvalidRequest({field: f"unknown product id {product_id}"})
    return product


def create_deal(session: Session, *, product_id, compound_ids, deal_price_fen, kind,
                starts_at=None, ends_at=None, quantity=None, group_price_fen=None, group_min_households=None) -> Deal:
    product = get_product(session, product_id)
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidRequest({"ends_at": "must be after starts_at"})
    if deal_price_fen > product.price_fen:
        raise InvalidRequest({"deal_price_fen": "a deal cannot cost more than the list price"})
    clearance_rules.check_deal(kind, quantity, ends_at)
    check_group_terms(product, group_price_fen, group_min_households)
    deal = Deal(product=product, deal_price_fen=deal_price_fen, kind=kind, starts_at=starts_at,
                ends_at=ends_at, quantity=quantity, group_price_fen=group_price_fen,
                group_min_households=group_min_households, compounds=get_compounds(session, compound_ids))
    session.add(deal)
    session.flush()
    return deal


def update_product(session: Session, product: Product, **changes) -> dict:
    """Apply the given fields (those of `create_product`); returns {field: [before, after]}.

    Orders keep the unit price they were placed at, so a new price changes no history; it may
    not drop below a deal of this product (a deal never costs more than the list price)."""
    if "price_fen" in changes:
        dearer = session.scalars(select(Deal.id).where(Deal.product_id == product.id,
                                                       Deal.deal_price_fen > changes["price_fen"])).all()
        if dearer:
            raise InvalidRequest({"price_fen": f"below the price of deals {sorted(dearer)}"})
    changed = apply_changes(product, changes)
    session.flush()
    return changed


def check_group_terms(product: Product, group_price_fen: int | None, group_min_households: int | None) -> None:
    """A deal lets shoppers open group deals with both terms or neither, never above the list price."""
    if (group_price_fen is None) != (group_min_households is None):
        raise InvalidRequest({"group_min_households" if group_min_households is None else "group_price_fen":
                              "give group_price_fen and group_min_households together (or neither)"})
    if group_price_fen is not None and group_price_fen > product.price_fen:
        raise InvalidRequest({"group_price_fen": f"must not exceed the list price ({product.price_fen})"})


def update_deal(session: Session, deal: Deal, **changes) -> dict:
    """Apply the given fields (those of `create_deal`), checked as a new deal's are; the deal is
    held first, so its clearance units sold cannot move under the check."""
    lock_row(session, deal)
    product = get_product(session, changes["product_id"]) if "product_id" in changes else deal.product
    starts_at, ends_at = changes.get("starts_at", deal.starts_at), changes.get("ends_at", deal.ends_at)
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidRequest({"ends_at": "must be after starts_at"})
    if changes.get("deal_price_fen", deal.deal_price_fen) > product.price_fen:
        raise InvalidRequest({"deal_price_fen": "a deal cannot cost more than the list price"})
    quantity = changes.get("quantity", deal.quantity)
    clearance_rules.check_deal(changes.get("kind", deal.kind), quantity, ends_at, deal.sold,
                               product_changed=product.id != deal.product_id)
    check_group_terms(product, changes.get("group_price_fen", deal.group_price_fen),
                      changes.get("group_min_households", deal.group_min_households))
    compound_ids = changes.pop("compound_ids", None)
    changed = apply_changes(deal, changes)
    if "quantity" in changed:  # sold out exactly when nothing is left at the new quantity
        deal.sold_out_at = (deal.sold_out_at or utcnow()) if quantity == deal.sold else None
    if compound_ids is not None:
        replace_compounds(session, deal, compound_ids, changed)
    session.flush()
    return changed


def active_deals(session: Session, compound_id: int, now: datetime, excluding=()) -> list[Deal]:
    """Deals running now in this compound (a clearance with units left), but those `excluding` names."""
    query = (
        select(Deal)
        .join(deal_compounds, deal_compounds.c.deal_id == Deal.id)
        .where(deal_compounds.c.compound_id == compound_id)
        .where(or_(Deal.starts_at.is_(None), Deal.starts_at <= now))
        .where(or_(Deal.ends_at.is_(None), Deal.ends_at > now))
        .where(or_(Deal.quantity.is_(None), Deal.sold < Deal.quantity))
        .order_by(Deal.id)
        .options(lazyload(Deal.compounds))  # a price needs the deal, not the list of its compounds
    )
    if excluding:
        query = query.where(Deal.id.notin_(list(excluding)))
    return list(session.scalars(query))


@dataclass(frozen=True)
class PricedItem:
    """A product as one shopper sees it in one compound: list price, the best deal (and its kind), if any."""

    product: Product
    deal_price_fen: int | None
    kind: str | None = None  # the kind of the deal that gives the price: compound, staff or clearance
    deal: Deal | None = None  # that deal
    # What a store shows beside it (storefront.in_store): left on today's van (None: no load
    # declared), shoppers watching its store now, shoppers here who bought it today.
    on_van: int | None = None
    watching: int = 0
    bought_today: int = 0

    @property
    def discount_pct(self) -> int:
        if self.deal_price_fen is None or self.product.price_fen == 0:
            return 0
        return round(100 * (1 - self.deal_price_fen / self.product.price_fen))

    @property
    def clearance_left(self) -> int | None:
        """Units left at the clearance price (None: not a clearance price, or one without a quantity)."""
        if self.kind != "clearance" or self.deal.quantity is None:
            return None
        return self.deal.quantity - self.deal.sold

    @property
    def clearance_ends_at(self) -> datetime | None:
        return self.deal.ends_at if self.kind == "clearance" else None

    @property
    def price_to_pay_fen(self) -> int:
        return self.product.price_fen if self.deal_price_fen is None else self.deal_price_fen


# On a tie the public kinds win: a price anyone here gets is not a staff exclusive.
KIND_PREFERENCE = {"compound": 0, "clearance": 1, "staff": 2}


def staff_prices_apply(session: Session, shopper_id: int, compound_id: int) -> bool:
    """Staff prices (内购) are the compound's own: for shoppers the residence rule puts in it
    (API.md: their default address or latest store session), as coupon claims and shakes are."""
    return compound_id in shopper_compound_ids(session, shopper_id)


def price_book(session: Session, shopper_id: int, compound_id: int, now: datetime,
               excluding=()) -> dict[int, PricedItem]:
    """The one effective price of every product on a deal, for this shopper in this compound now:
    the lowest deal that applies to them. Every storefront section and every order price from it
    (an order leaves out, by `excluding`, a clearance deal with too few units left for its line)."""
    with_staff = staff_prices_apply(session, shopper_id, compound_id)
    book: dict[int, PricedItem] = {}
    for deal in active_deals(session, compound_id, now, excluding):
        if deal.kind == "staff" and not with_staff:
            continue
        current = book.get(deal.product_id)
        offer = (deal.deal_price_fen, KIND_PREFERENCE[deal.kind])
        if current is None or offer < (current.deal_price_fen, KIND_PREFERENCE[current.kind]):
            book[deal.product_id] = PricedItem(deal.product, deal.deal_price_fen, deal.kind, deal)
    return book


def priced(book: dict[int, PricedItem], product: Product) -> PricedItem:
    """The product at its price in the book: its best deal, else the list price."""
    return book.get(product.id) or PricedItem(product, None)
