"""REST blueprints per audience, registered on the app's flask-smorest Api."""
from flask_smorest import Api

from app.api import console, courier, shopper_account, shopper_orders, shopper_store


def register_api(api: Api) -> None:
    for module in (shopper_account, shopper_store, shopper_orders, courier, console):
        api.register_blueprint(module.blp)
