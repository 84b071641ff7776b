"""The Redis draw engine's own promises: loses written behind exactly once, the database as the
last word on stock, a crashed win finished by its retry, and a clean 503 when Redis is away.

(The shake rules common to both engines are in test_shakes.py and friends, run on both.)
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from sqlalchemy import event, func, select

from app.database import quick_writes
from app.extensions import db
from app.models import Coupon, Order, RoundPrize, RoundShopper, Shake, ShakeRound, utcnow
from app.services import idempotency
from app.services.shaking.answers import ShakeAnswer
from app.services.shaking.redis import decided_wins
from app.services.shaking.redis import engine as redis_engine
from app.services.shaking.redis.engine import RedisDrawEngine, lives_in
from app.services.shaking.redis.log_writer import ShakeLogWriter
from tests.conftest import TEST_REDIS_URL
from tests.factories import settle
from tests.test_shake_flow import shopper_socket
from tests.test_shakes import open_round, release_all_stock


@pytest.fixture
def shake_draws():
    return "redis"


@pytest.fixture
def engine(app):
    return app.extensions["xiaoge.draw_engine"]


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_lose_is_answered_at_once_and_written_to_the_database_behind_it_once(app, make):
    home = make.compound()
    _, round_id = open_round(make, home, wins_per_shopper=1)
    _, headers = make.shopper(home=home)

    assert make.shake(round_id, headers).get_json()["result"] == "win"  # written before it is answered
    assert make.shake(round_id, headers).get_json()["result"] == "lose"  # logged in Redis only, so far
    assert count(Shake) == 1

    assert settle(app) == 1
    assert settle(app) == 0
    assert count(Shake) == 2
    assert db.session.scalar(select(RoundShopper.shakes)) == 2


def test_what_a_dead_writer_had_read_is_claimed_and_written_once(app, make, engine):
    home = make.compound()
    _, round_id = open_round(make, home, wins_per_shopper=0)
    _, headers = make.shopper(home=home)
    make.shake(round_id, headers)
    settle(app)  # creates the consumer group
    make.shake(round_id, headers)
    read_by_the_dead = engine.redis.xreadgroup("writers", "dead-worker", {engine.log_key: ">"}, count=10)
    assert len(read_by_the_dead[0][1]) == 1  # read, never written nor acknowledged

    assert settle(app) == 1  # claimed from the dead writer (drain claims at once)
    assert count(Shake) == 2
    assert engine.redis.xlen(engine.log_key) == 0


def test_the_database_never_awards_past_the_stock_even_when_redis_lost_its_counts(app, make, engine, monkeypatch):
    home = make.compound()
    template = make.coupon_template([home])
    _, round_id = open_round(make, home, prizes=[{"kind": "coupon", "coupon_template_id": template.id,
                                                  "per_round": 1, "win_probability": 1.0}])
    release_all_stock(round_id)
    (_, first), (_, second) = make.shopper(home=home), make.shopper(home=home)
    stale_view = engine.round_view(db.session, round_id)  # read while nothing was awarded
    monkeypatch.setattr(engine, "round_view", lambda session, rid: stale_view)

    assert make.shake(round_id, first).get_json()["result"] == "win"
    engine.redis.delete(*engine.round_keys(round_id))  # Redis restarted without its data
    answer = make.shake(round_id, second)

    assert answer.status_code == 200 and answer.get_json()["result"] == "lose"
    assert count(Coupon) == 1
    assert db.session.scalar(select(RoundPrize.awarded)) == 1


def test_a_winner_holds_the_rounds_prize_row_only_while_one_statement_runs(app, make, backend):
    """Every winner of a round updates its prize row. On PostgreSQL the stock is taken and the
    winning shake written by one statement committed by itself, so a burst's winners never
    queue behind a winner whose worker is busy elsewhere between two statements."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: the claim runs in the session's transaction")
    home = make.compound()
    _, round_id = open_round(make, home)
    release_all_stock(round_id)
    _, headers = make.shopper(home=home)
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append((conn.get_execution_options().get("isolation_level"), " ".join(statement.split())))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            answer = make.shake(round_id, headers)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)

    assert answer.get_json()["result"] == "win" and answer.get_json()["prize"]["coupon"]["id"]
    taking = [(mode, sql) for mode, sql in statements if "UPDATE round_prizes" in sql]
    assert len(taking) == 1
    mode, sql = taking[0]
    assert mode == "AUTOCOMMIT" and "INSERT INTO shakes" in sql
    writes = [(mode, sql) for mode, sql in statements if not sql.startswith("SELECT")]
    assert [mode for mode, _ in writes] == ["AUTOCOMMIT"] * 2  # claim with coupon, answer: no BEGIN, no COMMIT
    assert db.session.scalar(select(RoundPrize.awarded)) == 1 and count(Shake) == 1 and count(Coupon) == 1


