"""Domain errors: what a service refuses, with the API code and HTTP status it maps to.

Services raise these; `app/api/errors.py` turns them into API.md's error shape in one place.
"""
from __future__ import annotations

import redis
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class ServiceError(Exception):
    """A refusal the client can act on."""

    status = 400
    code = "bad_request"
    message = "The request cannot be served."
    # Stored as the answer to a client-made id and replayed (idempotency.py); False for a
    # refusal that did nothing and passes with time, so a retry with the same id is tried afresh.
    remembered = True

    def __init__(self, message: str | None = None, **extra):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.extra = extra


class NotFound(ServiceError):
    status, code, message = 404, "not_found", "No such resource."


class Unauthorized(ServiceError):
    status, code, message = 401, "unauthorized", "Sign in first."


class Forbidden(ServiceError):
    status, code, message = 403, "forbidden", "Your role may not do this."


class BadCredentials(ServiceError):
    status, code, message = 401, "bad_credentials", "Wrong username or password."


class Conflict(ServiceError):
    status, code, message = 409, "conflict", "That conflicts with what exists."


class InvalidRequest(ServiceError):
    """A body that parsed but makes no sense; `fields` says where."""

    status, code, message = 422, "invalid_request", "The request is not valid."

    def __init__(self, fields: dict[str, str], message: str | None = None):
        super().__init__(message, fields=fields)


class InvalidJson(ServiceError):
    status, code, message = 400, "invalid_json", "The body is not valid JSON."


class UnknownCourier(ServiceError):
    status, code, message = 404, "unknown_courier", "No courier has this code."


class CompoundRequired(ServiceError):
    status, code, message = 422, "compound_required", "Choose your compound."


class NotInCompound(ServiceError):
    status, code, message = 403, "not_in_compound", "This is for residents of another compound."


class SoldOut(ServiceError):
    status, code, message = 409, "sold_out", "All gone."


class OutOfStock(ServiceError):
    """The van does not have (enough of) a product left; `product_id` names it."""

    status, code, message = 409, "out_of_stock", "The van does not have enough of this product left."


class BelowReserved(ServiceError):
    """A van load may not drop below what orders and rounds already hold of a product."""

    status, code, message = 409, "below_reserved", "More of this product is already reserved."


class LimitReached(ServiceError):
    status, code, message = 409, "limit_reached", "You already have as many as allowed."


class CouponUnusable(ServiceError):
    status, code, message = 409, "coupon_unusable", "This coupon cannot be used for this order."


class NotAvailable(ServiceError):
    status, code, message = 409, "not_available", "This is not available right now."


class NotOnRoute(ServiceError):
    status, code, message = 403, "not_on_route", "This compound is not on your route."


class StaleEvent(ServiceError):
    status, code, message = 422, "stale_event", "This tap is too old to open a shake; it was recorded."


class TooFar(ServiceError):
    status, code = 422, "too_far"
    message = "The van is too far from this compound to open a shake; it was recorded."


class RoundNotOpen(ServiceError):
    status, code, message = 409, "round_not_open", "This shake round is not open."


class RoundClosed(ServiceError):
    status, code, message = 409, "round_closed", "This shake round has closed."


class ShakeLimitReached(ServiceError):
    status, code, message = 429, "shake_limit_reached", "You have used all your shakes in this round."


class Unavailable(ServiceError):
    """Overloaded, or a store we need is unreachable: nothing was done, so retrying is safe.
    The body says when (`retry_after_seconds`), as does a REST answer's Retry-After header."""

    status, code, message = 503, "unavailable", "The service is busy; try again."
    retry_after_seconds = 1
    remembered = False

    def __init__(self, message: str | None = None):
        super().__init__(message, retry_after_seconds=self.retry_after_seconds)


class RateLimited(ServiceError):
    """Too many attempts (password sign-ins, app/rate_limits.py): nothing was done. The body says
    when to try again (`retry_after_seconds`), as does a REST answer's Retry-After header."""

    status, code, message = 429, "rate_limited", "Too many attempts; try again later."
    remembered = False

    def __init__(self, retry_after_seconds: int, message: str | None = None):
        super().__init__(message, retry_after_seconds=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class InUse(Conflict):
    """A row others depend on cannot be deleted; `used_by` names what depends on it."""

    status, code, message = 409, "in_use", "Other records depend on this; it cannot be deleted."


# What a database or Redis outage raises (a refused or dropped connection, a pool or socket
# timeout): REST (app/api/errors.py) and socket acks (app/realtime/namespaces.py) both answer
# them as Unavailable, a retryable 503, never internal_error.
OUTAGES: tuple[type[BaseException], ...] = (
    OperationalError, PoolTimeout, redis.ConnectionError, redis.TimeoutError)


class CouponNotValidHere(CouponUnusable):
    """A coupon stays in the compounds its template was offered to."""

    status, code, message = 409, "coupon_not_valid_here", "This coupon is for another compound."


class TooManyOpenOrders(ServiceError):
    status, code = 409, "too_many_open_orders"
    message = "You have as many orders waiting for pickup as allowed; pick them up or cancel one first."


class TooManyAddresses(ServiceError):
    status, code, message = 409, "too_many_addresses", "You have as many addresses as allowed."


class NotCancellable(ServiceError):
    status, code, message = 409, "not_cancellable", "This order has been handed over; it cannot be cancelled."
