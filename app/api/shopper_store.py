"""The shopper's way into a store: compounds, addresses, store sessions, storefront, coupons."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from app.actions.residence import residence_changed
from app.api.auth import auth_required, principal
from app.extensions import db
from app.models import utcnow
from app.schemas import shopper as s
from app.schemas.paging import OwnListArgs, own_list
from app.services.places import addresses, compounds
from app.services.store import catalogue, coupons, storefront
from app.wiring import popularity

blp = Blueprint("shopper_store", __name__, url_prefix="/api/v1", description="Scan to store")


@blp.get("/compounds")
@auth_required("shopper")
@blp.arguments(s.CompoundQuery, location="query")
@blp.response(200, s.CompoundHits)
def search_compounds(query):
    """Compounds by name or alias, nearest first when lat/lng are given."""
    hits = compounds.search_compounds(db.session, query["q"], query["lat"], query["lng"], query["limit"])
    return {"compounds": [{"id": c.id, "name": c.name, "city": c.city, "district": c.district,
                           "distance_m": distance} for c, distance in hits]}


@blp.post("/me/addresses")
@auth_required("shopper")
@blp.arguments(s.AddressIn)
@blp.response(201, s.AddressEnvelope)
def add_address(body):
    """Save an address; its compound is the given one or matched from the text."""
    address = addresses.add_address(db.session, principal().subject_id, **body,
                                    max_addresses=current_app.config["SHOPPER_ADDRESSES_MAX"])
    db.session.commit()
    residence_changed(principal().subject_id)
    return {"address": address}


@blp.get("/me/addresses")
@auth_required("shopper")
@blp.response(200, s.AddressList)
def list_addresses():
    """The shopper's addresses, default first."""
    return {"addresses": addresses.list_addresses(db.session, principal().subject_id)}


@blp.post("/store-sessions")
@auth_required("shopper")
@blp.arguments(s.StoreSessionIn)
@blp.response(201, s.StoreSessionEnvelope)
def open_store_session(body):
    """Enter a courier's store (after scanning their code) for a compound."""
    store_session = storefront.open_store_session(db.session, principal().subject_id,
                                             body["courier_code"], body["compound_id"])
    db.session.commit()
    residence_changed(principal().subject_id)
    return {"session": store_session}


@blp.get("/store-sessions/<int:session_id>/catalogue")
@auth_required("shopper")
@blp.arguments(s.CatalogueArgs, location="query")
@blp.response(200, s.CatalogueOut)
def browse_catalogue(query, session_id):
    """Every product of the store, by category (`category`) or name (`q`), a page at a time, at
    the price this shopper pays; `categories` lists them all for the category bar."""
    store_session = storefront.get_store_session(db.session, session_id, principal().subject_id)
    page = catalogue.browse(db.session, store_session, utcnow(), popularity(), category=query["category"],
                            text=query["q"], after=query["cursor"], limit=query["limit"])
    return {"categories": page.categories, "items": page.items, "next_cursor": page.next_after}


@blp.get("/store-sessions/<int:session_id>/storefront")
@auth_required("shopper")
@blp.response(200, s.StorefrontOut)
def view_storefront(session_id):
    """The store as this compound sees it now."""
    shopper_id = principal().subject_id
    front = storefront.build_storefront(db.session, storefront.get_store_session(db.session, session_id, shopper_id),
                                        utcnow(), popularity())
    return {
        "courier": front.store_session.courier,
        "compound": front.store_session.compound,
        "coupons": [{"id": t.id, "title": t.title, "discount_fen": t.discount_fen,
                     "threshold_fen": t.threshold_fen, "remaining": t.remaining,
                     "claimed": held > 0, "claimed_count": held,
                     "per_shopper_limit": t.per_shopper_limit, "valid_until": t.valid_until}
                    for t, held in front.coupons],
        "hot_items": front.hot_items,
        "staff_exclusives": front.staff_exclusives,
        "discount_ranking": front.discount_ranking,
        "recommended": front.recommended,
        "live": front.live,
        "shake": front.shake,
        "group_deals": front.group_deals,
    }


@blp.post("/coupons/<int:template_id>/claims")
@auth_required("shopper")
@blp.response(201, s.CouponEnvelope)
def claim_coupon(template_id):
    """Claim one coupon of a template offered to the shopper's compound."""
    coupon = coupons.claim_coupon(db.session, principal().subject_id, template_id, utcnow())
    db.session.commit()
    return {"coupon": coupon}


@blp.get("/me/coupons")
@auth_required("shopper")
@blp.arguments(OwnListArgs, location="query")
@blp.response(200, s.CouponList)
def my_coupons(query):
    """The shopper's wallet, newest first, a page at a time."""
    page = coupons.wallet(db.session, principal().subject_id, query["cursor"], query["limit"])
    return own_list("coupons", page.items, page.next_after)
