"""The loading list (装车单) of a courier's day: the suggestion, or the list ops reviewed; the
ops team's safety margin; and confirming a list as that day's van load."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import PrestockPlanItem, PrestockSettings, Product, VanLoadItem
from app.services.errors import InvalidRequest
from app.services.prestock.demand import Margin, split_by_compound, suggest_load
from app.services.prestock.inputs import demand_inputs
from app.services.van import loads

DEFAULT_MARGIN = Margin(percent=10, minimum=0)  # chosen on bench.prestock's validation weeks
SETTINGS_ID = 1


@dataclass(frozen=True)
class PlanLine:
    product_id: int
    name: str
    quantity: int
    by_compound: dict[int, int]
    expected: float | None  # the forecast behind a suggested line; None on a reviewed one


@dataclass(frozen=True)
class LoadingList:
    date: date
    items: list[PlanLine]
    reviewed: bool  # ops saved it (or the courier confirmed it): no longer recomputed


def margin(session: Session) -> Margin:
    settings = session.get(PrestockSettings, SETTINGS_ID)
    return Margin(settings.margin_percent, settings.margin_minimum) if settings else DEFAULT_MARGIN


def set_margin(session: Session, wanted: Margin, now: datetime) -> Margin:
    """Store the safety margin every suggestion adds (one row, written by upsert)."""
    values = dict(margin_percent=wanted.percent, margin_minimum=wanted.minimum, updated_at=now)
    changed = session.execute(update(PrestockSettings).where(PrestockSettings.id == SETTINGS_ID)
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    if not changed:
        try:
            with session.begin_nested():
                session.execute(insert(PrestockSettings).values(id=SETTINGS_ID, **values))
        except IntegrityError:  # a concurrent first write: ours is the later one
            session.execute(update(PrestockSettings).where(PrestockSettings.id == SETTINGS_ID).values(**values))
    session.expire_all()
    return wanted


def suggested(session: Session, courier_id: int, day: date) -> list[PlanLine]:
    lines = suggest_load(demand_inputs(session, courier_id, day, margin(session)))
    names = product_names(session, [line.product_id for line in lines])
    return [PlanLine(line.product_id, names[line.product_id], line.quantity, line.by_compound, line.expected)
            for line in lines]


def reviewed_items(session: Session, courier_id: int, day: date) -> list[PrestockPlanItem]:
    return list(session.scalars(select(PrestockPlanItem)
                                .where(PrestockPlanItem.courier_id == courier_id, PrestockPlanItem.day == day)
                                .order_by(PrestockPlanItem.product_id).execution_options(populate_existing=True)))


def loading_list(session: Session, courier_id: int, day: date) -> LoadingList:
    """What the courier should load that day: the list ops reviewed, else the suggestion."""
    saved = reviewed_items(session, courier_id, day)
    if not saved:
        return LoadingList(day, suggested(session, courier_id, day), reviewed=False)
    return LoadingList(day, [PlanLine(item.product_id, item.product.name, item.quantity,
                                      {int(c): q for c, q in item.by_compound.items()}, None)
                             for item in saved if item.quantity > 0], reviewed=True)


def product_names(session: Session, product_ids) -> dict[int, str]:
    return dict(session.execute(select(Product.id, Product.name).where(Product.id.in_(list(product_ids)))).all())


def save_review(session: Session, courier_id: int, day: date, items: list[dict], now: datetime) -> LoadingList:
    """Store the list ops (or the confirming courier) settled on: each product's quantity, split
    over compounds as the current list splits it; a product left out goes to 0."""
    wanted = loads.wanted_quantities(session, items)
    split = {line.product_id: line.by_compound for line in loading_list(session, courier_id, day).items}
    existing = {item.product_id for item in reviewed_items(session, courier_id, day)}
    for product_id in sorted(wanted.keys() | existing):
        quantity = wanted.get(product_id, 0)
        by_compound = split_by_compound(quantity, {}, split.get(product_id, {}))
        values = dict(quantity=quantity, by_compound={str(c): q for c, q in by_compound.items()}, saved_at=now)
        if product_id not in existing and add_line(session, courier_id, day, product_id, values):
            continue
        session.execute(update(PrestockPlanItem).where(
            PrestockPlanItem.courier_id == courier_id, PrestockPlanItem.day == day,
            PrestockPlanItem.product_id == product_id).values(**values).execution_options(synchronize_session=False))
    return loading_list(session, courier_id, day)


def add_line(session: Session, courier_id: int, day: date, product_id: int, values: dict) -> bool:
    """A new reviewed line; False when a concurrent save wrote it first (then it is updated)."""
    try:
        with session.begin_nested():
            session.execute(insert(PrestockPlanItem).values(courier_id=courier_id, day=day, product_id=product_id,
                                                            **values))
    except IntegrityError:
        return False
    return True


def confirm(session: Session, courier_id: int, day: date, items: list[dict] | None,
            now: datetime) -> list[VanLoadItem]:
    """Make the loading list (or the courier's edited `items`) that day's van load, and keep it as
    the day's list, so confirming again gives the same load. Never below what is reserved (409)."""
    if day < loads.van_day(now):
        raise InvalidRequest({"date": "a day that is over cannot be loaded"})
    if items is None:
        items = [{"product_id": line.product_id, "quantity": line.quantity}
                 for line in loading_list(session, courier_id, day).items]
    save_review(session, courier_id, day, items, now)
    return loads.replace_day_load(session, courier_id, day, items)