def test_a_retry_that_comes_before_the_win_is_answered_makes_no_second_prize(app, make, monkeypatch, backend):
    """The first request has claimed and made its coupon (one statement, committed) but not yet
    stored its answer when its retry (same shake_id) comes: the retry answers with that coupon,
    and the first then replays the retry's answer. One coupon, one win counted."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: the retry waits for the whole first request")
    home = make.compound()
    _, round_id = open_round(make, home, wins_per_shopper=2)
    release_all_stock(round_id)
    _, headers = make.shopper(home=home)
    retried = []
    real = idempotency.store_first_answer

    def retry_first(*args, **kwargs):
        if not retried:  # from another thread: a request of its own, as on a server
            retried.append(None)
            with ThreadPoolExecutor(1) as pool:
                retried[0] = pool.submit(make.shake, round_id, headers, shake_id="lucky").result(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(idempotency, "store_first_answer", retry_first)
    first = make.shake(round_id, headers, shake_id="lucky")

    assert retried[0].status_code == 200 and retried[0].get_json()["result"] == "win"
    assert first.get_json() == retried[0].get_json()
    assert count(Coupon) == 1 and db.session.scalar(select(RoundShopper.wins)) == 1
    assert db.session.scalar(select(RoundPrize.awarded)) == 1


def test_the_database_refuses_a_win_past_the_shoppers_limit_and_puts_the_stock_back(app, make, engine):
    home = make.compound()
    template = make.coupon_template([home])
    _, round_id = open_round(make, home, wins_per_shopper=1,
                             prizes=[{"kind": "coupon", "coupon_template_id": template.id,
                                      "per_round": 5, "win_probability": 1.0}])
    release_all_stock(round_id)
    _, headers = make.shopper(home=home)

    assert make.shake(round_id, headers).get_json()["result"] == "win"
    engine.redis.delete(*engine.round_keys(round_id))  # Redis restarted without its data
    answer = make.shake(round_id, headers)

    assert answer.status_code == 200 and answer.get_json()["result"] == "lose"
    assert count(Coupon) == 1
    assert db.session.scalar(select(RoundPrize.awarded)) == 1
    assert db.session.scalar(select(RoundShopper.wins)) == 1


def spy_on(monkeypatch, name: str, fail_first: str | None = None, module=decided_wins) -> list:
    """Record the calls made to <module>.<name> (decided_wins by default), which still runs; with
    `fail_first`, the first call raises that instead (a worker dying there)."""
    real = getattr(module, name)
    calls = []

    def spied(*args, **kwargs):
        calls.append(args)
        if fail_first is not None and len(calls) == 1:
            raise RuntimeError(fail_first)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spied)
    return calls


def fail_the_first_call(monkeypatch, name: str, why: str, module=decided_wins) -> list:
    """Make <module>.<name> raise once (a worker dying there), then work; the calls made."""
    return spy_on(monkeypatch, name, fail_first=why, module=module)


def test_a_coupon_win_whose_worker_died_before_answering_is_answered_once_by_its_retry(app, make, monkeypatch):
    """PostgreSQL: the coupon was made (its statement committed), the answer never stored;
    SQLite: the failed request's transaction undid all of it. Either way one prize in the end."""
    home = make.compound()
    _, round_id = open_round(make, home)
    release_all_stock(round_id)
    _, headers = make.shopper(home=home)
    fail_the_first_call(monkeypatch, "store_first_answer", "worker died before storing the answer", idempotency)
    lean = spy_on(monkeypatch, "claim_coupon")
    general = spy_on(monkeypatch, "record_decided_win")
    crashed = make.shake(round_id, headers, shake_id="lucky")
    retried = make.shake(round_id, headers, shake_id="lucky")
    recordings = len(lean) + len(general)
    again = make.shake(round_id, headers, shake_id="lucky")

    assert crashed.status_code == 500
    assert retried.status_code == 200 and retried.get_json()["result"] == "win", retried.get_json()
    assert retried.get_json()["prize"]["coupon"]["id"]
    assert again.get_json() == retried.get_json()
    assert len(lean) + len(general) == recordings  # the replay came from Redis, not from another recording
    assert count(Shake) == 1 and count(Coupon) == 1
    assert db.session.scalar(select(RoundPrize.awarded)) == 1
    assert db.session.scalar(select(RoundShopper.wins)) == 1


