"""The storefront's answer time: `python -m bench.storefront`.

Builds a realistic compound in a fresh database (200 products, deals of every kind, a van
load, coupons, a few hundred orders today and a month of history, shoppers watching), starts
the production server on it (`flask db upgrade`, gunicorn gevent, one worker by default),
and has a few concurrent shoppers GET `/api/v1/store-sessions/<id>/storefront` over
keep-alive connections for ~10 s. Prints requests/s, p50, p99 and the worker's CPU per
request, for PostgreSQL with Redis (production) and for the embedded SQLite file.

It seeds through the app's services and models and times only the public endpoint, so it
runs unchanged on any version of the code that serves API.md's storefront. Everything it
starts is stopped at the end.
"""
from __future__ import annotations

import argparse
import http.client
import inspect
import json
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from app.extensions import db
from app.models import Address, Order, OrderItem, Shopper, StoreSession, utcnow
from app.services.couriers import registry
from app.services.places import compounds
from app.services.places.live import local_midnight
from app.services.store import catalog, coupons
from app.services.van.loads import replace_van_load
from bench import world
from bench.procs import HOST, Gunicorn, code_version, cpu_seconds, machine_load

CATEGORIES = ("粮油", "饮料", "零食", "日用", "母婴", "生鲜", "冷冻", "酒水", "个护", "清洁")
STATUSES_TODAY = ("paid",) * 5 + ("reserved",) * 3 + ("completed",) * 2 + ("cancelled",)
STATUSES_PAST = ("completed",) * 9 + ("cancelled",)


def clearance_quantity(kind: str | None) -> dict:
    """A clearance's units, where this version of the code has them (issue 15 added quantities),
    so the same bench runs on the code before and after."""
    if kind == "clearance" and "quantity" in inspect.signature(catalog.create_deal).parameters:
        return {"quantity": 1000}
    return {}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.storefront", description=__doc__.split("\n\n")[0])
    p.add_argument("--databases", nargs="+", choices=("postgresql", "sqlite"), default=["postgresql", "sqlite"])
    p.add_argument("--seconds", type=float, default=10.0, help="seconds of timed requests per database (10)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of untimed requests first (2)")
    p.add_argument("--clients", type=int, default=4, help="concurrent shoppers, one keep-alive connection each (4)")
    p.add_argument("--workers", type=int, default=1, help="gunicorn gevent workers (1)")
    p.add_argument("--products", type=int, default=200)
    p.add_argument("--shoppers", type=int, default=400, help="shoppers living in the compound (400)")
    p.add_argument("--orders-today", type=int, default=300)
    p.add_argument("--history-days", type=int, default=30)
    p.add_argument("--orders-per-day", type=int, default=120, help="orders on each past day (120)")
    p.add_argument("--watchers", type=int, default=60, help="shoppers who entered the store minutes ago (60)")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--pg-admin-url", default=os.environ.get(
        "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--database", default="xiaoge_storefront_bench", help="PostgreSQL database dropped and created")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_STOREFRONT_REDIS_URL", "redis://127.0.0.1:6379/9"),
                   help="Redis DB flushed and used with PostgreSQL (redis://127.0.0.1:6379/9)")
    args = p.parse_args(argv)
    if min(args.clients, args.workers, args.products, args.shoppers) < 1 or args.seconds <= 0:
        p.error("--clients, --workers, --products, --shoppers must be at least 1, --seconds above 0")
    args.watchers = min(args.watchers, args.shoppers)
    return args


@dataclass
class Seeded:
    store_sessions: list[tuple[int, str]]  # (store session id, shopper token) per client
    orders: int
    deals: dict[str, int]
    on_van: int


