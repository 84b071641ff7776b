"""The shake path alone, in one process: time and SQL statements per shake, no network.

    .venv/bin/python -m bench.shake_path [--shakes N] [--draws sql|redis] [--database-url URL]

Seeds a fresh database (default: a PostgreSQL database `xiaoge_shake_path`), opens a round,
then sends N shakes one after another through Flask's test client and prints shakes/s,
ms per shake and the SQL statements one losing and one winning shake run. A quick check of
the per-request cost before a full `make bench`.
"""
from __future__ import annotations

import argparse
import time
import uuid
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text

from app import create_app
from app.extensions import db
from app.models import Address, Shopper, utcnow
from app.services import campaigns
from app.services.couriers import registry
from app.services.places import compounds
from app.services.store import coupons

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fresh_postgres(name: str) -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def seed(app, shoppers: int):
    now = utcnow()
    home = compounds.create_compound(db.session, name="阳光花园", city="上海", lat=31.2, lng=121.5, radius_m=300)
    courier = registry.create_courier(db.session, employee_no="E1", name="王小哥", password="courier-pass",
                                      compound_ids=[home.id])
    template = coupons.create_coupon_template(
        db.session, title="满30减5", discount_fen=500, threshold_fen=3000, total=10**6, per_shopper_limit=1,
        compound_ids=[home.id], valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=1))
    campaigns.create_campaign(
        db.session, title="到车摇一摇", compound_ids=[home.id], starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1), window_seconds=3600, shakes_per_shopper=10**6, wins_per_shopper=1,
        prizes=[{"kind": "coupon", "coupon_template_id": template.id, "per_round": 10**5, "win_probability": 0.5}])
    tokens = app.extensions["xiaoge.tokens"]
    issued = []
    for n in range(shoppers):
        shopper = Shopper(openid=f"path-{n}", session_key="")
        db.session.add(shopper)
        db.session.flush()
        db.session.add(Address(shopper_id=shopper.id, recipient="住户", phone="13800000000", detail="阳光花园",
                               compound_id=home.id, is_default=True))
        issued.append(tokens.issue("shopper", shopper.id))
    db.session.commit()
    return home.id, tokens.issue("courier", courier.id, token_version=courier.token_version), issued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shakes", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--draws", choices=["sql", "redis"], default="sql", help="the draw engine (SHAKE_DRAWS)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args()
    url = args.database_url or fresh_postgres("xiaoge_shake_path")
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "ROUND_SWEEPER": False,
                      "SOCKETIO_ASYNC_MODE": "threading", "RATELIMIT_ENABLED": False,
                      "PASSWORD_HASH_COST": "fast", "SHAKE_DRAWS": args.draws, "REDIS_URL": args.redis_url,
                      "SOCKETIO_MESSAGE_QUEUE": "", "SHAKE_LOG_WRITER": False,
                      # 200 shoppers in turn at ~1,000 shakes/s would be each 5 a second, the
                      # per-shopper cadence cap's default: this times the draw, not that cap.
                      "SHAKE_RATE_PER_SHOPPER": 0})
    with app.app_context():
        upgrade()
        compound_id, courier_token, shopper_tokens = seed(app, 200)
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    opened = client.post("/api/v1/courier/arrivals", headers={"Authorization": f"Bearer {courier_token}"},
                         json={"event_id": "bench", "compound_id": compound_id, "occurred_at": utcnow().isoformat()})
    round_id = opened.get_json()["rounds"][0]["id"]
    per_result: dict[str, int] = {}
    started = time.perf_counter()
    for n in range(args.shakes):
        statements.clear()
        answer = client.post(f"/api/v1/shake-rounds/{round_id}/shakes", json={"shake_id": uuid.uuid4().hex},
                             headers={"Authorization": f"Bearer {shopper_tokens[n % len(shopper_tokens)]}"})
        assert answer.status_code == 200, answer.get_json()
        per_result.setdefault(answer.get_json()["result"], len(statements))
    elapsed = time.perf_counter() - started
    print(f"{args.shakes} shakes on the {args.draws} engine, {url.split('://')[0]}: {args.shakes / elapsed:.0f} shakes/s, "
          f"{1000 * elapsed / args.shakes:.2f} ms each (one process, sequential)")
    for result, count in sorted(per_result.items()):
        print(f"SQL statements for a {result}: {count}")


if __name__ == "__main__":
    main()
