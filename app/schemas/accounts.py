"""Console bodies that change accounts: a staff member's role and disabling, a courier's details."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models import STAFF_ROLES
from app.schemas.base import Ids, In, Text, web_url
from app.schemas.common import CourierOut
from app.schemas.console import StaffOut


class StrictBoolean(fields.Boolean):
    """A JSON true or false only: "yes", 1 and "true" (a string) are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StaffPatchIn(In):
    """The fields to change; absent ones stay as they are."""

    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    disabled = StrictBoolean()


class CourierPatchIn(In):
    """The fields to change; absent ones stay as they are. `compound_ids` replaces the route."""

    name = Text(120)
    avatar_url = Text(500, allow_none=True, validate=web_url)
    compound_ids = Ids()
    disabled = StrictBoolean()


class StaffAccountOut(StaffOut):
    disabled = fields.Boolean()


class StaffAccountEnvelope(Schema):
    staff = fields.Nested(StaffAccountOut)


class CourierAccountOut(CourierOut):
    """POST /console/couriers' courier body, and whether the account is disabled."""

    disabled = fields.Boolean()


class CourierAccountEnvelope(Schema):
    courier = fields.Nested(CourierAccountOut)
