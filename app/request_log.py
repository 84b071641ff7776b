"""A request id on every log record of a request (and of each socket event), and JSON logs.

The id comes from the request's `X-Request-Id` when it is short and plain (a proxy's or a
client's own), else a new one; it is echoed in the answer's `X-Request-Id`. It is kept on the
request object, which is the request context's own: per request and per socket event (Flask-
SocketIO makes a request context for each event), per greenlet under gevent and per thread
otherwise, so one request's id never lands on another's line. LOG_FORMAT=json writes one JSON
object a line to stderr (for a log shipper); the default, text, leaves logging as it is.
"""
from __future__ import annotations

import json
import logging
import itertools
import re
import secrets
import sys
from datetime import datetime, timezone

from flask import Flask, has_request_context, request

HEADER = "X-Request-Id"
SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
ATTRIBUTE = "xiaoge_request_id"
# A new id: this process's random prefix and a count, unique without a uuid per request (every
# answer pays for the echo: healthz's worker CPU grew 8% with uuid4 and the proxies' lookups).
_PREFIX = secrets.token_hex(6)
_COUNT = itertools.count(1)


def init_app(app: Flask) -> None:
    """Tag records with request ids, echo the id, and write JSON when LOG_FORMAT=json."""
    install_record_factory()
    app.after_request(echo_request_id)
    if app.config.get("LOG_FORMAT", "text") == "json":
        log_json(app.config.get("LOG_LEVEL", "INFO"))


def request_id() -> str | None:
    """This request's (or socket event's) id, made on first use; None outside a request."""
    if not has_request_context():
        return None
    return id_of(request._get_current_object())


def id_of(current_request) -> str:
    known = current_request.__dict__.get(ATTRIBUTE)
    if known is None:
        given = current_request.environ.get("HTTP_X_REQUEST_ID")
        known = given if given and SAFE_ID.fullmatch(given) else f"{_PREFIX}{next(_COUNT):x}"
        current_request.__dict__[ATTRIBUTE] = known
    return known


def echo_request_id(response):
    response.headers.add(HEADER, id_of(request._get_current_object()))
    return response


def install_record_factory() -> None:
    """Every LogRecord made from now on carries `request_id` (None outside a request); once a process."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def make_record(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = request_id()
        return record

    make_record.adds_request_id = True
    logging.setLogRecordFactory(make_record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "process": record.process,
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_json(level: str) -> None:
    """The root logger writes JSON lines to stderr (one handler, however many apps are built)."""
    root = logging.getLogger()
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
