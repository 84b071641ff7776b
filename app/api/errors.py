"""Every error becomes API.md's shape here, and nowhere else.

`{"error": {"code": "<snake_case>", "message": "<text>", ...extra}}`; validation errors are
422 `invalid_request` with `fields`. No request, however malformed, gets a 500 body of
another shape, and an unexpected failure is logged and answered as `internal_error`.
"""
from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, jsonify, request
from flask_smorest import Api
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from app import metrics
from app.extensions import db
from app.schemas.loading import flatten_messages
from app.services.errors import OUTAGES, InvalidJson, ServiceError, Unavailable
from wechat.errors import WeChatError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 429: "rate_limited", 500: "internal_error",
    503: "unavailable",
}


class ErrorBody(ma.Schema):
    """API.md's error shape, for the OpenAPI document."""

    class Inner(ma.Schema):
        class Meta:
            unknown = ma.INCLUDE  # a code's own fields beside these: retry_after_seconds, used_by, ...

        code = ma.fields.String(required=True)
        message = ma.fields.String(required=True)
        fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())

    error = ma.fields.Nested(Inner, required=True)


def error_response(status: int, code: str, message: str, **extra):
    metrics.refused(code)
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


def validation_error(messages) -> tuple:
    # webargs nests by location ({"json": {...}, "query": {...}}): the field name is enough.
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "headers", "files", "form", "view_args"}:
        merged: dict = {}
        for per_location in messages.values():
            merged.update(per_location if isinstance(per_location, dict) else {"body": per_location})
        messages = merged
    return error_response(422, "invalid_request", "Some fields are not valid.",
                          fields=flatten_messages(messages))


class XiaogeApi(Api):
    """flask-smorest's Api with our error shape instead of its own."""

    ERROR_SCHEMA = ErrorBody

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        if error.code == 422 and messages is not None:
            return validation_error(messages)
        # webargs puts the JSON decoding error on the exception itself, not in `data`.
        cause = getattr(error, "exc", None) or data.get("exc")
        if error.code == 400 and isinstance(cause, ValueError):
            return error_response(InvalidJson.status, InvalidJson.code, InvalidJson.message)
        status = error.code or 500
        message = data.get("message") or error.description or error.name
        return error_response(status, HTTP_CODES.get(status, "error"), message)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        db.session.rollback()
        body, status = error_response(error.status, error.code, error.message, **error.extra)
        retry_after = getattr(error, "retry_after_seconds", None)
        return body, status, ({"Retry-After": str(retry_after)} if retry_after else {})

    @app.errorhandler(WeChatError)
    def wechat_error(error: WeChatError):
        db.session.rollback()
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(ma.ValidationError)
    def schema_error(error: ma.ValidationError):
        return validation_error(error.messages)

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # A constraint the services did not foresee: a clean conflict, never a 500.
        db.session.rollback()
        log.warning("integrity error on %s %s: %s", request.method, request.path, error.orig)
        return error_response(409, "conflict", "That conflicts with what exists.")

    @app.errorhandler(DataError)
    def unstorable_value(error: DataError):
        # A value the schemas let through but the database cannot store (out of range,
        # bad characters): the client's mistake, so a 422, never a 500.
        db.session.rollback()
        log.warning("data error on %s %s: %s", request.method, request.path, error.orig)
        why = "a value is out of range or has characters that cannot be stored"
        return error_response(422, "invalid_request", "A value cannot be stored.", fields={"body": why})

    def store_unavailable(error: Exception):
        log.error("database or Redis unreachable on %s %s: %s", request.method, request.path,
                  getattr(error, "orig", None) or error)
        return service_error(Unavailable())  # nothing was committed: the same retryable 503

    for outage in OUTAGES:
        app.register_error_handler(outage, store_unavailable)

    @app.errorhandler(RecursionError)
    def nested_too_deeply(error: RecursionError):
        # Python's JSON decoder recurses per nesting level: "[[[[...]]]]" from a client
        # exhausts the stack before any handler runs. That is a malformed body, not our bug.
        db.session.rollback()
        if request.is_json:
            log.warning("JSON body nested too deeply on %s %s", request.method, request.path)
            return error_response(400, "invalid_json", "The body is nested too deeply.")
        log.error("recursion error on %s %s", request.method, request.path, exc_info=error)
        return error_response(500, "internal_error", "Something went wrong on our side.")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return app.extensions["xiaoge.api"].handle_http_exception(error)
        db.session.rollback()
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")
