"""The H5 landing page /s/<courier_code>."""
from __future__ import annotations

import re

import pytest

from app import create_app
from app.extensions import db
from app.models import Compound, Courier
from app.services.couriers.codes import new_courier_code

PUBLIC_URL = "https://xiaoge.example.com"
URL_RE = re.compile(r"""https?://([^/\s"'<>?#]+)""", re.IGNORECASE)


@pytest.fixture
def app():
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "PUBLIC_URL": PUBLIC_URL,
    })
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


@pytest.fixture
def client(app):
    return app.test_client()


def add_courier(name="王小明", compounds=("阳光花园", "翠湖苑"), avatar_url=None, code=None):
    places = [
        Compound(name=n, city="上海", lat=31.2 + i / 100, lng=121.4, radius_m=300)
        for i, n in enumerate(compounds)
    ]
    courier = Courier(
        employee_no=new_courier_code()[:8],
        name=name,
        password_hash="x",
        avatar_url=avatar_url,
        courier_code=code or new_courier_code(),
        compounds=places,
    )
    db.session.add(courier)
    db.session.commit()
    return courier


def external_hosts(html: str) -> set[str]:
    return {host.lower() for host in URL_RE.findall(html)} - {"xiaoge.example.com"}


def test_page_shows_the_courier_and_the_route(client):
    courier = add_courier()
    response = client.get(f"/s/{courier.courier_code}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "王小明" in html
    assert "阳光花园" in html and "翠湖苑" in html
    assert "请在微信中打开" in html and "Open in WeChat" in html
    assert f'href="{PUBLIC_URL}/s/{courier.courier_code}"' in html
    assert 'name="viewport"' in html
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_placeholder_initial_without_avatar_and_image_with_one(client):
    plain = add_courier(name="李娜")
    html = client.get(f"/s/{plain.courier_code}").get_data(as_text=True)
    assert "avatar-initial" in html and ">李<" in html
    assert "<img" not in html

    avatar = "https://avatars.example.net/c/42.jpg"
    pictured = add_courier(name="张三", compounds=("碧水湾",), avatar_url=avatar)
    html = client.get(f"/s/{pictured.courier_code}").get_data(as_text=True)
    assert f'src="{avatar}"' in html
    assert 'referrerpolicy="no-referrer"' in html


def test_unsafe_avatar_url_is_not_rendered(client):
    courier = add_courier(avatar_url="javascript:alert(1)")
    html = client.get(f"/s/{courier.courier_code}").get_data(as_text=True)
    assert "javascript:alert" not in html


def test_courier_without_compounds(client):
    courier = add_courier(compounds=())
    response = client.get(f"/s/{courier.courier_code}")
    assert response.status_code == 200
    assert "暂无配送小区" in response.get_data(as_text=True)


def test_names_are_escaped(client):
    courier = add_courier(name="<script>alert(1)</script>", compounds=("<b>x</b>",))
    html = client.get(f"/s/{courier.courier_code}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize("code", ["nope", "x" * 16, "y" * 500, "%E4%B8%AD"])
def test_unknown_code_is_a_404_html_page(client, code):
    add_courier()
    response = client.get(f"/s/{code}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "找不到这位小哥" in html and "Courier not found" in html
    assert "web.css" in html  # same style as the store page
    assert not external_hosts(html)


def test_no_external_hosts_on_the_page(client):
    courier = add_courier()
    html = client.get(f"/s/{courier.courier_code}").get_data(as_text=True)
    assert not external_hosts(html), external_hosts(html)
    assert not re.search(r"""(src|href)\s*=\s*["']//""", html)  # no protocol-relative links


def test_only_the_couriers_own_avatar_is_external(client):
    courier = add_courier(avatar_url="https://avatars.example.net/c/42.jpg")
    html = client.get(f"/s/{courier.courier_code}").get_data(as_text=True)
    assert external_hosts(html) == {"avatars.example.net"}


def test_stylesheet_is_served_by_the_blueprint(client):
    courier = add_courier()
    html = client.get(f"/s/{courier.courier_code}").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert href.startswith("/web-static/")
    css = client.get(href)
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert "@import" not in css.get_data(as_text=True)
    assert not external_hosts(css.get_data(as_text=True))
    css.close()
