"""The OpenAPI document agrees with ../shared/API.md, the contract the clients are built on."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

API_MD = Path(__file__).resolve().parents[2] / "shared" / "API.md"
CALL = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`?\s]*)")


def documented_calls() -> set[tuple[str, str]]:
    """(method, path) of every call in API.md, `/a`, `/b` shorthands expanded, ids as {param}."""
    calls = set()
    for line in API_MD.read_text(encoding="utf-8").splitlines():
        for method, path in CALL.findall(line):
            calls.add((method.lower(), path))
            # "`POST /x/<id>/pause`, `/resume`": the siblings share the prefix.
            for sibling in re.findall(r"`(/[a-z-]+)`", line):
                calls.add((method.lower(), path.rsplit("/", 1)[0] + sibling))
    calls.discard(("get", "/api/v1/openapi.json"))  # the document itself
    return {(m, re.sub(r"<([a-z_]+)>", r"{\1}", p)) for m, p in calls}


def test_api_md_is_beside_the_project():
    assert API_MD.is_file(), f"the contract should be at {API_MD}"


@pytest.mark.parametrize("method,path", sorted(documented_calls()))
def test_every_documented_call_is_in_the_openapi_document(client, method, path):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {re.sub(r"\{[a-z_]+\}", "{}", p): ops for p, ops in spec["paths"].items()}
    key = re.sub(r"\{[a-z_]+\}", "{}", path)
    assert key in documented, f"{path} missing from openapi.json"
    assert method in documented[key], f"{method.upper()} {path} missing from openapi.json"


def test_protected_calls_declare_bearer_auth(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    public = {"/api/v1/auth/wechat", "/api/v1/courier/auth", "/api/v1/console/auth", "/api/v1/openapi.json"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path not in public and method in {"get", "post"}:
                assert op.get("security") == [{"bearerAuth": []}], f"{method} {path}"
