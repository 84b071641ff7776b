"""Assertions shared by the test modules: API.md's error shape, and what a badge's QR code says."""
from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO

import zxingcpp
from PIL import Image


def assert_error(answer, status: int, code: str | None = None, beside: Iterable[str] = ()) -> dict:
    """The answer is API.md's error shape, `{"error": {"code", "message", ...}}` (and the keys
    `beside` it, if any), with this status (and code); a 422 `invalid_request` also names its
    `fields`. Returns the error."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    body = answer.get_json()
    assert isinstance(body, dict) and set(body) == {"error", *beside}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    if error["code"] == "invalid_request":
        assert isinstance(error["fields"], dict) and error["fields"], error
        assert all(isinstance(why, str) and why for why in error["fields"].values()), error
    return error


def assert_invalid(answer, *names: str) -> dict:
    """A 422 `invalid_request` whose `fields` names each of `names`; returns the error."""
    error = assert_error(answer, 422, "invalid_request")
    for name in names:
        assert name in error["fields"], error["fields"]
    return error


def badge_texts(png: bytes) -> list[str]:
    """What the QR codes on a badge image say."""
    return [found.text for found in zxingcpp.read_barcodes(Image.open(BytesIO(png)))]
