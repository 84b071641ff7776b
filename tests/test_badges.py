"""Courier badges: the QR code must decode to the store link, whatever the avatar."""
from __future__ import annotations

import io
import os
import re
import struct
import zlib

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from app.services.couriers import badges
from app.services.couriers.badges import placeholder_avatar, render_badge
from app.services.couriers.codes import new_courier_code

STORE_URL = "https://xiaoge.example.com/s/" + "Ab3_-x9QzT0kLm2N"


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def sample_avatar(fmt: str = "PNG") -> bytes:
    img = Image.new("RGB", (320, 240), "#3B82F6")
    draw = ImageDraw.Draw(img)
    draw.ellipse((110, 40, 210, 140), fill="#FDE68A")
    draw.rectangle((80, 160, 240, 240), fill="#1E3A8A")
    return png_bytes(img, fmt)


def pixels(png: bytes) -> bytes:
    return Image.open(io.BytesIO(png)).tobytes()


def decode(png: bytes) -> list:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))


def assert_scans_to(png: bytes, url: str) -> None:
    found = decode(png)
    assert [r.text for r in found] == [url]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].ec_level in {"M", "Q"}


@pytest.fixture(autouse=True)
def fresh_font_caches():
    """Font look-ups are cached per process; tests that fake the machine must not leak."""
    def clear():
        badges.find_cjk_font.cache_clear()
        badges._font.cache_clear()
        badges._cjk_ok.cache_clear()

    clear()
    yield
    clear()


@pytest.mark.parametrize("avatar", [None, "png", "jpeg", "rgba"])
def test_badge_scans_to_the_store_url(avatar):
    data = {
        None: None,
        "png": sample_avatar("PNG"),
        "jpeg": sample_avatar("JPEG"),
        "rgba": png_bytes(Image.new("RGBA", (50, 80), (255, 0, 0, 90))),
    }[avatar]
    png = render_badge(store_url=STORE_URL, name="王小明", employee_no="SF10086", avatar=data)
    assert_scans_to(png, STORE_URL)


BROKEN = [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b""]


@pytest.mark.parametrize("garbage", BROKEN)
def test_broken_avatar_falls_back_to_the_placeholder(garbage):
    png = render_badge(store_url=STORE_URL, name="李娜", employee_no="7", avatar=garbage)
    assert_scans_to(png, STORE_URL)
    # The placeholder badge is the same picture as the one without an avatar.
    plain = render_badge(store_url=STORE_URL, name="李娜", employee_no="7", avatar=None)
    assert pixels(png) == pixels(plain)


def test_real_avatar_changes_the_picture():
    with_avatar = render_badge(
        store_url=STORE_URL, name="李娜", employee_no="7", avatar=sample_avatar()
    )
    without = render_badge(store_url=STORE_URL, name="李娜", employee_no="7", avatar=None)
    assert pixels(with_avatar) != pixels(without)


def test_oversized_avatar_is_refused_without_decoding():
    """A PNG header claiming 7000 x 7000 px (49 MP) is not decoded: placeholder instead."""
    raw = bytearray(png_bytes(Image.new("RGB", (1, 1), "red")))
    ihdr = raw.index(b"IHDR")
    raw[ihdr + 4:ihdr + 12] = struct.pack(">II", 7000, 7000)
    raw[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(raw[ihdr:ihdr + 17])))
    png = render_badge(store_url=STORE_URL, name="Ann", employee_no="1", avatar=bytes(raw))
    assert_scans_to(png, STORE_URL)


def test_badge_is_a_portrait_png_for_print():
    png = render_badge(store_url=STORE_URL, name="王小明", employee_no="SF10086", avatar=None)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG"
    assert img.size == (600, 900)
    assert img.mode == "RGB"
    assert round(img.info["dpi"][0]) == 300
    assert img.getpixel((300, 895)) != (255, 255, 255)  # brand strip at the foot
    assert img.getpixel((5, 600)) == (255, 255, 255)  # white card around the code


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5000/s/" + "q" * 16,
        "https://xiaoge-store.example-logistics.com.cn/s/" + "Z" * 40,
    ],
)
def test_short_and_long_links_both_scan(url):
    png = render_badge(store_url=url, name="A", employee_no="1", avatar=None)
    assert_scans_to(png, url)


def test_long_names_and_odd_input_do_not_break_the_badge():
    name = "Maximilian Alexander Featherstonehaugh-Wellington the Third"
    png = render_badge(store_url=STORE_URL, name=name, employee_no="SF-" + "9" * 30, avatar=None)
    assert_scans_to(png, STORE_URL)
    png = render_badge(store_url=STORE_URL, name="", employee_no="", avatar=None)
    assert_scans_to(png, STORE_URL)


def test_without_any_cjk_font_the_default_font_is_used(monkeypatch):
    monkeypatch.setattr(badges, "CJK_FONT_CANDIDATES", {"bold": (), "regular": ()})
    monkeypatch.setattr(badges.shutil, "which", lambda name: None)
    assert badges.find_cjk_font() is None
    assert badges._font(30).getname()[0] == "Aileron"  # Pillow's built-in font
    png = render_badge(store_url=STORE_URL, name="王小明", employee_no="SF10086", avatar=None)
    assert_scans_to(png, STORE_URL)


def test_font_lookup_returns_an_existing_font_or_none():
    found = badges.find_cjk_font()
    if found is not None:
        path, index = found
        assert os.path.isfile(path) and index >= 0


def test_placeholder_avatar_is_a_coloured_disc():
    img = placeholder_avatar("王小明")
    assert img.mode == "RGBA" and img.width == img.height
    assert img.getpixel((0, 0))[3] == 0  # transparent outside the circle
    edge = img.getpixel((img.width // 2, 8))
    assert edge[3] == 255 and edge[:3] != (255, 255, 255)
    assert placeholder_avatar("王小明").tobytes() == img.tobytes()  # stable per name
    assert placeholder_avatar("", 64).size == (64, 64)  # no name: a silhouette


def test_courier_codes_are_unique_url_safe_and_long():
    codes = [new_courier_code() for _ in range(1000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{16,40}", code), code
