"""GET /api/v1/healthz: the process is up and serving. No database, no Redis, no auth.

Also the "trivial endpoint" bench/ compares the shake's throughput against. It stays out
of the OpenAPI document, which is the clients' contract (API.md); a probe is not part of it.
"""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint as DocumentedBlueprint


class Blueprint(DocumentedBlueprint):
    """A flask-smorest blueprint whose routes are served but not put in the OpenAPI document."""

    def register_views_in_doc(self, *args, **kwargs) -> None:
        return None


blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness probe (undocumented)")


@blp.get("/healthz")
def healthz():
    """200 {"ok": true} while the worker serves requests."""
    return jsonify(ok=True)
