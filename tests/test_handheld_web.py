"""The courier web app's server side: the page, its scripts, styles and service worker are served,
load nothing from another host, and the socket.io client comes from /vendor."""
from __future__ import annotations

import re

import pytest

URL_RE = re.compile(r"""(?:https?:)?//([^/\s"'<>?#]+)""", re.IGNORECASE)
# The page's own scripts, in load order: they share window.XiaogeHandheld, handheld.js boots.
SCRIPTS = ["/handheld/static/outbox.js", "/handheld/static/picks.js", "/handheld/static/vanload.js",
           "/handheld/static/prestock.js", "/handheld/static/earnings.js", "/handheld/static/handheld.js"]
SHELL = ["/handheld/", *SCRIPTS, "/handheld/static/handheld.css", "/vendor/socket.io.min.js"]


def served_text(client, path: str) -> tuple[object, str]:
    answer = client.get(path)
    text = answer.get_data(as_text=True)
    answer.close()
    return answer, text


def test_page_loads_the_vendored_socket_client_and_its_own_scripts(client):
    answer, html = served_text(client, "/handheld/")
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', html)
    assert scripts == ["/vendor/socket.io.min.js", *SCRIPTS]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)">', html) == ["/handheld/static/handheld.css"]
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither inline
    assert not URL_RE.findall(html), URL_RE.findall(html)


def test_page_is_locked_to_this_site_and_always_revalidated(client):
    answer, _ = served_text(client, "/handheld/")
    policy = answer.headers["Content-Security-Policy"]
    for rule in ("default-src 'self'", "script-src 'self'", "worker-src 'self'", "style-src 'self'",
                 "connect-src 'self' ws: wss:"):
        assert rule in policy
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_page_is_usable_on_a_phone(client):
    _, html = served_text(client, "/handheld/")
    assert 'name="viewport" content="width=device-width, initial-scale=1' in html
    assert 'lang="zh-CN"' in html
    for element in ('id="net"', 'id="queued"', 'id="arrived"', 'id="route"', 'id="picks"', 'id="logout"'):
        assert element in html


def test_mount_point_without_slash_redirects_to_the_app(client):
    answer = client.get("/handheld")
    assert answer.status_code == 308
    assert answer.headers["Location"].endswith("/handheld/")


@pytest.mark.parametrize("path, mimetypes", [
    *((script, ("text/javascript", "application/javascript")) for script in SCRIPTS),
    ("/handheld/static/handheld.css", ("text/css",)),
    ("/handheld/sw.js", ("text/javascript",)),
])
def test_assets_are_served_and_self_contained(client, path, mimetypes):
    answer, source = served_text(client, path)
    assert answer.status_code == 200
    assert answer.mimetype in mimetypes
    assert not URL_RE.findall(source), URL_RE.findall(source)
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source  # API data as text only
    assert "eval(" not in source and "@import" not in source


def test_script_speaks_the_courier_api_and_namespace(client):
    sources = [served_text(client, script)[1] for script in SCRIPTS]
    source = "\n".join(sources)
    assert "window.XiaogeHandheld = {" in sources[0]  # the first script opens the shared namespace
    for later in sources[1:]:
        assert "var X = window.XiaogeHandheld;" in later
    assert sources[-1].rstrip().endswith("boot();\n})();")  # the last one starts the app
    assert 'window.io("/courier", {transports: ["websocket"], auth: {token: state.token}' in source
    assert 'emit("arrived", body' in source and '"pickup_added"' in source
    for path in ('"/courier/auth"', '"/courier/arrivals"', '"/courier/pickups"', '"/courier/me"',
                 '"/courier/pickups/" + order.id + "/handover"'):
        assert path in source, path
    assert 'indexedDB.open("xiaoge-handheld"' in source  # the durable outbox
    assert 'inputmode: "numeric"' in source  # the numeric keypad for pickup codes


def test_service_worker_caches_exactly_the_shell_and_every_shell_file_is_served(client):
    answer, source = served_text(client, "/handheld/sw.js")
    assert answer.headers["Cache-Control"] == "no-cache"  # a new shell is noticed at once
    assert f"var SHELL = {SHELL!r};".replace("'", '"') in source
    assert re.search(r'var CACHE = "xiaoge-handheld-[0-9a-f]{16}";', source)
    for path in SHELL:
        shell_answer, _ = served_text(client, path)
        assert shell_answer.status_code == 200, path


def test_service_worker_version_follows_the_shell_files(monkeypatch, tmp_path):
    from app import handheld_web

    assert {"outbox.js", "picks.js", "handheld.js"} <= {path.name for path in handheld_web.SHELL_FILES}
    before = handheld_web.shell_version()
    changed = tmp_path / "handheld.js"
    changed.write_text("changed")
    monkeypatch.setattr(handheld_web, "SHELL_FILES", handheld_web.SHELL_FILES[:-1] + [changed])
    assert handheld_web.shell_version() != before
