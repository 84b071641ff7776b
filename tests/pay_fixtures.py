"""WeChat Pay for the order tests: the sandbox's stand-in (real RSA signatures, real AES-GCM) wired to the app.

Import the fixtures into a test module: `from tests.pay_fixtures import pay, pay_sandbox  # noqa: F401`.
When the session sandbox already has pay keys (tests/conftest.py), those are used.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import Order, Payment
from wechat.pay_keys import make_pay_keys
from wechat.sandbox import start_sandbox

NOTIFY = "/api/v1/payments/wechat/notify"
ORDERS = "/api/v1/orders"
_keys = itertools.count(1)


@pytest.fixture(scope="session")
def pay_sandbox(sandbox, tmp_path_factory):
    """(the sandbox, its app config): the session's own when it has pay keys, else one started here."""
    if getattr(sandbox, "pay", None) is not None:
        yield sandbox, {}
        return
    keys = make_pay_keys(tmp_path_factory.mktemp("pay-keys"))
    with start_sandbox(pay=keys) as running:
        yield running, keys.app_config(running.url)


@dataclass
class Pay:
    """The test's handle on WeChat Pay: the shopper paying, the notifications kept, delivering them."""

    app: object
    client: object
    sandbox: object

    @property
    def state(self):
        return self.sandbox.pay

    def hook(self, method: str, path: str, **body):
        answer = requests.request(method, f"{self.sandbox.url}/sandbox/pay{path}", json=body, timeout=5)
        return answer.status_code, answer.json()

    def shopper_pays(self, order_id: int, **body) -> dict:
        status, answer = self.hook("POST", f"/transactions/{self.trade_no(order_id)}/pay", **body)
        assert status == 200, answer
        return answer

    def mode(self, mode: str, seconds: float = 0):
        assert self.hook("POST", "/notification-mode", mode=mode, seconds=seconds)[0] == 200

    def notifications(self, count: int = 0) -> list[dict]:
        return self.state.wait_for_notifications(count, timeout=5) if count else self.state.notifications()

    def deliver(self, record: dict, body: bytes | None = None, headers: dict | None = None):
        """POST a notification to the app exactly as WeChat Pay sent it (or altered)."""
        return self.client.post(NOTIFY, data=body if body is not None else record["body"].encode("utf-8"),
                                headers=headers or record["headers"])

    def forge(self, event_type: str, resource: dict) -> dict:
        """A genuinely signed and sealed notification with a resource of our making (a rigged WeChat Pay)."""
        body = self.state.notification(event_type, resource)
        return {"headers": dict(self.state.signed_headers(body), **{"Content-Type": "application/json"}),
                "body": body.decode("utf-8")}

    def trade_no(self, order_id: int) -> str:
        db.session.expire_all()
        return db.session.scalar(select(Payment.out_trade_no).where(Payment.order_id == order_id))

    def settle_refund(self, out_refund_no: str):
        return self.hook("POST", f"/refunds/{out_refund_no}/settle")


@pytest.fixture
def pay(app, client, pay_sandbox):
    """WeChat Pay set up for the app (restored afterwards), the stand-in reset, notifications settled by hand."""
    running, config = pay_sandbox
    saved = {key: app.config.get(key) for key in config}
    app.config.update(config)
    app.extensions.pop("xiaoge.pay", None)
    requests.post(f"{running.url}/sandbox/pay/reset", timeout=5)
    requests.post(f"{running.url}/sandbox/pay/refund-settlement", json={"seconds": None}, timeout=5)
    yield Pay(app, client, running)
    requests.post(f"{running.url}/sandbox/pay/reset", timeout=5)
    app.config.update(saved)
    app.extensions.pop("xiaoge.pay", None)


def wechat_order(client, headers, store_session_id, items, coupon_id=None, key=None) -> dict:
    """Place a `"pay": "wechat"` order through the API; returns the order body."""
    body = {"store_session_id": store_session_id, "pay": "wechat",
            "items": [{"product_id": p.id, "quantity": q} for p, q in items]}
    if coupon_id is not None:
        body["coupon_id"] = coupon_id
    answer = client.post(ORDERS, json=body, headers={**headers, "Idempotency-Key": key or f"pay-{next(_keys)}"})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["order"]


def order_status(order_id: int) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Order.status).where(Order.id == order_id))