def seed(app, args: argparse.Namespace) -> Seeded:
    """One compound as it looks at noon: its courier's whole catalogue, deals, van, buyers, watchers."""
    rng = random.Random(args.seed)
    now = utcnow()
    with app.app_context():
        s = db.session
        home = compounds.create_compound(s, name="基准花园", city="上海", lat=31.23, lng=121.54, radius_m=500)
        other = compounds.create_compound(s, name="邻近小区", city="上海", lat=31.24, lng=121.55, radius_m=500)
        courier = registry.create_courier(s, employee_no="SFBENCH1", name="压测小哥", password="bench-pass",
                                          compound_ids=[home.id, other.id])
        products = [catalog.create_product(s, name=f"商品{n}", category=CATEGORIES[n % len(CATEGORIES)],
                                           price_fen=rng.randrange(200, 20000), orderable_off_van=n % 7 == 0)
                    for n in range(args.products)]
        deals = {"compound": 0, "staff": 0, "clearance": 0}
        for n, product in enumerate(products):
            kind = ("compound", "compound", "staff", "clearance", None, None)[n % 6]
            if kind is None:
                continue
            catalog.create_deal(s, product_id=product.id, compound_ids=[home.id, other.id], kind=kind,
                                deal_price_fen=product.price_fen * rng.randrange(50, 95) // 100,
                                starts_at=now - timedelta(days=3),
                                ends_at=now + timedelta(days=2 if kind == "clearance" else 30),
                                **clearance_quantity(kind))
            deals[kind] += 1
        for n in range(4):
            coupons.create_coupon_template(
                s, title=f"满{30 + 10 * n}减{5 + n}", discount_fen=500 + 100 * n, threshold_fen=3000 + 1000 * n,
                total=10_000, per_shopper_limit=2, compound_ids=[home.id], valid_from=now - timedelta(days=1),
                valid_until=now + timedelta(days=7))
        on_van = products[: int(len(products) * 0.6)]
        replace_van_load(s, courier.id, [{"product_id": p.id, "quantity": rng.randrange(5, 60)} for p in on_van], now)
        shoppers = [Shopper(openid=f"sfbench-{n}", session_key="", nickname=f"住户{n}") for n in range(args.shoppers)]
        s.add_all(shoppers)
        s.flush()
        s.add_all([Address(shopper_id=sh.id, recipient="住户", phone="13800000000", detail="基准花园",
                           compound_id=home.id, is_default=True) for sh in shoppers])
        orders = add_orders(s, rng, home.id, courier.id, shoppers, products, now, args)
        # Watchers: shoppers who entered the store in the last minutes; the clients' own sessions now.
        s.add_all([StoreSession(shopper_id=sh.id, courier_id=courier.id, compound_id=home.id,
                                created_at=now - timedelta(seconds=rng.randrange(0, 600)))
                   for sh in shoppers[: args.watchers]])
        clients = [StoreSession(shopper_id=sh.id, courier_id=courier.id, compound_id=home.id, created_at=now)
                   for sh in rng.sample(shoppers, args.clients)]
        s.add_all(clients)
        s.flush()
        tokens = app.extensions["xiaoge.tokens"]
        seeded = Seeded([(c.id, tokens.issue("shopper", c.shopper_id)) for c in clients], orders, deals, len(on_van))
        s.commit()
        s.remove()
    return seeded


