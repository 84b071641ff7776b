"""Scan-to-store: open a store session (courier x compound) and build its storefront."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Compound, Courier, GroupDeal, Product, StoreSession
from app.models.group import JOINABLE_STATUSES
from app.services.campaigns import rounds
from app.services.couriers.registry import courier_by_code
from app.services.errors import CompoundRequired, InvalidRequest, NotFound
from app.services.places import live
from app.services.places.residence import home_compound_id
from app.services.portrait.personal import recommended_ids
from app.services.popularity import PopularityCounters
from app.services.store import catalog, orders
from app.services.store.coupons import compound_coupons
from app.services.van.loads import left_on_van

SECTION_SIZE = 10


def open_store_session(session: Session, shopper_id: int, courier_code: str,
                       compound_id: int | None = None) -> StoreSession:
    """Enter a courier's store, in the explicit compound, else the shopper's home compound.

    The courier delivers only on their route, so a compound off it (or none at all) means
    the shopper must choose: CompoundRequired lists the route.
    """
    courier = courier_by_code(session, courier_code)
    compound = pick_compound(session, courier, shopper_id, compound_id)
    store_session = StoreSession(shopper_id=shopper_id, courier=courier, compound=compound)
    session.add(store_session)
    session.flush()
    return store_session


def pick_compound(session: Session, courier: Courier, shopper_id: int, compound_id: int | None) -> Compound:
    if compound_id is not None:
        compound = session.get(Compound, compound_id)
        if compound is None:
            raise InvalidRequest({"compound_id": f"unknown compound id {compound_id}"})
        if not courier.serves(compound.id):
            raise CompoundRequired(f"{courier.name} does not deliver to {compound.name}; choose a compound "
                                   "on the route.", candidates=route_candidates(courier))
        return compound
    home_id = home_compound_id(session, shopper_id)
    if home_id is not None and courier.serves(home_id):
        return session.get(Compound, home_id)
    raise CompoundRequired(candidates=route_candidates(courier))


def route_candidates(courier: Courier) -> list[dict]:
    return [{"id": c.id, "name": c.name} for c in courier.compounds]


def get_store_session(session: Session, store_session_id: int, shopper_id: int) -> StoreSession:
    """The shopper's own store session; someone else's is as good as missing."""
    store_session = session.get(StoreSession, store_session_id)
    if store_session is None or store_session.shopper_id != shopper_id:
        raise NotFound("No such store session.")
    return store_session


@dataclass
class Storefront:
    store_session: StoreSession
    coupons: list
    hot_items: list[catalog.PricedItem]
    staff_exclusives: list[catalog.PricedItem]
    discount_ranking: list[catalog.PricedItem]
    live: live.LiveCounts
    shake: dict | None  # the round open in the compound now: {"round_id", "closes_at"}
    recommended: list[catalog.PricedItem] = field(default_factory=list)  # ranked for this shopper
    group_deals: list[GroupDeal] = field(default_factory=list)  # joinable now (issue 16)
    clearance: list[catalog.PricedItem] = field(default_factory=list)


def build_storefront(session: Session, store_session: StoreSession, now: datetime,
                     counters: PopularityCounters) -> Storefront:
    """What the compound wants, not what the shopper searched for (货找人); every section at
    the price this shopper pays (catalog.price_book, as orders are priced), each item with its
    live popularity from `counters`."""
    compound_id = store_session.compound_id
    book = catalog.price_book(session, store_session.shopper_id, compound_id, now)
    public = [item for item in book.values() if item.kind != "staff"]
    hot = [catalog.priced(book, p)
           for p in orders.best_sellers(session, compound_id, store_session.compound.city, now, SECTION_SIZE)]
    if not hot:  # a compound with no orders yet: its deals are what it wants
        hot = public[:SECTION_SIZE]
    exclusives = [item for item in book.values() if item.kind == "staff"]
    ranking = sorted(public, key=lambda item: (-item.discount_pct, item.price_to_pay_fen))
    counts = live.live_counts(session, compound_id, now)
    figures = item_figures(session, store_session, now, counters)
    return Storefront(
        store_session=store_session,
        coupons=compound_coupons(session, compound_id, store_session.shopper_id, now),
        hot_items=in_store(hot, figures),
        staff_exclusives=in_store(sorted(exclusives, key=lambda i: -i.discount_pct)[:SECTION_SIZE], figures),
        discount_ranking=in_store(ranking[:SECTION_SIZE], figures),
        live=counts,
        shake=open_shake(session, compound_id, now),
        recommended=in_store(recommended(session, store_session, book, figures, now, hot), figures),
        group_deals=joinable_group_deals(session, compound_id, now),
        clearance=in_store(clearance_section(book), figures),
    )


def recommended(session: Session, store_session: StoreSession, book: dict, figures: ItemFigures,
                now: datetime, hot: list[catalog.PricedItem]) -> list[catalog.PricedItem]:
    """Recommended for you (services/portrait): ranked for this shopper, at the price they pay."""
    ids = recommended_ids(session, store_session.shopper_id, store_session.compound_id, now,
                          figures.left_on_van, SECTION_SIZE, [item.product.id for item in hot])
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))} if ids else {}
    return [catalog.priced(book, products[pid]) for pid in ids if pid in products]


def clearance_section(book: dict[int, catalog.PricedItem]) -> list[catalog.PricedItem]:
    """Clearance prices here now (the book has dropped sold-out and ended ones), ending soonest first."""
    items = [item for item in book.values() if item.kind == "clearance"]
    ending = sorted(items, key=lambda item: (item.clearance_ends_at is None, item.clearance_ends_at or 0,
                                             -item.discount_pct, item.product.id))
    return ending[:SECTION_SIZE]


@dataclass(frozen=True)
class ItemFigures:
    """What a store shows beside each item, read once for all of them (one query, two counter reads)."""

    left_on_van: dict[int, int] | None  # None: the van has no load today
    watching: dict[int, int]
    bought_today: dict[int, int]


def item_figures(session: Session, store_session: StoreSession, now: datetime,
                 counters: PopularityCounters) -> ItemFigures:
    compound_id = store_session.compound_id
    return ItemFigures(left_on_van(session, store_session.courier_id, now),
                       counters.watching(session, compound_id, now), counters.bought_today(session, compound_id, now))


def in_store(items: list[catalog.PricedItem], figures: ItemFigures) -> list[catalog.PricedItem]:
    """The items with their figures: left on the van (0 when it does not carry one), shoppers
    viewing it now, shoppers here who bought it today."""
    left = figures.left_on_van
    return [replace(item, on_van=None if left is None else left.get(item.product.id, 0),
                    watching=figures.watching.get(item.product.id, 0),
                    bought_today=figures.bought_today.get(item.product.id, 0))
            for item in items]


def open_shake(session: Session, compound_id: int, now: datetime) -> dict | None:
    """The shake round a shopper here can join now, or None."""
    shake_round = rounds.open_round_in(session, compound_id, now)
    if shake_round is None:
        return None
    return {"round_id": shake_round.id, "closes_at": shake_round.closes_at}


def joinable_group_deals(session: Session, compound_id: int, now: datetime) -> list[GroupDeal]:
    """The compound's group deals a shopper may still join (app/services/groups), the soonest deadline first."""
    return list(session.scalars(
        select(GroupDeal).where(GroupDeal.compound_id == compound_id, GroupDeal.status.in_(JOINABLE_STATUSES),
                                GroupDeal.deadline > now)
        .order_by(GroupDeal.deadline, GroupDeal.id).limit(SECTION_SIZE)))
