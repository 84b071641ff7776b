"""What the payment side refuses, with its API code and status."""
from __future__ import annotations

from app.services.errors import ServiceError, Unavailable


class NotPayable(ServiceError):
    status, code, message = 409, "not_payable", "This order is not waiting for a WeChat payment (or its time ran out)."


class NotRefundable(ServiceError):
    status, code, message = 409, "not_refundable", "Only an order paid by WeChat Pay and not yet handed over is refunded."


class PaymentUnavailable(Unavailable):
    """WeChat Pay could not be reached (or is not configured): nothing changed, retry later."""

    code, message = "payment_unavailable", "WeChat Pay cannot be reached right now; try again shortly."
    retry_after_seconds = 5


class BadSignature(ServiceError):
    status, code, message = 401, "bad_signature", "This notification is not genuinely from WeChat Pay."
    remembered = False