def add_orders(s, rng: random.Random, compound_id: int, courier_id: int, shoppers: list, products: list,
               now, args: argparse.Namespace) -> int:
    """Today's orders (since Shanghai midnight, whatever the hour) and `history_days` of past ones."""
    since_midnight = now - local_midnight(now)
    days = [(0, args.orders_today)] + [(d, args.orders_per_day) for d in range(1, args.history_days + 1)]
    popular = products[: max(1, len(products) // 4)]  # a quarter of the catalogue sells most
    count = 0
    for day, how_many in days:
        batch = []
        for _ in range(how_many):
            if day == 0:
                at = now - since_midnight * rng.random()
            else:
                at = now - timedelta(days=day, seconds=rng.randrange(0, 86_400))
            picked = rng.sample(popular if rng.random() < 0.7 else products, rng.randrange(1, 4))
            items = [OrderItem(product_id=p.id, quantity=rng.randrange(1, 3), unit_price_fen=p.price_fen)
                     for p in picked]
            subtotal = sum(i.quantity * i.unit_price_fen for i in items)
            status = rng.choice(STATUSES_TODAY if day == 0 else STATUSES_PAST)
            batch.append(Order(shopper_id=rng.choice(shoppers).id, courier_id=courier_id, compound_id=compound_id,
                               status=status, subtotal_fen=subtotal, total_fen=subtotal, items=items,
                               pickup_code=f"{rng.randrange(10**6):06d}", created_at=at,
                               paid_at=at if status in ("paid", "completed") else None,
                               completed_at=at if status == "completed" else None,
                               cancelled_at=at if status == "cancelled" else None))
        s.add_all(batch)
        s.flush()
        count += len(batch)
    return count


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(port: int, session_id: int, token: str, stop_at: float, timed_from: float, tally: Tally) -> None:
    """One shopper refreshing the storefront as fast as it answers, over one keep-alive connection."""
    path = f"/api/v1/store-sessions/{session_id}/storefront"
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies, statuses, errors = [], {}, {}
    while (start := time.perf_counter()) < stop_at:
        try:
            conn.request("GET", path, headers=headers)
            answer = conn.getresponse()
            answer.read()
            status = answer.status
            if answer.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            continue
        if start >= timed_from:
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
    conn.close()
    with tally.lock:
        tally.latencies_ms.extend(latencies)
        for key, value in statuses.items():
            tally.statuses[key] = tally.statuses.get(key, 0) + value
        for key, value in errors.items():
            tally.errors[key] = tally.errors.get(key, 0) + value


def check_answer(port: int, session_id: int, token: str) -> dict:
    """One storefront, read before timing: the sections must be filled, or the bench measures nothing."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", f"/api/v1/store-sessions/{session_id}/storefront",
                     headers={"Authorization": f"Bearer {token}"})
        answer = conn.getresponse()
        body = answer.read()
    finally:
        conn.close()
    if answer.status != 200:
        raise RuntimeError(f"storefront answered {answer.status}: {body[:300]!r}")
    front = json.loads(body)
    return {"bytes": len(body), "coupons": len(front["coupons"]), "hot_items": len(front["hot_items"]),
            "staff_exclusives": len(front["staff_exclusives"]), "discount_ranking": len(front["discount_ranking"]),
            "live": front["live"]}


def measure(server: Gunicorn, seeded: Seeded, args: argparse.Namespace) -> dict:
    shape = check_answer(server.port, *seeded.store_sessions[0])
    tally = Tally()
    start = time.perf_counter()
    timed_from = start + args.warmup
    stop_at = timed_from + args.seconds
    threads = [threading.Thread(target=client_loop, args=(server.port, sid, token, stop_at, timed_from, tally),
                                daemon=True) for sid, token in seeded.store_sessions]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, timed_from - time.perf_counter()))
    cpu_before = sum(cpu_seconds(pid) or 0.0 for pid in server.worker_pids)
    for thread in threads:
        thread.join()
    cpu_after = sum(cpu_seconds(pid) or 0.0 for pid in server.worker_pids)
    wall = time.perf_counter() - timed_from
    lat = sorted(tally.latencies_ms)
    n = len(lat)
    return {
        "shape": shape, "requests": n, "rps": n / wall if wall else 0.0,
        "p50_ms": statistics.median(lat) if lat else None,
        "p99_ms": lat[min(n - 1, int(0.99 * n))] if lat else None,
        "max_ms": lat[-1] if lat else None,
        "worker_cpu_ms_per_request": 1000 * (cpu_after - cpu_before) / n if n else None,
        "statuses": tally.statuses, "errors": tally.errors,
    }


def run_one(kind: str, args: argparse.Namespace, workdir: Path) -> dict:
    secret = secrets.token_urlsafe(32)
    if kind == "postgresql":
        database_url = world.fresh_database(args.pg_admin_url, args.database)
        world.flush_redis(args.redis_url)
        env = server_env(database_url, args.redis_url, secret)
    else:
        database_url = f"sqlite:///{workdir / 'storefront-bench.sqlite'}"
        env = server_env(database_url, None, secret)
    step(f"{kind}: flask db upgrade")
    world.migrate(env)
    app = world.harness_app(database_url, secret)
    try:
        step(f"{kind}: seeding {args.products} products, {args.shoppers} shoppers, "
             f"{args.orders_today} orders today, {args.history_days} days of history")
        seeded = seed(app, args)
    finally:
        world.dispose(app)
    server = Gunicorn(env, args.workers, workdir / f"server-{kind}.log")
    try:
        step(f"{kind}: gunicorn -k gevent -w {args.workers}; {args.clients} clients, "
             f"{args.warmup:g} s warm-up + {args.seconds:g} s timed")
        server.start()
        result = measure(server, seeded, args)
    finally:
        server.stop()
        problems, lines = server.log_problems()
        if problems:
            print(f"server log ({kind}): {problems} error lines, first: " + " / ".join(lines[:3]), file=sys.stderr)
    result.update(orders=seeded.orders, deals=seeded.deals, on_van=seeded.on_van)
    return result


def server_env(database_url: str, redis_url: str | None, secret_key: str) -> dict:
    """The production settings (bench/run.py's without its shake-only ones; this needs no
    bench extras such as uvloop); no REDIS_URL: the embedded default."""
    drop = {"XIAOGE_DEMO", "SOCKETIO_ASYNC_MODE", "RATELIMIT_STORAGE_URI", "REDIS_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(DATABASE_URL=database_url, SECRET_KEY=secret_key, ROUND_SWEEPER="0", PYTHONUNBUFFERED="1",
               PUBLIC_URL="http://127.0.0.1", SOCKETIO_CHANNEL=f"xiaoge-sfbench-{uuid.uuid4().hex[:8]}")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def stop_on_signal(signum, _frame) -> None:
    """SIGTERM or SIGHUP: unwind, so the finally stops the server."""
    raise SystemExit(128 + signum)


def step(text: str) -> None:
    print(f"[storefront bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def report(results: dict[str, dict], args: argparse.Namespace, busy_before: float) -> str:
    def fmt(value, digits=1):
        return "–" if value is None else f"{value:.{digits}f}"

    lines = [f"storefront bench: code {code_version()}; {args.clients} clients, {args.workers} gevent worker(s), "
             f"{args.seconds:g} s; machine busy before: {busy_before:.2f} cores of {os.cpu_count()}",
             "", "| database | requests/s | p50 ms | p99 ms | max ms | worker CPU ms/request | requests | non-200 | errors |",
             "|---|---|---|---|---|---|---|---|---|"]
    for kind, r in results.items():
        non_200 = sum(v for k, v in r["statuses"].items() if k != 200)
        lines.append(f"| {kind} | {r['rps']:.1f} | {fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} | {fmt(r['max_ms'])} | "
                     f"{fmt(r['worker_cpu_ms_per_request'], 2)} | {r['requests']} | {non_200} | "
                     f"{sum(r['errors'].values())} |")
    for kind, r in results.items():
        shape = r["shape"]
        lines.append(f"{kind}: {r['orders']} orders, deals {r['deals']}, {r['on_van']} products on the van; "
                     f"one answer {shape['bytes']} bytes: {shape['hot_items']} hot, {shape['staff_exclusives']} staff, "
                     f"{shape['discount_ranking']} ranked, {shape['coupons']} coupons, live {shape['live']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    busy_before = machine_load()
    results = {}
    with tempfile.TemporaryDirectory(prefix="xiaoge-sfbench-") as workdir:
        for kind in args.databases:
            results[kind] = run_one(kind, args, Path(workdir))
    print("\n" + report(results, args, busy_before))
    bad = any(r["requests"] == 0 or any(k != 200 for k in r["statuses"]) for r in results.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
