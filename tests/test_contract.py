"""The OpenAPI document agrees with ../shared/API.md, the contract the clients are built on.

Every call above API.md's "v1.1 additions" must be in the document. The v1.1 calls are built
by open issues: those not built yet are listed in NOT_YET_BUILT and expected to be missing
(strictly: the day one is built, its test fails until it leaves the list).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.one_database  # a document, not data: one database is enough

API_MD = Path(__file__).resolve().parents[2] / "shared" / "API.md"
V1_1_HEADING = "## v1.1 additions"
METHOD = r"GET|POST|PUT|PATCH|DELETE"
# `METHOD path...` (a query or a body may follow in the backticks), then its siblings
# written right after it as ", `/x`": "`POST /x/<id>/pause`, `/resume`".
CALL = re.compile(rf"`({METHOD}) ((?:/api/v1|\.\.\.)/[^`?\s]*)[^`]*`((?:, `/[a-z-]+`)*)")
SIBLING = re.compile(r"`(/[a-z-]+)`")
BARE_METHOD = re.compile(rf"`({METHOD})`")

# v1.1 calls no issue has built yet: (method, path) -> API.md's section that specifies it.
NOT_YET_BUILT = {
}


def calls_in(line: str, table_row: bool) -> set[tuple[str, str]]:
    """(method, path) of the calls on one line of API.md, ids as {param}.

    Siblings count only right after their call. In a table row, `.../x` continues the path of
    the call before it on the line from its segment `x` (`PATCH .../campaigns/<id>`), or, for
    `.../<id>`, each path listed before it; a bare `METHOD` takes the paths of the call before it.
    """
    calls: list[tuple[str, str]] = []
    latest: list[str] = []  # the paths of the call just read
    for match in re.finditer(rf"{CALL.pattern}|{BARE_METHOD.pattern}", line):
        if match.group(1) is None:  # a bare `METHOD`
            if table_row:
                calls += [(match.group(4), path) for path in latest]
            continue
        method, path, siblings = match.group(1), match.group(2), match.group(3)
        if path.startswith("..."):
            if not table_row:
                continue
            latest = continued(path[3:], [p for _, p in calls])
        else:
            latest = [path] + [path.rsplit("/", 1)[0] + s for s in SIBLING.findall(siblings)]
        calls += [(method, p) for p in latest]
    return {(m.lower(), re.sub(r"<([a-z_]+)>", r"{\1}", p)) for m, p in calls}


def continued(tail: str, before: list[str]) -> list[str]:
    """The full paths a `...` + `tail` stands for, given the paths before it on its line."""
    first = tail.split("/")[1]
    if first.startswith("<"):
        return [path + tail for path in before]
    for path in reversed(before):
        segments = path.split("/")
        if first in segments:
            return ["/".join(segments[:segments.index(first)]) + tail]
    raise AssertionError(f"cannot tell what ...{tail} continues")


def documented_calls() -> tuple[set, dict]:
    """The v1 calls, and the v1.1 ones (not already in v1) with the section specifying each."""
    v1, v1_1, section = set(), {}, None
    for line in API_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = "" if line.startswith(V1_1_HEADING) else None
        elif line.startswith("### ") and section is not None:
            section = line[4:].strip()
        for call in calls_in(line, table_row=line.startswith("|")):
            if section is None:
                v1.add(call)
            else:
                v1_1.setdefault(call, section)
    v1.discard(("get", "/api/v1/openapi.json"))  # the document itself
    return v1, {call: where for call, where in v1_1.items() if call not in v1}


V1_CALLS, V1_1_CALLS = documented_calls() if API_MD.is_file() else (set(), {})


def in_document(client, method: str, path: str) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {re.sub(r"\{[a-z_]+\}", "{}", p): ops for p, ops in spec["paths"].items()}
    key = re.sub(r"\{[a-z_]+\}", "{}", path)
    assert key in documented, f"{path} missing from openapi.json"
    assert method in documented[key], f"{method.upper()} {path} missing from openapi.json"


def v1_1_case(method: str, path: str) -> pytest.param:
    if (method, path) not in NOT_YET_BUILT:
        return pytest.param(method, path)
    why = (f"not built yet (API.md v1.1, {NOT_YET_BUILT[method, path]}); once it is, "
           f"remove it from NOT_YET_BUILT in tests/test_contract.py")
    return pytest.param(method, path, marks=pytest.mark.xfail(reason=why, strict=True))


def test_api_md_is_beside_the_project():
    assert API_MD.is_file(), f"the contract should be at {API_MD}"


@pytest.mark.parametrize("method,path", sorted(V1_CALLS))
def test_every_documented_call_is_in_the_openapi_document(client, method, path):
    in_document(client, method, path)


@pytest.mark.parametrize("method,path", [v1_1_case(m, p) for m, p in sorted(V1_1_CALLS)])
def test_every_v1_1_call_is_in_the_openapi_document_once_built(client, method, path):
    in_document(client, method, path)


def test_the_not_yet_built_list_names_only_v1_1_calls_of_their_section():
    assert {call: V1_1_CALLS.get(call) for call in NOT_YET_BUILT} == NOT_YET_BUILT


def test_siblings_are_read_only_right_after_their_call():
    assert calls_in("| `POST /api/v1/x/<id>/pause`, `/resume` | | 200 |", table_row=True) == {
        ("post", "/api/v1/x/{id}/pause"), ("post", "/api/v1/x/{id}/resume")}
    assert calls_in("| `POST /api/v1/courier/arrivals` (and `/courier` `arrived`) | |", table_row=True) == {
        ("post", "/api/v1/courier/arrivals")}
    assert calls_in("`GET /api/v1/group-deals/<id>` ... as `/shopper` `group_progress`", table_row=False) == {
        ("get", "/api/v1/group-deals/{id}")}


def test_elided_paths_continue_the_call_before_them_in_a_table_row():
    assert calls_in("| `POST /api/v1/c/campaigns`, `PATCH .../campaigns/<id>` |", table_row=True) == {
        ("post", "/api/v1/c/campaigns"), ("patch", "/api/v1/c/campaigns/{id}")}
    row = "| `GET /api/v1/c/a`, `/b` | `PATCH .../<id>` edits them; `DELETE` too |"
    assert calls_in(row, table_row=True) == {
        ("get", "/api/v1/c/a"), ("get", "/api/v1/c/b"), ("patch", "/api/v1/c/a/{id}"),
        ("patch", "/api/v1/c/b/{id}"), ("delete", "/api/v1/c/a/{id}"), ("delete", "/api/v1/c/b/{id}")}


def test_protected_calls_declare_bearer_auth(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    public = {"/api/v1/auth/wechat", "/api/v1/courier/auth", "/api/v1/console/auth", "/api/v1/openapi.json",
              "/api/v1/readyz",
              "/api/v1/shake-rounds/{round_id}/draws",  # published for anyone to verify (API.md)
              "/api/v1/payments/wechat/notify"}  # WeChat Pay signs it instead
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path not in public and method in {"get", "post"}:
                assert op.get("security") == [{"bearerAuth": []}], f"{method} {path}"
