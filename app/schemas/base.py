"""Request field rules shared by every schema, each decided once here.

Strict JSON types, bounded strings, ids a BIGINT can hold, times with an offset inside a
sane range, URLs a browser will not run, and no text a database cannot store.
"""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

MAX_FEN = 100_000_000  # one million yuan: anything above is a typo
MAX_ID = 2**63 - 1  # the largest BIGINT: a bigger id names nothing and would overflow the driver
# Business dates: outside this is a typo, and years near 1 or 9999 overflow on conversion to UTC.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def unstorable_text(value) -> str | None:
    """Why no database could keep this JSON value's text (NUL for PostgreSQL, lone surrogates
    for UTF-8), or None. A loop, not recursion: the nesting depth is the client's."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "must not contain NUL characters"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "is not valid Unicode text"
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
    return None


class In(Schema):
    """A request body. Unknown fields are ignored so older servers accept newer clients;
    text no database can store is refused, naming the field."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def refuse_unstorable_text(self, data, **kwargs):
        if not isinstance(data, dict):
            return data  # marshmallow itself answers "Invalid input type."
        declared = {field.data_key or name for name, field in self.fields.items() if not field.dump_only}
        bad = {name: why for name, value in data.items()
               if name in declared and (why := unstorable_text(value))}
        if bad:
            raise ValidationError(bad)
        return data


def _validators(own, kw) -> list:
    extra = kw.pop("validate", None)
    if extra is None:
        return [own]
    return [own, *(extra if isinstance(extra, (list, tuple)) else [extra])]


def Id(**kw):
    return fields.Integer(strict=True, validate=_validators(validate.Range(min=1, max=MAX_ID), kw), **kw)


def QueryId(**kw):
    """An id in a query string, where every value is text: "12" is fine there."""
    return fields.Integer(validate=_validators(validate.Range(min=1, max=MAX_ID), kw), **kw)


def Fen(**kw):
    return fields.Integer(strict=True, validate=_validators(validate.Range(min=0, max=MAX_FEN), kw), **kw)


def Count(minimum: int = 0, maximum: int = 1_000_000, **kw):
    return fields.Integer(strict=True, validate=_validators(validate.Range(min=minimum, max=maximum), kw), **kw)


class TrimmedString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def Text(max_length: int, min_length: int = 1, **kw):
    """A string, trimmed of surrounding blanks, of bounded length."""
    return TrimmedString(validate=_validators(validate.Length(min=min_length, max=max_length), kw), **kw)


def Secret(min_length: int = 1, max_length: int = 200, **kw):
    """A password: taken exactly as typed, never trimmed."""
    return fields.String(validate=_validators(validate.Length(min=min_length, max=max_length), kw), **kw)


def When(**kw):
    """RFC 3339 with an offset, between 2000 and 2100; a naive time is refused, not guessed."""
    return fields.AwareDateTime(format="iso", validate=_validators(validate.Range(min=EARLIEST, max=LATEST), kw),
                                **kw)


def Ids(**kw):
    return fields.List(Id(), validate=_validators(validate.Length(min=1, max=500), kw), **kw)


class StrictFloat(fields.Float):
    """A JSON number only: "31.2" (a string) is refused, as Integer(strict=True) refuses "12"."""

    def _validated(self, value):
        if isinstance(value, (str, bytes, bool)):
            raise self.make_error("invalid")
        return super()._validated(value)


def Latitude(**kw):
    return StrictFloat(validate=_validators(validate.Range(min=-90, max=90), kw), **kw)


def Longitude(**kw):
    return StrictFloat(validate=_validators(validate.Range(min=-180, max=180), kw), **kw)


def web_url(value: str) -> None:
    """An http(s) URL or a path on this site: nothing a browser would run (javascript:, data:)."""
    scheme, separator, rest = value.partition("://")
    if separator and scheme.lower() in ("http", "https") and rest and not rest.startswith("/"):
        return
    if value.startswith("/") and not value.startswith("//"):
        return
    raise ValidationError("must be an http(s) URL or a path starting with /")
