"""Ops on one order (console): the cancel body, and the order as ops see it."""
from __future__ import annotations

from marshmallow import Schema, fields

from app.schemas.base import In, Text
from app.schemas.common import OrderOut


class CancelIn(In):
    reason = Text(200, required=True, metadata={"description": "why, for the audit log"})


class ConsoleOrderOut(OrderOut):
    shopper_id = fields.Integer()
    wrong_code_attempts = fields.Integer()


class ConsoleOrderEnvelope(Schema):
    order = fields.Nested(ConsoleOrderOut)
