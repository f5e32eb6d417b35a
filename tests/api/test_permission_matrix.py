"""Who may call what: every documented operation × anonymous, a terminal, a citizen, an operator, an admin.

Generated from /openapi.json. An operation's `security` names the credentials it takes (none: public;
`bearerAuth`: a signed-in account; `terminalKey`: a facility terminal's key), `x-roles` the roles a
bearer token must hold one of (absent: any account) and `x-token: refresh` that it takes the refresh
token. Each caller holds exactly one role. A refused caller gets 401 (no acceptable credential) or 403
(signed in without the role) as problem+json; an admitted one gets anything else but a 5xx.
"""

from dataclasses import dataclass, field

import pytest

from core.app import create_app
from tests.cardapi.helpers import create_facility, create_terminal
from tests.helpers import Session, citizen, login, staff

CALLERS = ("anonymous", "terminal", "citizen", "operator", "admin")
ROLE_CALLERS = ("citizen", "operator", "admin")
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# Deny by default: an operation is public only when it is listed here too, so a forgotten `auth_required`
# (which also leaves `security` out of the document) fails a test instead of passing every case.
PUBLIC_OPERATIONS = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
    ("GET", "/api/v1/stations"),
    ("GET", "/api/v1/stations/{station_id}"),
    ("GET", "/api/v1/cards/scc2-key"),
    ("GET", "/gbfs/{version}/{feed}.json"),
    ("GET", "/api/v1/incentives"),
    ("GET", "/gbfs/incentives.json"),
    ("GET", "/api/v1/open-data/station-hours.json"),
    ("GET", "/api/v1/open-data/station-hours.csv"),
    ("GET", "/api/v1/open-data/network-districts.json"),
    ("GET", "/api/v1/open-data/network-districts.csv"),
}
# Ids in paths name no row, so an admitted caller changes nothing the other cases rely on (a 404 at
# most); only a facility id names the terminal's own facility, which that terminal may read.
MISSING_ID = 2_000_000_000


def _document() -> dict:
    """The OpenAPI document; building it needs neither the database nor Redis."""
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0"})
    return app.test_client().get("/openapi.json").get_json()


def _operations() -> list[tuple[str, str, dict]]:
    """(method, path, operation) for each documented operation, the path item's parameters merged in."""
    operations = []
    for path, item in sorted(_document()["paths"].items()):
        for method in HTTP_METHODS:
            if method in item:
                operation = {**item[method]}
                operation["parameters"] = item.get("parameters", []) + operation.get("parameters", [])
                operations.append((method.upper(), path, operation))
    return operations


def refusal(operation: dict, caller: str) -> int | None:
    """The status the document promises `caller` (401 or 403), or None when it admits them."""
    schemes = {scheme for requirement in operation.get("security") or [] for scheme in requirement}
    if not schemes:
        return None
    if caller == "anonymous":
        return 401
    if caller == "terminal":
        return None if "terminalKey" in schemes else 401
    if "bearerAuth" not in schemes:
        return 401
    roles = operation.get("x-roles")
    return None if not roles or caller in roles else 403


@dataclass
class World:
    """The callers and the one facility of the module's app; sessions are renewed when a case ended one."""

    client: object
    facility_id: int
    terminal_key: str
    emails: dict[str, str]
    sessions: dict[str, Session] = field(default_factory=dict)

    def credentials(self, caller: str, operation: dict) -> dict:
        if caller == "anonymous":
            return {}
        if caller == "terminal":
            return {"X-Terminal-Key": self.terminal_key}
        if operation.get("x-token") == "refresh":  # a new pair, so the refresh token is unused
            return {"Authorization": f"Bearer {self._log_in(caller).refresh_token}"}
        session = self.sessions[caller]
        if self.client.get("/api/v1/me", headers=session.headers).status_code != 200:  # a case logged it out
            session = self._log_in(caller)
        return session.headers

    def _log_in(self, caller: str) -> Session:
        tokens = login(self.client, self.emails[caller]).get_json()
        session = self.sessions[caller]
        self.sessions[caller] = Session(session.id, session.email, tokens["access_token"], tokens["refresh_token"])
        return self.sessions[caller]

    def url(self, path: str, operation: dict) -> str:
        for parameter in operation["parameters"]:
            if parameter["in"] == "path":
                path = path.replace("{" + parameter["name"] + "}", str(self._path_value(parameter)))
        return path

    def _path_value(self, parameter: dict):
        schema = parameter["schema"]
        if parameter["name"] == "facility_id":
            return self.facility_id
        if schema["type"] == "integer":
            return MISSING_ID
        return schema.get("enum", ["x"])[0]


@pytest.fixture(scope="module")
def world(module_app) -> World:
    """One account per role (holding only that role) and a facility with one terminal."""
    client = module_app.test_client()
    admin = staff(module_app, client, "admin")
    sessions = {"citizen": citizen(client), "operator": staff(module_app, client, "operator"), "admin": admin}
    for role, account in (("operator", sessions["operator"]), ("admin", admin)):
        dropped = client.delete(f"/api/v1/admin/users/{account.id}/roles/citizen", headers=admin.headers)
        assert dropped.status_code == 200 and dropped.get_json()["roles"] == [role], dropped.get_json()
    facility = create_facility(client, admin)
    terminal = create_terminal(client, admin, facility["id"])
    emails = {caller: session.email for caller, session in sessions.items()}
    return World(client, facility["id"], terminal["api_key"], emails, sessions)


@pytest.mark.parametrize(
    ("method", "path", "operation", "caller"),
    [
        pytest.param(method, path, operation, caller, id=f"{method} {path} as {caller}")
        for method, path, operation in _operations()
        for caller in CALLERS
    ],
)
def test_a_caller_gets_in_exactly_where_the_document_says(world, method, path, operation, caller):
    body = {"json": {}} if "requestBody" in operation else {}
    headers = world.credentials(caller, operation)
    response = world.client.open(world.url(path, operation), method=method, headers=headers, **body)

    expected = refusal(operation, caller)
    if expected:
        assert response.status_code == expected, response.get_data(as_text=True)
        assert response.content_type == "application/problem+json"
    else:
        assert response.status_code not in (401, 403) and response.status_code < 500, response.get_data(as_text=True)


def test_the_matrix_covers_every_credential_and_role():
    """Guards the generator: a document without roles or terminal operations would make every case pass."""
    verdicts = {(caller, refusal(operation, caller)) for _, _, operation in _operations() for caller in CALLERS}
    for caller in ROLE_CALLERS:
        assert {(caller, None), (caller, 401), (caller, 403)} <= verdicts
    assert {("anonymous", None), ("anonymous", 401), ("terminal", None), ("terminal", 401)} <= verdicts


def test_only_the_listed_operations_are_public():
    public = {(method, path) for method, path, operation in _operations() if not operation.get("security")}
    assert public == PUBLIC_OPERATIONS
