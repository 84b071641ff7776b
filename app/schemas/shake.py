"""Bodies of arrivals, shakes and campaigns, shared by REST and Socket.IO handlers."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.models import utcnow
from app.models.campaign import PRIZE_KINDS
from app.schemas.base import Count, Id, Ids, In, Latitude, Longitude, StrictFloat, Text, When
from app.schemas.draws import SEED_SHA256
from app.schemas.paging import NextCursor
from app.services.campaigns import display_status


class ArrivalIn(In):
    event_id = Text(100, required=True)
    compound_id = Id(required=True)
    occurred_at = When(required=True)
    lat = Latitude(load_default=None, allow_none=True)
    lng = Longitude(load_default=None, allow_none=True)


class ArrivalOut(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    arrived_at = fields.AwareDateTime(attribute="received_at")
    occurred_at = fields.AwareDateTime()
    far_from_compound = fields.Boolean()
    distance_m = fields.Integer(allow_none=True)
    too_far = fields.Boolean(
        metadata={"description": "refused (422 too_far): past the compound's radius + 300 m"})
    repeat = fields.Boolean(
        metadata={"description": "a tap of this courier's opened a round here minutes ago: "
                                 "recorded, opens no round"})


class OpenedRound(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()


class ArrivalAnswer(Schema):
    arrival = fields.Nested(ArrivalOut)
    rounds = fields.List(fields.Nested(OpenedRound))


class ShakeIn(In):
    shake_id = Text(100, required=True)


class SocketShakeIn(ShakeIn):
    round_id = Id(required=True)


class EnterStoreIn(In):
    store_session_id = Id(required=True)


class ViewingIn(In):
    """`/shopper` `viewing`: the product on the shopper's screen in that store now, or null for
    none (back to the storefront); renewed every minute while it stays there."""

    store_session_id = Id(required=True)
    product_id = Id(load_default=None, allow_none=True)


class WatchCampaignIn(In):
    campaign_id = Id(required=True)


class PrizeOut(Schema):
    kind = fields.String()
    title = fields.String()
    coupon = fields.Dict(allow_none=True)
    order = fields.Dict(allow_none=True)


class ShakeAnswer(Schema):
    shake_id = fields.String()
    result = fields.String(validate=validate.OneOf(["win", "lose"]))
    prize = fields.Nested(PrizeOut, allow_none=True)
    shakes_left = fields.Integer()


class CampaignRef(Schema):
    id = fields.Integer()
    title = fields.String()


class CurrentRound(Schema):
    id = fields.Integer()
    campaign = fields.Nested(CampaignRef)
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()
    shakes_left = fields.Integer()
    seed_sha256 = fields.String(allow_none=True, metadata=SEED_SHA256)


class CurrentRoundEnvelope(Schema):
    round = fields.Nested(CurrentRound, allow_none=True)


class WinOut(Schema):
    shake_id = fields.String()
    round_id = fields.Integer()
    won_at = fields.AwareDateTime()
    prize = fields.Nested(PrizeOut)


class WinList(Schema):
    wins = fields.List(fields.Nested(WinOut))
    next_cursor = NextCursor()  # only when there is more


class PrizeIn(In):
    kind = fields.String(required=True, validate=validate.OneOf(PRIZE_KINDS))
    coupon_template_id = Id(load_default=None, allow_none=True)
    product_id = Id(load_default=None, allow_none=True)
    per_round = Count(1, 100_000, required=True)
    win_probability = StrictFloat(required=True, validate=validate.Range(min=0, max=1, min_inclusive=False))
    total = Count(1, 100_000_000, load_default=None, allow_none=True,
                  metadata={"description": "the most this prize awards over the campaign (none: no cap)"})


class CampaignIn(In):
    title = Text(120, required=True)
    compound_ids = Ids(required=True)
    starts_at = When(required=True)
    ends_at = When(required=True)
    window_seconds = Count(10, 3600, required=True)
    shakes_per_shopper = Count(1, 1000, required=True)
    wins_per_shopper = Count(0, 1000, required=True)
    rounds_per_compound_per_day = Count(1, 1000, load_default=2)
    prizes = fields.List(fields.Nested(PrizeIn), required=True, validate=validate.Length(min=1, max=20))

    @validates_schema
    def window(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")


class CampaignPrizeOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    coupon_template_id = fields.Integer(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    per_round = fields.Integer()
    win_probability = fields.Float()
    total = fields.Integer(allow_none=True)


class CampaignOut(Schema):
    id = fields.Integer()
    title = fields.String()
    status = fields.Function(lambda c: display_status(c, utcnow()),
                             metadata={"description": "scheduled, live, paused or ended"})
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    window_seconds = fields.Integer()
    shakes_per_shopper = fields.Integer()
    wins_per_shopper = fields.Integer()
    rounds_per_compound_per_day = fields.Integer()
    compound_ids = fields.Function(lambda c: [x.id for x in c.compounds])
    prizes = fields.List(fields.Nested(CampaignPrizeOut))


class CampaignEnvelope(Schema):
    campaign = fields.Nested(CampaignOut)


class PrizeStats(Schema):
    prize_id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    per_round = fields.Integer()
    win_probability = fields.Float()
    awarded = fields.Integer()
    total = fields.Integer(allow_none=True)
    allocated = fields.Integer(metadata={"description": "held by open rounds plus awarded by closed ones"})


class CompoundRoundsToday(Schema):
    compound_id = fields.Integer()
    rounds = fields.Integer()


class CampaignStatsOut(Schema):
    rounds = fields.Integer()
    shakes = fields.Integer()
    wins = fields.Integer()
    by_prize = fields.List(fields.Nested(PrizeStats))
    rounds_today = fields.List(fields.Nested(CompoundRoundsToday),
                               metadata={"description": "rounds opened today (Asia/Shanghai) per compound"})


class CampaignWithStats(Schema):
    campaign = fields.Nested(CampaignOut)
    stats = fields.Nested(CampaignStatsOut)
