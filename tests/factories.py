"""Test data in one place: services for the domain objects, the API for tokens."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.extensions import db
from app.services import campaigns
from app.services.accounts import staff
from app.services.couriers import registry
from app.services.places import compounds
from app.services.places.addresses import add_address
from app.services.shaking.redis.engine import RedisDrawEngine
from app.services.shaking.redis.log_writer import ShakeLogWriter
from app.services.store import catalog, coupons

_seq = itertools.count(1)


def now() -> datetime:
    return datetime.now(timezone.utc)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Shop:
    """A compound, its courier, and a shopper at home there with an open store session."""

    home: object
    courier: object
    shopper_id: int
    headers: dict
    store_session_id: int


class Factories:
    def __init__(self, app, client, sandbox):
        self.app, self.client, self.sandbox = app, client, sandbox

    def _commit(self, obj):
        db.session.commit()
        return obj

    def compound(self, **kw):
        n = next(_seq)
        fields = dict(name=f"阳光花园{n}期", city="上海", district="浦东新区",
                      lat=31.2 + n / 1000, lng=121.5 + n / 1000, radius_m=300, aliases=[])
        fields.update(kw)
        return self._commit(compounds.create_compound(db.session, **fields))

    def courier(self, compounds_=None, password="courier-pass", **kw):
        n = next(_seq)
        route = compounds_ if compounds_ is not None else [self.compound()]
        fields = dict(employee_no=f"E{n:05d}", name=f"小哥{n}", password=password,
                      compound_ids=[c.id for c in route])
        fields.update(kw)
        return self._commit(registry.create_courier(db.session, **fields))

    def product(self, **kw):
        n = next(_seq)
        fields = dict(name=f"商品{n}", category="生鲜", price_fen=1000 + n)
        fields.update(kw)
        return self._commit(catalog.create_product(db.session, **fields))

    def deal(self, product, compounds_, deal_price_fen, kind="compound", **kw):
        if kind == "clearance":  # a clearance carries a quantity and an end
            kw = {"quantity": 100, "ends_at": now() + timedelta(days=7), **kw}
        return self._commit(catalog.create_deal(
            db.session, product_id=product.id, compound_ids=[c.id for c in compounds_],
            deal_price_fen=deal_price_fen, kind=kind, **kw))

    def coupon_template(self, compounds_, **kw):
        fields = dict(title="满30减5", discount_fen=500, threshold_fen=3000, total=100,
                      per_shopper_limit=1, compound_ids=[c.id for c in compounds_],
                      valid_from=now() - timedelta(hours=1), valid_until=now() + timedelta(days=7))
        fields.update(kw)
        return self._commit(coupons.create_coupon_template(db.session, **fields))

    def campaign(self, compounds_, prizes=None, **kw):
        if prizes is None:
            prizes = [{"kind": "coupon", "coupon_template_id": self.coupon_template(compounds_).id,
                       "per_round": 10, "win_probability": 1.0}]
        fields = dict(title="到车摇一摇", compound_ids=[c.id for c in compounds_],
                      starts_at=now() - timedelta(hours=1), ends_at=now() + timedelta(days=1),
                      window_seconds=120, shakes_per_shopper=3, wins_per_shopper=1, prizes=prizes)
        fields.update(kw)
        return self._commit(campaigns.create_campaign(db.session, **fields))

    def arrival(self, courier, compound, headers=None, event_id=None, occurred_at=None, **extra):
        """Announce an arrival through the REST API; returns the response."""
        body = {"event_id": event_id or f"evt-{next(_seq)}", "compound_id": compound.id,
                "occurred_at": (occurred_at or now()).isoformat(), **extra}
        return self.client.post("/api/v1/courier/arrivals", json=body,
                                headers=headers or self.courier_headers(courier))

    def shake(self, round_id, headers, shake_id=None):
        return self.client.post(f"/api/v1/shake-rounds/{round_id}/shakes",
                                json={"shake_id": shake_id or f"shake-{next(_seq)}"}, headers=headers)

    def settle(self):
        """Let the database catch up with shakes the Redis engine has answered (a no-op on the
        SQL engine, which writes each shake before answering it)."""
        settle(self.app)

    def staff_token(self, role="admin"):
        member = staff.create_staff(db.session, f"{role}{next(_seq)}", "staff-password", role)
        db.session.commit()
        return self.app.extensions["xiaoge.tokens"].issue("staff", member.id, member.role,
                                                          token_version=member.token_version)

    def staff_headers(self, role="admin"):
        return bearer(self.staff_token(role))

    def shopper(self, openid=None, home=None):
        """Log a shopper in through the API (and the sandbox); returns (shopper_id, headers)."""
        code, _ = self.sandbox.state.mint_login_code(openid or f"openid-{next(_seq)}")
        answer = self.client.post("/api/v1/auth/wechat", json={"code": code})
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        if home is not None:
            add_address(db.session, body["shopper"]["id"], recipient="张三", phone="13800000000",
                        detail=f"{home.name} 1栋101", compound_id=home.id, is_default=True)
            db.session.commit()
        return body["shopper"]["id"], bearer(body["token"])

    def courier_headers(self, courier, password="courier-pass"):
        answer = self.client.post("/api/v1/courier/auth",
                                  json={"employee_no": courier.employee_no, "password": password})
        assert answer.status_code == 200, answer.get_json()
        return bearer(answer.get_json()["token"])

    # --- shopper journey helpers (store sessions, claims, orders) ---

    def shop(self) -> Shop:
        """A compound, its courier, and a shopper at home there with an open store session."""
        home = self.compound()
        courier = self.courier(compounds_=[home])
        shopper_id, headers = self.shopper(home=home)
        return Shop(home, courier, shopper_id, headers, self.store_session(headers, courier))

    def store_session(self, headers, courier, compound=None):
        """Open a store session through the API; returns the session id."""
        body = {"courier_code": courier.courier_code}
        if compound is not None:
            body["compound_id"] = compound.id
        answer = self.client.post("/api/v1/store-sessions", json=body, headers=headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["session"]["id"]

    def claimed_coupon(self, headers, template):
        """Claim one coupon of `template` through the API; returns the coupon body."""
        answer = self.client.post(f"/api/v1/coupons/{template.id}/claims", headers=headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["coupon"]

    def placed_order(self, headers, store_session_id, items, coupon_id=None, key=None):
        """Place an order through the API; `items` is [(product, quantity)]; returns the order body."""
        body = {"store_session_id": store_session_id,
                "items": [{"product_id": p.id, "quantity": q} for p, q in items]}
        if coupon_id is not None:
            body["coupon_id"] = coupon_id
        answer = self.client.post("/api/v1/orders", json=body,
                                  headers={**headers, "Idempotency-Key": key or f"order-{next(_seq)}"})
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["order"]

    # --- console and courier API helpers (staff accounts, request bodies) ---

    def staff_member(self, role="admin", password="staff-password", username=None):
        """A committed staff account that can sign in with `password`."""
        member = staff.create_staff(db.session, username or f"{role}{next(_seq)}", password, role)
        return self._commit(member)

    def compound_body(self, **kw):
        """A valid POST /console/compounds body."""
        n = next(_seq)
        body = {"name": f"翠湖苑{n}", "city": "上海", "district": "徐汇区", "lat": 31.18,
                "lng": 121.43, "radius_m": 400, "aliases": [f"翠湖{n}"]}
        body.update(kw)
        return body

    def courier_body(self, compounds_, **kw):
        """A valid POST /console/couriers body routed through `compounds_`."""
        n = next(_seq)
        body = {"employee_no": f"C{n:05d}", "name": f"李师傅{n}", "password": "handheld-pass",
                "compound_ids": [c.id for c in compounds_]}
        body.update(kw)
        return body

    def product_body(self, **kw):
        """A valid POST /console/products body."""
        body = {"name": f"有机鸡蛋{next(_seq)}", "category": "生鲜", "price_fen": 2990}
        body.update(kw)
        return body

    def deal_body(self, product, compounds_, **kw):
        """A valid POST /console/deals body (a compound price below the list price)."""
        body = {"product_id": product.id, "compound_ids": [c.id for c in compounds_],
                "deal_price_fen": max(product.price_fen - 100, 0), "kind": "compound"}
        body.update(kw)
        return body

    def coupon_template_body(self, compounds_, **kw):
        """A valid POST /console/coupon-templates body (RFC 3339 times with an offset)."""
        body = {"title": "满50减8", "discount_fen": 800, "threshold_fen": 5000, "total": 200,
                "per_shopper_limit": 2, "compound_ids": [c.id for c in compounds_],
                "valid_from": (now() - timedelta(hours=1)).isoformat(),
                "valid_until": (now() + timedelta(days=3)).isoformat()}
        body.update(kw)
        return body


def draw_engine(app):
    """The app's draw engine: the one place tests look up its extension key."""
    return app.extensions["xiaoge.draw_engine"]


def settle(app) -> int:
    """Copy the Redis engine's logged shakes into the database now; how many were copied."""
    engine = draw_engine(app)
    if not isinstance(engine, RedisDrawEngine):
        return 0
    db.session.commit()  # the writer has a session of its own: on SQLite ours must not hold the lock
    writer = ShakeLogWriter(app, engine)
    try:
        return writer.drain()
    finally:
        writer.redis.close()
