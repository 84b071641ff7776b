"""REST blueprints per audience, registered on the app's flask-smorest Api."""
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from app.api import (
    console,
    console_accounts,
    console_clearance,
    console_campaigns,
    console_edits,
    console_lists,
    console_orders,
    console_portraits,
    courier,
    courier_arrivals,
    courier_pickups,
    earnings,
    group_deals,
    health,
    payments,
    prestock,
    readiness,
    shake_draws,
    shopper_account,
    shopper_orders,
    shopper_shakes,
    shopper_store,
    shopper_subscriptions,
    shopping_plan,
    van_load,
)
from app.schemas.base import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:...>` in our URLs: an id beyond any BIGINT names no row, so it becomes 0 (no row
    has it) and the view answers its ordinary 404 instead of the driver overflowing."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


def register_api(api: Api) -> None:
    for module in (shopper_account, shopper_store, shopper_orders, shopper_shakes, shopper_subscriptions,
                   courier, courier_arrivals, courier_pickups, console, console_campaigns,
                   console_lists, console_edits, console_orders, console_portraits, console_accounts,
                   console_clearance, payments, health, readiness, van_load, earnings, prestock, group_deals,
                   shake_draws, shopping_plan):
        api.register_blueprint(module.blp)
