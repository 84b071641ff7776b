"""Query arguments and answers of paged lists: `?limit=&cursor=` -> `{"<plural>", "next_cursor"}`."""
from __future__ import annotations

import base64
import binascii

from marshmallow import ValidationError, fields, validate

from app.schemas.base import MAX_ID, In
from app.services.paging import DEFAULT_LIMIT, MAX_LIMIT, OWN_LIST_LIMIT

CURSOR_PREFIX = "after:"


class Cursor(fields.Field):
    """An opaque position in a list (base64url of the last id shown); clients pass it back as is."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{value}".encode()).decode().rstrip("=")

    def _deserialize(self, value, attr, data, **kwargs):
        after = decoded_cursor(value) if isinstance(value, str) else None
        if after is None:
            raise ValidationError("is not a cursor this list gave out")
        return after


def decoded_cursor(text: str) -> int | None:
    """The id a cursor stands for, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    number = raw.removeprefix(CURSOR_PREFIX)
    if raw == number or not number.isdigit() or len(number) > 19:
        return None
    return int(number) if 1 <= int(number) <= MAX_ID else None


class PageArgs(In):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": f"rows per page, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})"})
    cursor = Cursor(load_default=None, metadata={"type": "string",
                                                 "description": "`next_cursor` of the page before"})


def NextCursor():
    return Cursor(allow_none=True, attribute="next_cursor", metadata={
        "type": "string", "nullable": True, "description": "pass as `cursor` for the next page; null on the last"})


class OwnListArgs(PageArgs):
    """`?limit=&cursor=` of a shopper's or courier's own list: 1-100 a page, 100 by default."""

    limit = fields.Integer(load_default=OWN_LIST_LIMIT, validate=validate.Range(min=1, max=OWN_LIST_LIMIT),
                           metadata={"description": f"rows per page, 1-{OWN_LIST_LIMIT} (default {OWN_LIST_LIMIT})"})


def own_list(key: str, items: list, next_after: int | None) -> dict:
    """A shopper's or courier's list answer: `{key: items}` as API.md has it, and `next_cursor`
    only when there is more (so a list that fits one page answers exactly what it did before)."""
    return {key: items} if next_after is None else {key: items, "next_cursor": next_after}
