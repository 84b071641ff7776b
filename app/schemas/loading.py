"""Loading a body with a schema outside webargs (socket events, the shake endpoint): the same
422 `invalid_request` with per-field reasons that a REST body gets."""
from __future__ import annotations

import functools

from marshmallow import ValidationError

from app.services.errors import InvalidRequest


def load(schema: type, data) -> dict:
    """Validate a body, raising InvalidRequest (422 invalid_request) with per-field reasons."""
    try:
        return schema_instance(schema).load(data if data is not None else {})
    except ValidationError as error:
        raise InvalidRequest(flatten_messages(error.messages)) from None


@functools.cache
def schema_instance(schema: type):
    """One instance per schema class: building one costs more than validating a small body."""
    return schema()


def flatten_messages(messages, prefix: str = "") -> dict[str, str]:
    """Turn marshmallow's nested messages into {"items.0.quantity": "why"}."""
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":  # the value as a whole: the field itself, or the body
                flat.update(flatten_messages(value, prefix or "body"))
                continue
            flat.update(flatten_messages(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = " ".join(messages)
    elif isinstance(messages, list):
        for item in messages:
            flat.update(flatten_messages(item, prefix))
    else:
        flat[prefix or "body"] = str(messages)
    return flat
