"""Coupon templates and claims that never over-issue.

Stock is taken with one conditional UPDATE (`issued < total`, row count checked); the
per-shopper limit is a unique constraint on (template, shopper, claim_no). Neither counts
first and inserts after, so concurrent claims cannot slip past either limit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Coupon, CouponTemplate, StoreSession
from app.models.coupon import coupon_template_compounds
from app.services.errors import InUse, InvalidRequest, LimitReached, NotAvailable, NotFound, NotInCompound, SoldOut
from app.services.paging import OWN_LIST_LIMIT, Page, page_of
from app.services.places.compounds import get_compounds, replace_compounds
from app.services.places.residence import shopper_compound_ids
from app.services.rows import apply_changes, lock_row

CLAIM_ATTEMPTS = 3


def create_coupon_template(session: Session, *, title, discount_fen, threshold_fen, total,
                           per_shopper_limit, compound_ids, valid_from, valid_until) -> CouponTemplate:
    if valid_until <= valid_from:
        raise InvalidRequest({"valid_until": "must be after valid_from"})
    if threshold_fen and discount_fen >= threshold_fen:
        raise InvalidRequest({"discount_fen": "must be below threshold_fen"})
    template = CouponTemplate(title=title, discount_fen=discount_fen, threshold_fen=threshold_fen,
                              total=total, issued=0, per_shopper_limit=per_shopper_limit,
                              valid_from=valid_from, valid_until=valid_until,
                              compounds=get_compounds(session, compound_ids))
    session.add(template)
    session.flush()
    return template


# What a held coupon is worth: fixed once shoppers hold coupons of the template.
HELD_TERMS = ("discount_fen", "threshold_fen")


def update_coupon_template(session: Session, template: CouponTemplate, **changes) -> dict:
    """Apply the given fields (those of `create_coupon_template`); returns {field: [before, after]}.

    The row is locked first, so a claim in flight counts against the new total or waits."""
    lock_row(session, template)
    merged = {name: changes.get(name, getattr(template, name)) for name in
              ("discount_fen", "threshold_fen", "total", "valid_from", "valid_until")}
    if merged["valid_until"] <= merged["valid_from"]:
        raise InvalidRequest({"valid_until": "must be after valid_from"})
    if merged["threshold_fen"] and merged["discount_fen"] >= merged["threshold_fen"]:
        raise InvalidRequest({"discount_fen": "must be below threshold_fen"})
    if template.issued:
        keep_issued_coupons_whole(template, merged, changes.get("compound_ids"))
    compound_ids = changes.pop("compound_ids", None)
    changed = apply_changes(template, changes)
    if compound_ids is not None:
        replace_compounds(session, template, compound_ids, changed)
    session.flush()
    return changed


def keep_issued_coupons_whole(template: CouponTemplate, merged: dict, compound_ids: list[int] | None) -> None:
    """Coupons shoppers hold keep their value (409 `in_use`), expire no earlier and stay usable
    in every compound they were for; `total` never drops below what is issued."""
    if merged["total"] < template.issued:
        raise InvalidRequest({"total": f"cannot be below the {template.issued} already issued"})
    if any(merged[name] != getattr(template, name) for name in HELD_TERMS):
        raise InUse("Shoppers hold coupons of this template: its discount and threshold stay.", used_by=["coupons"])
    if merged["valid_until"] < template.valid_until:
        raise InvalidRequest({"valid_until": "coupons are issued: their validity can be extended, not cut"})
    dropped = {c.id for c in template.compounds} - set(compound_ids or [c.id for c in template.compounds])
    if dropped:
        raise InvalidRequest({"compound_ids": f"coupons are issued: compounds {sorted(dropped)} must stay"})


def claim_coupon(session: Session, shopper_id: int, template_id: int, now: datetime) -> Coupon:
    """Give the shopper one coupon of this template, or refuse with the reason."""
    template = session.get(CouponTemplate, template_id)
    if template is None:
        raise NotFound("No such coupon.")
    if not template.valid_from <= now < template.valid_until:
        raise NotAvailable("This coupon cannot be claimed now.")
    if not shopper_compound_ids(session, shopper_id) & {c.id for c in template.compounds}:
        raise NotInCompound()
    courier_id = store_courier_id(session, shopper_id, [c.id for c in template.compounds])
    coupon = reserve_claim_slot(session, template, shopper_id, courier_id)
    taken = session.execute(
        update(CouponTemplate)
        .where(CouponTemplate.id == template.id, CouponTemplate.issued < CouponTemplate.total)
        .values(issued=CouponTemplate.issued + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise SoldOut()  # the caller rolls back, and the reserved slot with it
    session.refresh(template, ["issued"])
    return coupon


def reserve_claim_slot(session: Session, template: CouponTemplate, shopper_id: int,
                       courier_id: int | None = None) -> Coupon:
    """Insert the shopper's next claim_no; the unique constraint settles races."""
    for _ in range(CLAIM_ATTEMPTS):
        held = claims_held(session, template.id, shopper_id)
        if held >= template.per_shopper_limit:
            raise LimitReached()
        coupon = Coupon(template=template, shopper_id=shopper_id, claim_no=held + 1, source="claim",
                        courier_id=courier_id)
        try:
            with session.begin_nested():
                session.add(coupon)
        except IntegrityError:
            continue  # the same shopper's concurrent claim took this slot: count again
        return coupon
    raise LimitReached()


def store_courier_id(session: Session, shopper_id: int, compound_ids: list[int]) -> int | None:
    """The courier whose store a claim came through: the shopper's latest store session in a
    compound the coupon is for (None for a shopper who never opened one there)."""
    return session.scalar(
        select(StoreSession.courier_id)
        .where(StoreSession.shopper_id == shopper_id, StoreSession.compound_id.in_(compound_ids))
        .order_by(StoreSession.id.desc()).limit(1)
    )


def claims_held(session: Session, template_id: int, shopper_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Coupon)
        .where(Coupon.template_id == template_id, Coupon.shopper_id == shopper_id,
               Coupon.claim_no.is_not(None))
    )


def compound_coupons(session: Session, compound_id: int, shopper_id: int, now: datetime):
    """Templates claimable in this compound now, with how many this shopper holds."""
    templates = session.scalars(
        select(CouponTemplate)
        .join(coupon_template_compounds)
        .where(coupon_template_compounds.c.compound_id == compound_id)
        .where(CouponTemplate.valid_from <= now, CouponTemplate.valid_until > now)
        .order_by(CouponTemplate.discount_fen.desc(), CouponTemplate.id)
    ).all()
    held = dict(session.execute(
        select(Coupon.template_id, func.count())
        .where(Coupon.shopper_id == shopper_id, Coupon.claim_no.is_not(None),
               Coupon.template_id.in_([t.id for t in templates]))
        .group_by(Coupon.template_id)
    ).all())
    return [(t, held.get(t.id, 0)) for t in templates]


def wallet(session: Session, shopper_id: int, after: int | None = None, limit: int = OWN_LIST_LIMIT) -> Page:
    """The shopper's coupons, newest first, a page at a time."""
    return page_of(session, select(Coupon).where(Coupon.shopper_id == shopper_id), Coupon.id, after, limit)
