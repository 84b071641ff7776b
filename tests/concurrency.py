"""Real concurrency for tests: requests released together from threads, one test client each."""
from __future__ import annotations

import threading
from typing import Callable

from app.extensions import db


def at_once(app, calls: list[Callable]) -> list[tuple]:
    """Run each call(client) in its own thread, all released by one barrier; (status, json) in order.

    A call that raises yields ("exception", repr) so the test sees it instead of losing it.
    """
    db.session.close()  # the test's own session must hold no connection or SQLite lock meanwhile
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            answer = call(client)
            results[index] = (answer.status_code, answer.get_json(silent=True))
        except Exception as exc:
            results[index] = ("exception", repr(exc))

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def error_code(result: tuple) -> str | None:
    """The error code of an at_once result, or None for a success."""
    status, body = result
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def order_request(headers, session_id: int, product_id: int, key: str) -> Callable:
    """A call(client) ordering one unit of a product (by id: no ORM object crosses into the threads)."""
    body = {"store_session_id": session_id, "items": [{"product_id": product_id, "quantity": 1}]}
    keyed = {**headers, "Idempotency-Key": key}
    return lambda client: client.post("/api/v1/orders", json=body, headers=keyed)


def orders_by_new_shoppers(make, home, courier, product_id: int, shoppers: int, orders_each: int,
                           prefix: str) -> list[Callable]:
    """`shoppers` new shoppers living at `home`, each in the courier's store with `orders_each`
    calls ordering one unit of the product (keep `orders_each` within the open-order cap, 5)."""
    calls = []
    for n in range(shoppers):
        headers = make.shopper(home=home)[1]
        session_id = make.store_session(headers, courier)
        calls += [order_request(headers, session_id, product_id, f"{prefix}-{n}-{k}")
                  for k in range(orders_each)]
    return calls
