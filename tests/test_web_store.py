"""The H5 store's server side: demo login, the scripts the page loads, the store script."""
from __future__ import annotations

import re

import pytest

from tests.factories import bearer

STORE_SCRIPTS = ["xiaoge.js", "storefront.js", "groups.js", "shop.js", "shake.js", "store.js"]  # in load order
URL_RE = re.compile(r"""(?:https?:)?//([^/\s"'<>?#]+)""", re.IGNORECASE)


def demo_login(client, courier):
    return client.post(f"/s/{courier.courier_code}/demo-login")


def test_demo_login_is_not_found_outside_demo_mode(app, client, make):
    courier = make.courier()
    app.config["XIAOGE_DEMO"] = False
    answer = demo_login(client, courier)
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/s/{courier.courier_code}/demo-login").status_code in (404, 405)


def test_demo_login_gives_a_working_shopper_token(app, client, make):
    courier = make.courier()
    app.config["XIAOGE_DEMO"] = True
    answer = demo_login(client, courier)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert set(body) == {"token", "expires_in", "shopper"}
    assert body["expires_in"] == app.config["SHOPPER_TOKEN_TTL"]
    assert set(body["shopper"]) == {"id", "nickname", "avatar_url", "has_phone"}
    wallet = client.get("/api/v1/me/coupons", headers=bearer(body["token"]))
    assert wallet.status_code == 200
    assert wallet.get_json() == {"coupons": []}


def test_each_demo_login_is_a_new_shopper(app, client, make):
    courier = make.courier()
    app.config["XIAOGE_DEMO"] = True
    first, second = demo_login(client, courier).get_json(), demo_login(client, courier).get_json()
    assert first["shopper"]["id"] != second["shopper"]["id"]


def test_demo_token_opens_the_couriers_store(app, client, make):
    compound = make.compound()
    courier = make.courier([compound])
    make.coupon_template([compound])
    app.config["XIAOGE_DEMO"] = True
    headers = bearer(demo_login(client, courier).get_json()["token"])
    session_id = make.store_session(headers, courier, compound)
    front = client.get(f"/api/v1/store-sessions/{session_id}/storefront", headers=headers)
    assert front.status_code == 200
    coupon_id = front.get_json()["coupons"][0]["id"]
    assert client.post(f"/api/v1/coupons/{coupon_id}/claims", headers=headers).status_code == 201


def test_demo_login_for_an_unknown_courier_is_a_404(app, client):
    app.config["XIAOGE_DEMO"] = True
    answer = client.post("/s/no-such-courier/demo-login")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "unknown_courier"


def test_demo_login_without_the_sandbox_is_wechat_unavailable(app, client, make):
    courier = make.courier()
    app.config.update(XIAOGE_DEMO=True, WECHAT_API_BASE="http://127.0.0.1:9")
    answer = demo_login(client, courier)
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "wechat_unavailable"


@pytest.mark.parametrize("demo", [False, True])
def test_page_loads_the_vendored_socket_client_and_the_store_script(app, client, make, demo):
    courier = make.courier()
    app.config["XIAOGE_DEMO"] = demo
    page = client.get(f"/s/{courier.courier_code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<script src="/vendor/socket.io.min.js" defer></script>' in html
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', html)
    assert scripts == ["/vendor/socket.io.min.js"] + [f"/web-static/{name}" for name in STORE_SCRIPTS]
    # The demo's one link elsewhere: the sandbox's WeChat Pay page, where a shopper outside WeChat pays.
    pay_page = f"{app.config['WECHATPAY_API_BASE']}/sandbox/pay/page" if demo else ""
    assert f'data-pay-page="{pay_page}"' in html
    assert not URL_RE.findall(html.replace("http://shop.test/", "").replace(pay_page, "")), URL_RE.findall(html)
    assert "<script>" not in html  # no inline scripts: the CSP allows only 'self'
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert ('id="demo-login"' in html) is demo
    assert "请在微信中打开" in html  # the WeChat call to action, for visitors without JS too


def test_route_chips_carry_compound_ids_for_the_chooser(client, make):
    first, second = make.compound(), make.compound()
    courier = make.courier([first, second])
    html = client.get(f"/s/{courier.courier_code}").get_data(as_text=True)
    assert f'<li data-compound-id="{first.id}">{first.name}</li>' in html
    assert f'<li data-compound-id="{second.id}">{second.name}</li>' in html


def served_script(client, name: str) -> str:
    script = client.get(f"/web-static/{name}")
    assert script.status_code == 200, name
    assert script.mimetype in ("text/javascript", "application/javascript")
    source = script.get_data(as_text=True)
    script.close()
    return source


@pytest.mark.parametrize("name", STORE_SCRIPTS)
@pytest.mark.one_database
def test_store_scripts_are_served_and_self_contained(client, name):
    source = served_script(client, name)
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source  # API data as text only
    assert "eval(" not in source
    assert not URL_RE.findall(source), URL_RE.findall(source)
    assert source.rstrip().endswith("})(window.Xiaoge = window.Xiaoge || {});")


@pytest.mark.one_database
def test_store_script_speaks_the_shopper_namespace(client):
    page, shake = served_script(client, "store.js"), served_script(client, "shake.js")
    assert 'io("/shopper", {transports: ["websocket"], auth: {token: X.client.token}})' in page
    for event in ("enter_store", "shake_open", "shake_closed", "van_arrived", '"live"'):
        assert f'"{event.strip(chr(34))}"' in page, event
    assert 'emit("shake", {round_id: roundId, shake_id: shakeId}' in shake
    assert "/api/v1/shake-rounds/" in shake  # the REST fallback, same shake_id


@pytest.mark.one_database
def test_vendored_socket_client_is_served(client):
    answer = client.get("/vendor/socket.io.min.js")
    assert answer.status_code == 200
    assert b"io" in answer.get_data()
    answer.close()
