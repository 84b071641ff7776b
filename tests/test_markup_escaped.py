"""Markup written by shoppers (nickname, recipient, address detail) or staff (names) is shown as text.

Server pages are Jinja with autoescape: the markup stored through the API comes back escaped in
every console page, the H5 store page and the handheld page. The browser apps build their DOM
with textContent (app/handheld_web/static/outbox.js `h`, app/web/static): no HTML parsing of
data anywhere (the browser side: tests/test_browser_markup.py).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.console_web import console_fixture  # noqa: F401  (the fixture `console`)

pytestmark = pytest.mark.one_database  # rendering, not storage

MARKUP = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
STATIC = Path(__file__).resolve().parents[1] / "app"
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\.html\(")
# The one sink allowed: the campaign form clones a server-rendered <template> of its own (no data).
ALLOWED_SINKS = {("console/static/console.js", "holder.innerHTML = html;")}


def set_nickname(client, sandbox, headers, openid: str, nickname: str) -> None:
    info = sandbox.app.test_client().post("/sandbox/user-info", json={"openid": openid, "nickname": nickname})
    answer = client.post("/api/v1/me/profile", json=info.get_json(), headers=headers)
    assert answer.status_code == 200 and answer.get_json()["shopper"]["nickname"] == nickname


def shopper_text_everywhere(client, make, sandbox):
    """A compound and courier named with markup; a shopper whose nickname, recipient and address
    detail are markup, holding a won item on the courier's pick list."""
    home = make.compound(name=f"阳光{MARKUP}")
    courier = make.courier([home], name=f"王{MARKUP}")
    product = make.product(name=f"米{MARKUP}")
    campaign = make.campaign([home], prizes=[{"kind": "item", "product_id": product.id, "per_round": 5,
                                               "win_probability": 1.0}])
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]
    _, headers = make.shopper(openid="markup-shopper")
    set_nickname(client, sandbox, headers, "markup-shopper", MARKUP)
    added = client.post("/api/v1/me/addresses", headers=headers, json={
        "recipient": MARKUP, "phone": "13800000000", "detail": MARKUP, "compound_id": home.id,
        "is_default": True})
    assert added.status_code == 201, added.get_json()
    won = make.shake(round_id, headers).get_json()
    assert won["result"] == "win", won
    return home, courier, campaign


def test_markup_in_shopper_and_staff_text_is_escaped_on_every_server_page(client, make, sandbox, console):
    home, courier, campaign = shopper_text_everywhere(client, make, sandbox)
    pickups = client.get("/api/v1/courier/pickups", headers=make.courier_headers(courier)).get_json()
    assert pickups["orders"][0]["shopper"]["nickname"] == MARKUP  # the API hands it out as it is
    admin = console("admin")
    pages = ["/console/", "/console/compounds", "/console/couriers", f"/console/couriers/{courier.id}",
             "/console/campaigns", f"/console/campaigns/{campaign.id}",
             f"/console/campaigns/{campaign.id}/live",
             "/console/products", "/console/deals", "/console/coupons", "/console/reports", "/console/audit",
             "/console/staff"]
    shown = {path: admin.get(path) for path in pages}
    shown[f"/s/{courier.courier_code}"] = client.get(f"/s/{courier.courier_code}")
    shown["/handheld/"] = client.get("/handheld/")
    for path, answer in shown.items():
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, path
        assert "<img src=x" not in html, path
    assert ESCAPED in shown["/console/compounds"].get_data(as_text=True)  # shown, as text
    assert ESCAPED in shown[f"/s/{courier.courier_code}"].get_data(as_text=True)
    assert ESCAPED in shown["/console/couriers"].get_data(as_text=True)


def test_the_browser_apps_never_parse_data_as_html():
    found = set()
    for script in sorted(STATIC.glob("*/static/*.js")):
        for line in script.read_text(encoding="utf-8").splitlines():
            if HTML_SINKS.search(line):
                found.add((str(script.relative_to(STATIC)), line.strip()))
    assert found <= ALLOWED_SINKS, found - ALLOWED_SINKS
