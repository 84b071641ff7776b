"""Pre-stocking the van: the loading list (装车单) of a courier's day, confirming it, the safety margin."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields, validate

from app.schemas.base import Count, In
from app.schemas.van import VanLoadLineIn

DAYS = validate.Range(min=date(2000, 1, 1), max=date(2099, 12, 31))


def Day(**kw):
    return fields.Date(validate=DAYS, metadata={"description": "YYYY-MM-DD, the Asia/Shanghai day"}, **kw)


class PrestockQuery(In):
    date = Day()  # absent: today


class PrestockLineOut(Schema):
    product_id = fields.Integer()
    name = fields.String()
    quantity = fields.Integer()
    by_compound = fields.Dict(keys=fields.String(), values=fields.Integer(),
                              metadata={"description": "{compound_id: quantity} on the route"})
    expected = fields.Float(allow_none=True, metadata={
        "description": "extension: the forecast units behind a suggested line (null once reviewed)"})


class PrestockOut(Schema):
    date = fields.Date()
    items = fields.List(fields.Nested(PrestockLineOut))
    reviewed = fields.Boolean(metadata={
        "description": "extension: true once ops saved the list (or it was confirmed): no longer recomputed"})


class PrestockListIn(In):
    date = Day(required=True)
    items = fields.List(fields.Nested(VanLoadLineIn), required=True, validate=validate.Length(max=500))


class PrestockConfirmIn(In):
    date = Day(required=True)
    items = fields.List(fields.Nested(VanLoadLineIn), validate=validate.Length(max=500), metadata={
        "description": "the edited list; absent: the loading list as it stands"})


class MarginIn(In):
    percent = Count(0, 500, required=True, metadata={"description": "added to the expected units, in percent"})
    minimum = Count(0, 1000, required=True, metadata={
        "description": "at least this many units more of any product expected to sell one or more"})


class MarginOut(Schema):
    percent = fields.Integer()
    minimum = fields.Integer()


class MarginEnvelope(Schema):
    margin = fields.Nested(MarginOut)
