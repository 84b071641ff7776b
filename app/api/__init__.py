"""REST blueprints per audience, registered on the app's flask-smorest Api."""
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from app.api import (
    console,
    console_campaigns,
    courier,
    courier_arrivals,
    courier_pickups,
    health,
    shopper_account,
    shopper_orders,
    shopper_shakes,
    shopper_store,
)
from app.api.schemas.base import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:...>` in our URLs: an id a BIGINT can hold, so a bigger one is a plain 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def register_api(api: Api) -> None:
    for module in (shopper_account, shopper_store, shopper_orders, shopper_shakes,
                   courier, courier_arrivals, courier_pickups, console, console_campaigns, health):
        api.register_blueprint(module.blp)
