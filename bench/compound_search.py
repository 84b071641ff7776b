"""Compound search and address matching at 20,000 compounds, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.compound_search [--compounds N] [--runs N] [--databases sqlite,postgresql]

Seeds a fresh database of each kind with N compounds spread over Shanghai (names, aliases,
districts), then times `GET /api/v1/compounds` (by name, by position, both, and a position
far from every compound) and `POST /api/v1/me/addresses` without a compound_id (matched from
the text) through Flask's test client, and prints the median and the slowest ms of each.
It inserts the compounds' rows itself (and their normalised names where the code has them) and
times only the API, so it runs on the code before issue 13's SQL search too: check that tree out
elsewhere and run this file there, `PYTHONPATH=<that tree> python bench/compound_search.py`.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import delete, insert, select, text

from app import create_app
from app.extensions import db
from app.models import Address, Compound, Shopper
from bench.shake_path import fresh_postgres

try:  # issue 13's normalised names; absent on the code before it
    from app.models import CompoundName
    from app.services.places.compounds import search_key
except ImportError:
    CompoundName = None

DISTRICTS = ["浦东新区", "徐汇区", "黄浦区", "静安区", "长宁区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区"]
STEMS = ["阳光", "翠湖", "锦绣", "世纪", "万科", "绿城", "金桥", "滨江", "碧云", "春申"]
KINDS = ["花园", "苑", "新村", "公寓", "家园", "城"]


def compound_rows(count: int) -> list[dict]:
    rng = random.Random(13)
    rows = []
    for n in range(count):
        name = f"{rng.choice(STEMS)}{rng.choice(KINDS)}{n}期"
        rows.append({"name": name, "city": "上海", "district": rng.choice(DISTRICTS),
                     "lat": rng.uniform(30.70, 31.50), "lng": rng.uniform(121.00, 121.90), "radius_m": 300,
                     "aliases": [f"{name[:2]}{n}"]})
    return rows


def seed(count: int) -> str:
    """Insert the compounds (and their normalised names where the code has them); a shopper's token."""
    rows = compound_rows(count)
    db.session.execute(insert(Compound), rows)
    if CompoundName is not None:
        ids = db.session.scalars(select(Compound.id).order_by(Compound.id)).all()  # a fresh table: in row order
        names = [{"compound_id": compound_id, "key": key, "head": key[:2]}
                 for compound_id, row in zip(ids, rows)
                 for key in dict.fromkeys(map(search_key, [row["name"], *row["aliases"]]))]
        db.session.execute(insert(CompoundName), names)
    shopper = Shopper(openid="bench-compound-search", session_key="")
    db.session.add(shopper)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    return current_app.extensions["xiaoge.tokens"].issue("shopper", shopper.id)


def timed(runs: int, call) -> tuple[float, float]:
    """(median, slowest) ms of `runs` calls, after one warm-up."""
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(1000 * (time.perf_counter() - started))
    return statistics.median(samples), max(samples)


def cases(client, headers) -> dict:
    def search(query: str):
        def call():
            answer = client.get(f"/api/v1/compounds?{query}", headers=headers)
            assert answer.status_code == 200, answer.get_json()
        return call

    def add_address():
        answer = client.post("/api/v1/me/addresses", headers=headers,
                             json={"recipient": "张三", "phone": "13800000000",
                                   "detail": "上海市浦东新区张杨路 翠湖花园1234期 5号楼 301"})
        assert answer.status_code == 201, answer.get_json()
        db.session.execute(delete(Address))
        db.session.commit()

    return {
        "GET /compounds?q=花园 (common)": search("q=花园"),
        "GET /compounds?q=翠湖花园1234 (one)": search("q=翠湖花园1234"),
        "GET /compounds?q=不存在 (none)": search("q=不存在"),
        "GET /compounds?lat&lng (inside the city)": search("lat=31.2304&lng=121.4737"),
        "GET /compounds?q=花园&lat&lng": search("q=花园&lat=31.2304&lng=121.4737"),
        "GET /compounds?lat&lng (far from all)": search("lat=39.9&lng=116.4"),
        "POST /me/addresses (matched from detail)": add_address,
    }


def run(url: str, count: int, runs: int) -> None:
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "ROUND_SWEEPER": False,
                      "SOCKETIO_ASYNC_MODE": "threading", "RATELIMIT_ENABLED": False, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        headers = {"Authorization": f"Bearer {seed(count)}"}
        client = app.test_client()
        print(f"\n{url.split(':', 1)[0]}, {count} compounds, median / slowest of {runs} ms")
        for label, call in cases(client, headers).items():
            median, slowest = timed(runs, call)
            print(f"  {label:45s} {median:8.1f} {slowest:8.1f}")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compounds", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.databases.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                run(f"sqlite:///{Path(folder) / 'compounds.sqlite3'}", args.compounds, args.runs)
        else:
            run(fresh_postgres("xiaoge_compound_search"), args.compounds, args.runs)


if __name__ == "__main__":
    main()