def test_an_item_win_whose_worker_died_after_claiming_it_is_finished_once_by_its_retry(app, make, monkeypatch):
    home = make.compound()
    product = make.product()
    _, round_id = open_round(make, home, prizes=[{"kind": "item", "product_id": product.id, "per_round": 5,
                                                  "win_probability": 1.0}])
    release_all_stock(round_id)
    _, headers = make.shopper(home=home)
    fail_the_first_call(monkeypatch, "give_prize", "worker died after claiming the stock")
    crashed = make.shake(round_id, headers, shake_id="lucky")
    retried = make.shake(round_id, headers, shake_id="lucky")

    assert crashed.status_code == 500
    assert retried.status_code == 200 and retried.get_json()["result"] == "win", retried.get_json()
    assert retried.get_json()["prize"]["order"]["pickup_code"]
    assert count(Shake) == 1 and count(Order) == 1
    assert db.session.scalar(select(RoundPrize.awarded)) == 1
    assert db.session.scalar(select(RoundShopper.wins)) == 1


def test_a_coupon_win_is_answered_as_its_recorded_row_reads(app, make, engine):
    """The lean coupon win builds its answer from the round's view; the row it wrote, read back
    the general way (ShakeAnswer.of_record), says the same."""
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=5)
    release_all_stock(round_id)
    shopper_id, headers = make.shopper(home=home)
    answer = make.shake(round_id, headers, shake_id="lucky")

    db.session.expire_all()
    record = db.session.scalar(select(Shake).where(Shake.shake_id == "lucky"))
    assert answer.get_json() == ShakeAnswer.of_record(record, 4).body()
    assert answer.get_json()["result"] == "win" and record.coupon.shopper_id == shopper_id


def test_redis_unreachable_is_a_503_to_retry_and_the_retry_counts_once(app, make, engine, monkeypatch):
    home = make.compound()
    _, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)

    def unreachable(*_):
        raise redis.ConnectionError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(engine, "_draw", unreachable)
        refused = make.shake(round_id, headers, shake_id="s1")
    retried = make.shake(round_id, headers, shake_id="s1")

    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.get_json()["error"]["code"] == "unavailable"
    assert retried.status_code == 200 and retried.get_json()["shakes_left"] == 2


def test_a_redis_that_forgot_the_script_is_given_it_again(app, make, engine):
    home = make.compound()
    _, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)
    engine.redis.script_flush()  # as after a Redis restart

    answer = make.shake(round_id, headers)

    assert answer.status_code == 200 and answer.get_json()["shakes_left"] == 2


def test_a_paused_campaign_stops_shakes_when_its_round_is_read_again(app, make):
    home = make.compound()
    campaign, round_id = open_round(make, home)
    _, headers = make.shopper(home=home)
    assert make.shake(round_id, headers).status_code == 200

    campaign.status = "paused"
    db.session.commit()  # the tests read rounds afresh; a server within SHAKE_ROUND_CACHE_SECONDS

    assert make.shake(round_id, headers).get_json()["error"]["code"] == "round_not_open"


def test_when_a_round_must_be_read_again_one_caller_reads_and_the_others_wait_for_it():
    engine = RedisDrawEngine(TEST_REDIS_URL, "test:stampede:", round_cache_seconds=60)
    reads, start = [], threading.Barrier(10)

    class SlowSession:
        def get(self, model, round_id, **options):
            reads.append(round_id)
            time.sleep(0.2)  # a slow database: every caller arrives while the first still reads
            return None

    def look():
        start.wait(5)
        return engine.round_view(SlowSession(), 42)

    with ThreadPoolExecutor(10) as pool:
        views = list(pool.map(lambda _: look(), range(10)))

    assert views == [None] * 10
    assert reads == [42]
    engine.close()


def count_residence_reads(monkeypatch) -> list:
    asked = []

    def counting(session, shopper_id, compound_id):
        asked.append(shopper_id)
        return lives_in(session, shopper_id, compound_id)

    monkeypatch.setattr(redis_engine, "lives_in", counting)
    return asked


def socket_shake(socket, round_id: int, shake_id: str) -> dict:
    return socket.emit("shake", {"round_id": round_id, "shake_id": shake_id}, namespace="/shopper", callback=True)


