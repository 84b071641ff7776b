"""WeChat Pay shapes: wx.requestPayment's arguments, an ops refund, the daily reconciliation."""
from __future__ import annotations

from marshmallow import Schema, fields

from app.schemas.base import In, Text


class PaymentArguments(Schema):
    timeStamp = fields.String()  # noqa: N815  (wx.requestPayment's own names)
    nonceStr = fields.String()  # noqa: N815
    package = fields.String(metadata={"description": "prepay_id=..."})
    signType = fields.String(metadata={"description": "RSA"})  # noqa: N815
    paySign = fields.String()  # noqa: N815


class PaymentEnvelope(Schema):
    payment = fields.Nested(PaymentArguments)


class RefundIn(In):
    reason = Text(200, required=True, metadata={"description": "why, for the audit log and the shopper's refund"})


class ReconciliationArgs(In):
    date = fields.Date(required=True, metadata={"description": "YYYY-MM-DD, the Asia/Shanghai day"})


class Figure(Schema):
    count = fields.Integer()
    fen = fields.Integer()


class DiscrepancyOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "mismatch, unknown_order, paid_after_close, refund_abnormal, ..."})
    order_id = fields.Integer(allow_none=True)
    out_trade_no = fields.String(allow_none=True)
    amount_fen = fields.Integer(allow_none=True)
    detail = fields.Dict()
    created_at = fields.AwareDateTime()


class ReconciliationOut(Schema):
    date = fields.Date()
    paid = fields.Nested(Figure, metadata={"description": "orders paid by WeChat Pay that day"})
    refunded = fields.Nested(Figure, metadata={"description": "refunds WeChat Pay completed that day"})
    handed_over = fields.Nested(Figure, metadata={"description": "orders handed over at the van that day"})
    discrepancies = fields.List(fields.Nested(DiscrepancyOut))


class NotificationResource(Schema):
    algorithm = fields.String(metadata={"description": "AEAD_AES_256_GCM"})
    ciphertext = fields.String()
    nonce = fields.String()
    associated_data = fields.String()
    original_type = fields.String()


class NotificationIn(Schema):
    """WeChat Pay's notification as it posts it (read raw: the signature covers the exact bytes)."""

    id = fields.String()
    create_time = fields.String()
    event_type = fields.String(metadata={"description": "TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, "
                                                        "REFUND.CLOSED"})
    resource_type = fields.String(metadata={"description": "encrypt-resource"})
    summary = fields.String()
    resource = fields.Nested(NotificationResource)
