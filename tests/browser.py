"""Playwright on Debian's chromium, shared by the browser tests (never `playwright install`).

Outside CI a machine without chromium or playwright skips these tests with the reason; in
CI (CI=true) that is a failure, so a broken set-up cannot pass as green.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("XIAOGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STEP_TIMEOUT_MS = 10_000
DOCS = Path(__file__).resolve().parents[1] / "docs"


def unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the run; each test opens a context of its own (watched_page).

    Not one per module: the SQLite and PostgreSQL halves of the run would launch it twice each."""
    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    sync_api.expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot(page, name: str, tmp_dir: Path, full_page: bool = False) -> Path:
    """Save a screenshot: into docs/ when XIAOGE_SCREENSHOTS=1 (`make screenshots`), else tmp_dir.

    Written with Python, not screenshot(path=...): Playwright writes files from an executor
    thread, which would outlive the live server and fail its leftover-thread check.
    """
    directory = DOCS if os.environ.get("XIAOGE_SCREENSHOTS") == "1" else tmp_dir
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_bytes(page.screenshot(full_page=full_page))
    return path


PHONE = dict(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
             locale="zh-CN")


@contextlib.contextmanager
def watched_page(browser, live_server, is_problem, **context_options):
    """A page on the live server that fails the test on any script error, any console error
    `is_problem` does not excuse, or any error the server logged."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.set_default_navigation_timeout(STEP_TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda note: is_problem(note) and problems.append(f"console: {note.text}"))
    try:
        yield page
        assert not problems, problems
        assert not live_server.errors, live_server.errors
    finally:
        context.close()
