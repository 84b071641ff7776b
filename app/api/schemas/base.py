"""Field helpers shared by every schema: strict types, bounded strings, aware datetimes."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

MAX_FEN = 100_000_000  # one million yuan: anything above is a typo


class In(Schema):
    """A request body: unknown fields are ignored so older servers accept newer clients."""

    class Meta:
        unknown = EXCLUDE


def _validators(own, kw) -> list:
    extra = kw.pop("validate", None)
    if extra is None:
        return [own]
    return [own, *(extra if isinstance(extra, (list, tuple)) else [extra])]


def Id(**kw):
    return fields.Integer(strict=True, validate=_validators(validate.Range(min=1), kw), **kw)


def Fen(**kw):
    return fields.Integer(strict=True, validate=_validators(validate.Range(min=0, max=MAX_FEN), kw), **kw)


def Count(minimum: int = 0, maximum: int = 1_000_000, **kw):
    return fields.Integer(strict=True, validate=_validators(validate.Range(min=minimum, max=maximum), kw), **kw)


def Text(max_length: int, min_length: int = 1, **kw):
    """A string, trimmed of surrounding blanks, of bounded length."""
    return TrimmedString(validate=_validators(validate.Length(min=min_length, max=max_length), kw), **kw)


class TrimmedString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def When(**kw):
    """RFC 3339 with an offset; a naive time is refused rather than guessed."""
    return fields.AwareDateTime(format="iso", **kw)


def Ids(**kw):
    return fields.List(Id(), validate=_validators(validate.Length(min=1, max=500), kw), **kw)