def test_who_lives_where_is_read_once_then_known_to_every_worker_through_redis(app, make, engine, monkeypatch):
    home = make.compound()
    _, round_id = open_round(make, home)
    shopper_id, headers = make.shopper(home=home)
    monkeypatch.setattr(engine, "residence_seconds", 3600)  # the tests' config reads afresh (0)
    asked = count_residence_reads(monkeypatch)
    assert make.shake(round_id, headers).status_code == 200
    assert make.shake(round_id, headers).status_code == 200

    assert asked == [shopper_id]
    assert engine.redis.ttl(engine.resident_key(shopper_id)) > 0


def test_a_shopper_from_elsewhere_is_refused_every_time_the_database_says_so(app, make, engine, monkeypatch):
    home, elsewhere = make.compound(), make.compound()
    _, round_id = open_round(make, home)
    _, stranger = make.shopper(home=elsewhere)
    monkeypatch.setattr(engine, "residence_seconds", 3600)

    first, second = make.shake(round_id, stranger), make.shake(round_id, stranger)

    assert [a.get_json()["error"]["code"] for a in (first, second)] == ["not_in_compound"] * 2
    assert not engine.redis.keys(f"{engine.prefix}shake:resident:*")


def test_a_shopper_connecting_at_home_is_known_as_a_resident_before_shaking(app, client, make, engine, monkeypatch):
    home = make.compound()
    shopper_id, headers = make.shopper(home=home)
    monkeypatch.setattr(engine, "residence_seconds", 3600)

    socket = shopper_socket(app, client, headers)

    assert socket.is_connected("/shopper")
    assert engine.redis.exists(engine.resident_key(shopper_id))


def test_a_socket_shake_at_home_takes_the_home_its_socket_read_on_connect(app, client, make, engine, monkeypatch):
    """Shoppers connect long before the van comes: by the burst, what Redis knew of them has
    expired. Their socket read their home when it connected; its shakes there ask nothing more."""
    home = make.compound()
    _, round_id = open_round(make, home)
    shopper_id, headers = make.shopper(home=home)
    socket = shopper_socket(app, client, headers)
    engine.redis.delete(engine.resident_key(shopper_id))  # expired while the shopper waited
    asked = count_residence_reads(monkeypatch)

    assert socket_shake(socket, round_id, "s-1")["result"] in ("win", "lose")
    assert asked == []
    assert make.shake(round_id, headers).status_code == 200  # over HTTP nothing is known: asked
    assert asked == [shopper_id]


def test_a_socket_shake_in_another_compound_is_checked_as_usual(app, client, make, engine, monkeypatch):
    home, elsewhere = make.compound(), make.compound()
    _, round_id = open_round(make, elsewhere)
    shopper_id, headers = make.shopper(home=home)
    socket = shopper_socket(app, client, headers)
    asked = count_residence_reads(monkeypatch)

    assert socket_shake(socket, round_id, "s-1")["error"]["code"] == "not_in_compound"
    assert asked == [shopper_id]


def test_a_shopper_who_moves_home_is_read_afresh_in_the_compound_they_left(app, make, engine, monkeypatch):
    old_home, new_home = make.compound(), make.compound()
    _, round_id = open_round(make, old_home)
    shopper_id, headers = make.shopper(home=old_home)
    monkeypatch.setattr(engine, "residence_seconds", 3600)
    asked = count_residence_reads(monkeypatch)
    assert make.shake(round_id, headers).status_code == 200  # read, then known for up to an hour

    moved = make.client.post("/api/v1/me/addresses", headers=headers, json={
        "recipient": "张三", "phone": "13800000000", "detail": "新家", "compound_id": new_home.id,
        "is_default": True})
    refused = make.shake(round_id, headers)

    assert moved.status_code == 201
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_in_compound"
    assert asked == [shopper_id, shopper_id]


def test_entering_a_store_elsewhere_forgets_the_store_compound_before(app, make, engine, monkeypatch):
    """No home address: the shopper counts as in their latest store's compound (API.md)."""
    first, second = make.compound(), make.compound()
    courier = make.courier([first, second])
    _, round_id = open_round(make, first)
    shopper_id, headers = make.shopper()
    monkeypatch.setattr(engine, "residence_seconds", 3600)
    make.store_session(headers, courier, first)
    assert make.shake(round_id, headers).status_code == 200

    make.store_session(headers, courier, second)
    refused = make.shake(round_id, headers)

    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_in_compound"


