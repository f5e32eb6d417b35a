"""Property-based fuzzing of every documented operation (schemathesis against /openapi.json).

Each operation gets generated requests, sent as a user holding every role: no 5xx, every status and
content type documented, every body matching its documented schema (problem+json errors included).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from core.app import create_app
from tests.helpers import staff

CONTRACT_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HTTP_METHODS = ("get", "post", "put", "patch", "delete")

pytestmark = pytest.mark.slow  # minutes of generated requests: `make test` runs it, `make test-fast` does not


def _documented_operations() -> list[tuple[str, str]]:
    """The operations of the OpenAPI document; building it needs neither the database nor Redis."""
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0"})
    paths = app.test_client().get("/openapi.json").get_json()["paths"]
    return [(method.upper(), path) for path, item in sorted(paths.items()) for method in HTTP_METHODS if method in item]


@pytest.fixture
def everyone_headers(app):
    """A logged-in account with the citizen, operator and admin roles."""
    user = staff(app, app.test_client(), "admin")
    assert app.test_cli_runner().invoke(args=["users", "grant-role", user.email, "operator"]).exit_code == 0
    return user.headers


@pytest.mark.parametrize(("method", "path"), _documented_operations())
def test_operation_honours_its_documented_contract(app, everyone_headers, method, path):
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def honours_contract(case):
        case.call_and_validate(headers=everyone_headers, checks=CONTRACT_CHECKS)

    honours_contract()
