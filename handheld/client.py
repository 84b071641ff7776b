"""HTTP client for the courier API (API.md, "Courier"): a timeout on every call, typed failures.

Two ways a call fails, and the outbox treats them differently:
`Unreachable` (no answer: no network, refused connection, timeout) and
`Refused(status, code, message)` (the server answered with an error).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import requests

# (connect, read) seconds: a van on patchy data must not hang on a dead link.
DEFAULT_TIMEOUT = (5.0, 15.0)


class ClientError(Exception):
    """Any failure of a courier API call."""


class Unreachable(ClientError):
    """No answer from the server; nothing is known about whether it acted."""


class Refused(ClientError):
    """The server answered with an error status and API.md's error body."""

    def __init__(self, status: int, code: str, message: str, body: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.body = body or {}


@dataclass
class Reply:
    """A successful answer: 201 first time, 200 for a replayed tap."""

    status: int
    body: dict = field(default_factory=dict)


class CourierClient:
    """The courier's side of the REST API, for one server and (after sign-in) one token."""

    def __init__(self, server: str, token: str | None = None, timeout=DEFAULT_TIMEOUT,
                 session: requests.Session | None = None):
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.http = session or requests.Session()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CourierClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def sign_in(self, employee_no: str, password: str) -> dict:
        """POST /courier/auth; remembers the token; returns the answer body."""
        body = self.call("POST", "/courier/auth", {"employee_no": employee_no, "password": password}).body
        self.token = body["token"]
        return body

    def me(self) -> dict:
        return self.call("GET", "/courier/me").body["courier"]

    def pickups(self, compound_id: int | None = None) -> list[dict]:
        query = {"compound_id": compound_id} if compound_id is not None else None
        return self.call("GET", "/courier/pickups", query=query).body["orders"]

    def loading_list(self, day: str | None = None) -> dict:
        """GET /courier/prestock: the day's loading list (装车单), today by default."""
        return self.call("GET", "/courier/prestock", query={"date": day} if day else None).body

    def confirm_loading_list(self, day: str) -> dict:
        """POST /courier/prestock/confirm: the day's list becomes the van load; returns the van load."""
        return self.call("POST", "/courier/prestock/confirm", {"date": day}).body["van_load"]

    def arrive(self, body: dict) -> Reply:
        """POST /courier/arrivals with a tap's body (event_id, compound_id, occurred_at, ...)."""
        return self.call("POST", "/courier/arrivals", body)

    def handover(self, order_id: int, body: dict) -> Reply:
        """POST /courier/pickups/<order_id>/handover with {"pickup_code", "event_id"}."""
        return self.call("POST", f"/courier/pickups/{int(order_id)}/handover", body)

    def send_tap(self, kind: str, body: dict) -> Reply:
        """Deliver one outbox tap; the transport the outbox calls."""
        if kind == "arrived":
            return self.arrive(body)
        if kind == "handover":
            payload = {key: value for key, value in body.items() if key != "order_id"}
            return self.handover(body["order_id"], payload)
        raise ValueError(f"unknown tap kind {kind!r}")

    def call(self, method: str, path: str, json: dict | None = None, query: dict | None = None) -> Reply:
        """One request; 2xx -> Reply, an error answer -> Refused, no answer -> Unreachable."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            answer = self.http.request(method, f"{self.server}/api/v1{path}", json=json, params=query,
                                       headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise Unreachable(describe_network_error(error)) from None
        try:
            body = answer.json()
        except ValueError:
            body = None
        if 200 <= answer.status_code < 300 and isinstance(body, dict):
            return Reply(answer.status_code, body)
        if 200 <= answer.status_code < 300:
            # A captive portal or proxy answering for the server: we did not reach it.
            raise Unreachable(f"unexpected answer from {self.server} (not the Xiaoge API)")
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            # A proxy's error page, not ours: keep the HTTP status, invent nothing else.
            raise Refused(answer.status_code, "http_error", f"HTTP {answer.status_code}", {})
        code, message = str(error.get("code", "error")), str(error.get("message", ""))
        raise Refused(answer.status_code, code, message, body)


def describe_network_error(error: requests.RequestException) -> str:
    """A short reason a courier understands."""
    if isinstance(error, requests.Timeout):
        return "server did not answer in time"
    if isinstance(error, requests.ConnectionError):
        return "server unreachable"
    return f"network error ({type(error).__name__})"
