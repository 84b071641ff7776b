"""What the sandbox's handlers share: the request's JSON body, and its test hooks' error answers."""
from __future__ import annotations

from flask import jsonify, request


def json_body() -> dict:
    """The request's JSON object, or {} (WeChat itself tolerates sloppy bodies)."""
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else {}


def hook_error(status, code, message):
    """An error of the /sandbox test hooks, shaped like our own API's errors."""
    return jsonify(error={"code": code, "message": message}), status
