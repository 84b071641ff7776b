"""REST blueprints per audience, registered on the app's flask-smorest Api."""
from flask_smorest import Api

from app.api import (
    console,
    console_campaigns,
    courier,
    courier_arrivals,
    shopper_account,
    shopper_orders,
    shopper_shakes,
    shopper_store,
)


def register_api(api: Api) -> None:
    for module in (shopper_account, shopper_store, shopper_orders, shopper_shakes,
                   courier, courier_arrivals, console, console_campaigns):
        api.register_blueprint(module.blp)