def test_residence_changes_reach_the_draw_engine_only_as_hints(app, make, engine, monkeypatch):
    """Redis away when an address is added: the address is kept, and the answer is the same."""
    def unreachable(*_):
        raise redis.ConnectionError("connection refused")

    _, headers = make.shopper()
    monkeypatch.setattr(engine, "residence_changed", unreachable)
    answer = make.client.post("/api/v1/me/addresses", headers=headers, json={
        "recipient": "张三", "phone": "13800000000", "detail": "某小区", "compound_id": make.compound().id})

    assert answer.status_code == 201
    assert make.client.get("/api/v1/me/addresses", headers=headers).get_json()["addresses"]


def test_a_win_whose_worker_died_is_finished_behind_even_if_the_shopper_never_retries(app, make, engine, monkeypatch):
    """An item win (a coupon's claim and prize are one statement): the stock claimed, then the
    worker died making the prize."""
    home = make.compound()
    product = make.product()
    _, round_id = open_round(make, home, prizes=[
        {"kind": "item", "product_id": product.id, "per_round": 5, "win_probability": 1.0}])
    release_all_stock(round_id)
    shopper_id, headers = make.shopper(home=home)
    fail_the_first_call(monkeypatch, "give_prize", "worker died after claiming the stock")
    assert make.shake(round_id, headers, shake_id="lucky").status_code == 500

    assert engine.finish_unmade_prizes(db.session, utcnow()) == 0  # too recent: its worker may still be on it
    assert engine.finish_unmade_prizes(db.session, utcnow() + redis_engine.ABANDONED_AFTER * 2) == 1
    assert engine.finish_unmade_prizes(db.session, utcnow() + redis_engine.ABANDONED_AFTER * 2) == 0

    order = db.session.scalar(select(Order))
    assert order is not None and order.shopper_id == shopper_id
    assert db.session.scalar(select(RoundShopper.wins)) == 1 and db.session.scalar(select(RoundPrize.awarded)) == 1
    retried = make.shake(round_id, headers, shake_id="lucky")  # the shopper comes back later
    assert retried.get_json()["result"] == "win" and retried.get_json()["prize"]["order"]["id"] == order.id


def test_the_shake_log_writer_looks_for_unmade_prizes_every_few_seconds(app, engine, monkeypatch):
    writer = ShakeLogWriter(app, engine)
    looked = []
    monkeypatch.setattr(engine, "finish_unmade_prizes", lambda session, now: looked.append(now) or 0)
    try:
        writer.tick()
        assert looked == []  # not in its first seconds
        writer.next_finish = 0
        writer.tick()
        writer.tick()
        assert len(looked) == 1
    finally:
        writer.redis.close()


def test_a_win_that_cannot_be_finished_does_not_hold_up_the_others(app, make, engine, monkeypatch):
    home = make.compound()
    _, round_id = open_round(make, home)
    release_all_stock(round_id)
    round_prize_id = db.session.scalar(select(RoundPrize.id))
    claimed_at = utcnow() - 2 * redis_engine.ABANDONED_AFTER
    for n in range(2):  # two claims whose workers died before making the prize
        shopper_id, _ = make.shopper(home=home)
        with quick_writes(db.session) as connection:
            assert decided_wins.claim_prize(connection, round_id, round_prize_id, shopper_id, f"s-{n}", claimed_at)
    calls = fail_the_first_call(monkeypatch, "record_decided_win", "this one cannot be finished")

    assert engine.finish_unmade_prizes(db.session, utcnow()) == 1
    assert len(calls) == 2
    assert count(Coupon) == 1
    assert engine.finish_unmade_prizes(db.session, utcnow()) == 1  # tried again later
    assert count(Coupon) == 2


def test_a_rounds_counts_outlive_it_by_a_day_then_go(app, make, engine):
    """Redis keeps a round's counts until a day after it closes (its keys' TTL), set when the
    counts begin and kept, not renewed, by later shakes."""
    home = make.compound()
    _, round_id = open_round(make, home, shakes_per_shopper=5)
    _, headers = make.shopper(home=home)
    shake_round = db.session.get(ShakeRound, round_id)
    outlives = (shake_round.closes_at + redis_engine.ROUND_KEYS_OUTLIVE - utcnow()).total_seconds()
    shakes_key = engine.round_keys(round_id)[0]

    assert make.shake(round_id, headers).status_code == 200
    first_ttl = engine.redis.ttl(shakes_key)
    engine.redis.expire(shakes_key, 1000)  # as if set long ago
    assert make.shake(round_id, headers).status_code == 200

    assert outlives - 5 <= first_ttl <= outlives
    assert 990 <= engine.redis.ttl(shakes_key) <= 1000
