"""The year's promotions and a shopping plan: the calendar (marketing edits it, shoppers read it)
and a shopper's wishes, each with its plan (when to buy)."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.actions import shopping_plan as plan_actions
from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.models import utcnow
from app.schemas import shopping_plan as s
from app.schemas.console_pages import patch_of
from app.schemas.messages import OptionalIdempotencyHeader
from app.services.shopping_plan import calendar, wishes

blp = Blueprint("shopping_plan", __name__, url_prefix="/api/v1",
                description="The year's promotions and a shopping plan")


@blp.get("/promotions")
@auth_required("shopper")
@blp.response(200, s.PromotionsOut)
def upcoming_promotions():
    """The calendar's events running or to come (Asia/Shanghai days), with the discount expected by category."""
    return {"events": calendar.events(db.session, ending_from=wishes.local_today(utcnow()))}


@blp.get("/console/promotions")
@auth_required("staff", "marketing")
@blp.response(200, s.PromotionsOut)
def all_promotions():
    """Every event of the calendar, past ones too, in date order."""
    return {"events": calendar.events(db.session)}


@blp.post("/console/promotions")
@auth_required("staff", "marketing")
@blp.arguments(s.PromotionIn)
@blp.response(201, s.PromotionEnvelope)
def create_promotion(body):
    """Add an event to the calendar (audited as promotion.create)."""
    return {"event": plan_actions.create_event(principal().subject_id, body)}


@blp.patch("/console/promotions/<int:event_id>")
@auth_required("staff", "marketing")
@blp.arguments(patch_of(s.PromotionPatchIn))
@blp.response(200, s.PromotionEnvelope)
@blp.alt_response(404, schema=ErrorBody, description="not_found")
def update_promotion(body, event_id):
    """Change an event's name, dates or expected discounts (audited as promotion.update); plans follow
    at the planner's next round."""
    return {"event": plan_actions.update_event(principal().subject_id, event_id, body)}


@blp.delete("/console/promotions/<int:event_id>")
@auth_required("staff", "marketing")
@blp.response(204)
@blp.alt_response(404, schema=ErrorBody, description="not_found")
def delete_promotion(event_id):
    """Remove an event (audited as promotion.delete); plans that waited for it are made again."""
    plan_actions.delete_event(principal().subject_id, event_id)


@blp.post("/me/wishes")
@auth_required("shopper")
@blp.arguments(OptionalIdempotencyHeader, location="headers")
@blp.arguments(s.WishIn)
@blp.response(201, s.WishEnvelope)
@blp.alt_response(409, schema=ErrorBody, description="limit_reached: 50 open wishes already")
def add_wish(headers, body):
    """Wish for a product or any item of a category by a date, within an optional budget; answered
    with its plan: buy today, or wait for an event, with the expected saving. With an
    Idempotency-Key, a retried request adds one wish."""
    answer = plan_actions.add_wish(principal().subject_id, body, headers.get("idempotency_key"))
    return jsonify(answer.body), answer.status  # already serialised (a replay may be an error body)


@blp.get("/me/wishes")
@auth_required("shopper")
@blp.response(200, s.WishesOut)
def list_wishes():
    """The shopper's wishes, need-by date first, each planned with today's prices and the calendar."""
    return {"wishes": wishes.shopper_wishes(db.session, principal().subject_id, utcnow())}


@blp.delete("/me/wishes/<int:wish_id>")
@auth_required("shopper")
@blp.response(204)
@blp.alt_response(404, schema=ErrorBody, description="not_found: no such wish of yours")
def delete_wish(wish_id):
    """Forget a wish (extension)."""
    plan_actions.remove_wish(principal().subject_id, wish_id)
