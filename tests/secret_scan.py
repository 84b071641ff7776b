"""A pytest plugin (loaded by tests/conftest.py): no secret in any log record of the whole suite.

One handler on the root logger sees every record at INFO and above (what production logs):
each message is searched once for the fixed secrets of the suite (SECRET_KEYs, the sandbox's
WeChat secret, the factories' passwords, the WeChat Pay APIv3 key), for argon2 hashes and PEM
private keys, and for the token-shaped and
session_key-shaped words in it, which are looked up among the bearer tokens the suite issued
and the session_keys the sandbox handed out. A hit is a leak: the run fails, naming the test
and the line. Cost: a substring test and one regex pass per record.
"""
from __future__ import annotations

import logging
import os
import re

import pytest

from app.services.accounts.tokens import TokenService
from wechat.sandbox import SANDBOX_SECRET
from wechat.sandbox.server import SandboxState

FIXED_SECRETS = ["test-secret", "handheld-test-secret", SANDBOX_SECRET, "courier-pass", "staff-password",
                 "$argon2", "PRIVATE KEY-----"]
# itsdangerous' signed tokens (payload.timestamp.signature) and 16-byte keys in base64.
TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{16,}")
KEY_SHAPED = re.compile(r"[A-Za-z0-9+/]{22}==")
# Access lines of the stand-in WeChat servers the tests run: WeChat's own API takes its secret in
# the query string (that is its protocol), and WeChat's side of the wire may log it.
WECHAT_SIDE = re.compile(r"GET /(sns|cgi-bin)/")


class SecretScan(logging.Handler):
    """Remembers what the suite handed out, and every log record that shows any of it."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.issued: set[str] = set()  # bearer tokens and session_keys
        self.leaks: list[str] = []

    def secrets_in(self, text: str) -> list[str]:
        found = [secret for secret in FIXED_SECRETS if secret in text]
        words = TOKEN_SHAPED.findall(text) + KEY_SHAPED.findall(text)
        found += [word for word in words if word in self.issued]
        return found

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001  (a bad format string is the logger's bug, not a leak)
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]}"
        found = self.secrets_in(text)
        if found and not (record.name == "werkzeug" and WECHAT_SIDE.search(text)):
            where = os.environ.get("PYTEST_CURRENT_TEST", "(outside a test)")
            self.leaks.append(f"{where}: {record.name} {record.levelname}: {found} in {text[:300]!r}")


SCAN = SecretScan()
WORKER_LEAKS = "secret_scan_leaks"


def remember_secret(secret: str) -> None:
    """A secret the suite made at run time (the WeChat Pay APIv3 key): no log record may show it."""
    FIXED_SECRETS.append(secret)


def remember_issued() -> None:
    """Note every bearer token the app issues and every session_key the sandbox hands out."""
    issue, redeem = TokenService.issue, SandboxState.redeem_login_code

    def issue_and_remember(self, *args, **kwargs):
        token = issue(self, *args, **kwargs)
        SCAN.issued.add(token)
        return token

    def redeem_and_remember(self, code):
        errcode, session = redeem(self, code)
        if session:
            SCAN.issued.add(session["session_key"])
        return errcode, session

    TokenService.issue = issue_and_remember
    SandboxState.redeem_login_code = redeem_and_remember


def pytest_configure(config) -> None:
    remember_issued()


@pytest.fixture(autouse=True)
def secret_scan():
    """Keep the scan on the root logger at INFO: Alembic's fileConfig (migrations) resets both."""
    root = logging.getLogger()
    if SCAN not in root.handlers:
        root.addHandler(SCAN)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return SCAN


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """Under xdist (`make test`): each worker scans its own records and hands its leaks to the
    controller when it finishes (pytest_sessionfinish below, on the worker), which reports them."""
    SCAN.leaks.extend(getattr(node, "workeroutput", {}).get(WORKER_LEAKS, []))


def pytest_sessionfinish(session, exitstatus) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_LEAKS] = list(SCAN.leaks)
    if SCAN.leaks and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if SCAN.leaks:
        terminalreporter.section("secrets in log records (tests/secret_scan.py)", red=True)
        for leak in SCAN.leaks[:50]:
            terminalreporter.line(leak)
