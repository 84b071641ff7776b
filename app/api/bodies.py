"""A JSON body the view loads itself, documented as flask-smorest's @blp.arguments documents it.

@blp.arguments parses through webargs, ~8% of a shake's worker CPU in a burst (issue 6,
bench/README.md). The shake endpoint, the one a whole compound hammers at once, loads its
small body with the same marshmallow schema directly; the errors are the same (400
invalid_json, 422 invalid_request with per-field reasons) and so is the OpenAPI document.
"""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest

from app.schemas.loading import load
from app.services.errors import InvalidJson


def documented_body(blp: Blueprint, schema: type):
    """Put `schema` in the view's OpenAPI entry as its JSON body, without parsing it."""
    def decorator(view):
        documented = blp.arguments(schema())(view)  # flask-smorest keeps per-view docs in _apidoc
        view._apidoc = documented._apidoc
        return view

    return decorator


def json_body(schema: type) -> dict:
    """The request's JSON body, loaded by `schema`; as webargs reads it, a body that is not
    JSON (by its content type) or is empty has no fields."""
    if not request.is_json or not request.get_data():
        return load(schema, {})
    try:
        data = request.get_json()
    except BadRequest:
        raise InvalidJson() from None
    return load(schema, data)
