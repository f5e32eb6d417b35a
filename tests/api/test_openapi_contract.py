"""The OpenAPI document is valid and exact: property-based fuzzing of every documented operation.

`openapi-spec-validator` checks the document itself. Then schemathesis generates requests for each
operation, both ones the document allows (positive) and ones it forbids (negative), sent as a user
holding every role and a terminal: no 5xx, every status, content type and body as documented,
allowed requests accepted and forbidden ones refused.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.document import documented_operations, openapi_document, parameters
from tests.api.document import operation as operation_spec
from tests.helpers import staff

EXAMPLES_PER_MODE = 6
# A request the document allows may still be refused by a rule on the present state (an unknown zone, a
# password too close to the address): such refusals are named problem types, never a bare validation error.
# These operations also have rules OpenAPI 3.0 cannot state (between two fields, or against today's date),
# so a generated request may break them and get a validation error:
RULES_THE_DOCUMENT_CANNOT_STATE = {
    ("POST", "/api/v1/auth/register"): "birth_date not after today",
    ("POST", "/api/v1/ops/rebalancing/plans"): "give either trucks or truck_count",
    ("POST", "/api/v1/ops/tasks/{task_id}/pickup"): "give bike_ids or count, not both",
    ("POST", "/api/v1/ops/tasks/{task_id}/dropoff"): "give bike_ids or count, not both",
    ("POST", "/api/v1/ops/trucks/{truck_id}/dock"): "give bike_ids or count, not both",
    ("GET", "/api/v1/ops/stations/{station_id}/demand"): "since < until, at most 31 days apart",
}

pytestmark = pytest.mark.slow  # minutes of generated requests: `make test` runs it, `make test-fast` does not


def test_the_document_is_valid_openapi():
    validate(openapi_document())


def _accepted_unless_a_named_rule_refused(operation_key):
    """positive_data_acceptance, except a 422 naming a business rule (or one of the rules above)."""

    def check(ctx, response, case):
        if response.status_code == 422:
            body = response.json()
            if body.get("type", "about:blank") != "about:blank" or operation_key in RULES_THE_DOCUMENT_CANNOT_STATE:
                return None
        return positive_data_acceptance(ctx, response, case)

    check.__name__ = "positive_data_acceptance"
    return check


@pytest.fixture
def everyone_headers(app):
    """A logged-in account with the citizen, operator and admin roles, and a terminal's key."""
    client = app.test_client()
    user = staff(app, client, "admin")
    assert app.test_cli_runner().invoke(args=["users", "grant-role", user.email, "operator"]).exit_code == 0
    library = {"name": "시립도서관", "kind": "library", "district": "중구"}
    facility = client.post("/api/v1/admin/facilities", json=library, headers=user.headers).get_json()
    terminal = client.post(
        f"/api/v1/admin/facilities/{facility['id']}/terminals", json={"name": "desk"}, headers=user.headers
    ).get_json()
    return {**user.headers, "X-Terminal-Key": terminal["api_key"]}


@pytest.mark.parametrize(("method", "path"), documented_operations())
def test_operation_honours_its_documented_contract(app, everyone_headers, method, path):
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)[path][method]
    conformance = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

    def fuzz(mode: GenerationMode, check) -> None:
        # Credentials are fixed, not generated: a negated Authorization header would be put back by us.
        @given(case=operation.as_strategy(generation_mode=mode, headers=everyone_headers))
        @settings(
            max_examples=EXAMPLES_PER_MODE, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
        )
        def honours_contract(case):
            case.call_and_validate(checks=[*conformance, check])

        honours_contract()

    fuzz(GenerationMode.POSITIVE, _accepted_unless_a_named_rule_refused((method, path)))
    if _constrained_input(method, path):  # otherwise the document forbids nothing there to send
        fuzz(GenerationMode.NEGATIVE, negative_data_rejection)


def _constrained_input(method: str, path: str) -> bool:
    """Whether the operation takes a body, a query parameter, or a typed path id, any of which can be broken
    (a free-text path segment cannot: every string is one)."""
    declared = [p for p in parameters(method, path) if p["in"] != "header"]
    typed = [p for p in declared if p["in"] == "query" or p["schema"].get("type") != "string"]
    return bool(operation_spec(method, path).get("requestBody") or typed)
