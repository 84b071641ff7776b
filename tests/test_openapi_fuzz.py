"""Property-based run over the whole OpenAPI document (schemathesis, through WSGI, time-boxed).

Every operation gets generated requests, valid and invalid (schemathesis' positive and negative
data), with the token of its audience (console: an admin,
courier: a courier, the rest: a shopper) over seeded data (a compound, its courier, an open
round, a signed-in resident); every answer must be no 500, a status the document declares, and
a body matching the document's schema for it, with no secret in it (tests/secret_scan.py).
Failures are collected over all operations and reported together, so one run lists every mismatch.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.secret_scan import SCAN

# Long, but neither timing-sensitive nor concurrent: beside the `serial` group under xdist
# (tests/conftest.py group_for_xdist).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("openapi_fuzz")]

EXAMPLES = int(os.environ.get("XIAOGE_FUZZ_EXAMPLES", "25"))  # a run per database stays under ~60 s
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def seed(make) -> tuple[dict[str, dict], dict[str, int]]:
    """The bearer headers of each audience, and the ids of seeded rows by path parameter name."""
    home = make.compound()
    courier = make.courier([home])
    campaign = make.campaign([home])
    courier_headers = make.courier_headers(courier)
    arrival = make.arrival(courier, home, headers=courier_headers)
    assert arrival.status_code == 201
    _, shopper_headers = make.shopper(home=home)
    session_id = make.store_session(shopper_headers, courier)
    headers = {"console": make.staff_headers("admin"), "courier": courier_headers, "shopper": shopper_headers}
    ids = {"compound_id": home.id, "courier_id": courier.id, "campaign_id": campaign.id,
           "round_id": arrival.get_json()["rounds"][0]["id"], "session_id": session_id,
           "template_id": campaign.prizes[0].coupon_template_id}
    return headers, ids


def audience_of(path: str) -> str:
    for prefix in ("console", "courier"):
        if path.startswith(f"/api/v1/{prefix}"):
            return prefix
    return "shopper"


def fuzz(operation, headers: dict, ids: dict[str, int], statuses: set) -> None:
    """EXAMPLES generated requests of one operation, each checked; their statuses go to `statuses`.
    Every other request names seeded rows in its path (generated ids are mostly 404s)."""
    turn = iter(range(10**6))

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategies.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)))
    def run(case):
        case.headers = {**(case.headers or {}), **headers}
        if case.path_parameters and next(turn) % 2:
            case.path_parameters = {name: ids.get(name, value)
                                    for name, value in case.path_parameters.items()}
        response = case.call()
        statuses.add(response.status_code)
        shown = response.content.decode("utf-8", "replace")  # badges are PNGs
        assert not SCAN.secrets_in(shown), f"a secret in {case.method} {case.formatted_path}'s answer"
        case.validate_response(response, checks=CHECKS)
    run()


def test_every_operation_answers_no_500_and_within_its_schema(app, make):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers, ids = seed(make)
    failures, answered = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        answered[operation.label] = set()
        try:
            fuzz(operation, headers[audience_of(operation.path)], ids, answered[operation.label])
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis' FailureGroup: a BaseExceptionGroup
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
    # The tokens work: most operations accepted some generated request (not only 401/404/422s).
    accepted = [label for label, statuses in answered.items() if any(s < 300 for s in statuses)]
    assert len(accepted) >= len(answered) // 2, answered


def test_an_error_with_fields_of_its_own_matches_the_document(app, make):
    """API.md's errors may carry fields beside code and message (retry_after_seconds, attempts_left,
    used_by): the document's error schema allows them."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers, ids = seed(make)
    app.extensions["xiaoge.shake_admission"].limit = 0  # every shake: 503 with retry_after_seconds
    operation = schema["/api/v1/shake-rounds/{round_id}/shakes"]["POST"]
    case = operation.Case(path_parameters={"round_id": ids["round_id"]}, body={"shake_id": "extra-fields"},
                          headers=headers["shopper"], media_type="application/json")
    response = case.call()
    assert response.status_code == 503 and "retry_after_seconds" in response.json()["error"]
    case.validate_response(response, checks=CHECKS[1:])  # the 503 is the point here, not a failure
