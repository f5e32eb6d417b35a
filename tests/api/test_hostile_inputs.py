"""Hostile input against every documented operation, on PostgreSQL and on SQLite: never a 5xx, always
a problem document, and each hostile value refused.

Sent as a user holding every role, with a terminal key, so the requests reach validation rather than
stopping at authentication: JSON nested 1,000 deep, a 5,000-digit integer, lone surrogates and NUL in
every string, integers beyond 64 bits in every integer field, query parameter and path id, years 1 and
9999 in every date, and a body over the size limit.
"""

import json
from urllib.parse import quote

import pytest

from tests.api.document import documented_operations, operation, parameters, resolve
from tests.conftest import close_app, open_postgresql_app, open_sqlite_app
from tests.helpers import staff

BIG_INTEGERS = (2**63, 2**64, -(2**63) - 1)
LONG_INTEGER = "9" * 5000
BAD_TEXT = ("\ud800", "a\x00b")
# In a URL a lone surrogate can only be sent as its UTF-8-like bytes, which decode to U+FFFD: harmless text.
BAD_URL_TEXT = ("a\x00b",)
BAD_DATES = {"date": ("0001-01-01", "9999-12-31"), "date-time": ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59Z")}
PROBLEM = "application/problem+json"
# Valid values for the parameters a case does not attack, so that the attacked one is what gets judged.
PATH_DEFAULTS = {"bike_id": "SPB-00001", "role": "operator", "category": "senior", "version": "3.0", "feed": "gbfs"}
QUERY_DEFAULTS = {"integer": "1", "number": "37.5"}


def _body_slots(schema: dict, wrap=lambda value: value) -> list[tuple[str | None, str | None, object]]:
    """(type, format, put) for every scalar field of a body schema; `put(value)` builds a body holding it."""
    slots = []
    for name, prop in resolve(schema).get("properties", {}).items():
        prop = resolve(prop)

        def put(value, name=name, wrap=wrap):
            return wrap({name: value})

        if prop.get("type") == "array":
            items = resolve(prop.get("items", {}))

            def put_in_list(value, put=put):
                return put([value])

            if "properties" in items:
                slots += _body_slots(items, put_in_list)
            else:
                slots.append((items.get("type"), items.get("format"), put_in_list))
        elif "properties" in prop:
            slots += _body_slots(prop, put)
        else:
            slots.append((prop.get("type"), prop.get("format"), put))
    return slots


def _hostile_values(kind: str | None, fmt: str | None, *, in_url: bool = False) -> list:
    if kind == "integer":
        return list(BIG_INTEGERS)
    if kind == "string":
        return [*(BAD_URL_TEXT if in_url else BAD_TEXT), *BAD_DATES.get(fmt, ())]
    return []


def _json(body) -> str:
    return json.dumps(body, ensure_ascii=True)  # lone surrogates travel as \ud800 escapes, as a client sends them


def hostile_cases(method: str, path: str) -> list[tuple[str, dict, int | str | None]]:
    """(description, test-client arguments, expectation) for one operation: the exact status, the body field
    a 422 must name, or None for any 4xx."""
    spec, declared = operation(method, path), parameters(method, path)
    path_values = {
        p["name"]: QUERY_DEFAULTS["integer"] if p["schema"].get("type") == "integer" else PATH_DEFAULTS[p["name"]]
        for p in declared
        if p["in"] == "path"
    }
    query_defaults = {
        p["name"]: p["schema"].get("enum", [QUERY_DEFAULTS.get(p["schema"].get("type"), "x")])[0]
        for p in declared
        if p["in"] == "query" and p.get("required")
    }

    def url(path_overrides=(), query=None) -> str:
        values = {**path_values, **dict(path_overrides)}
        address = path.format(
            **{name: quote(str(value), safe="", errors="surrogatepass") for name, value in values.items()}
        )
        query = {**query_defaults, **(query or {})}
        if query:
            address += "?" + "&".join(
                f"{name}={quote(str(value), safe='', errors='surrogatepass')}" for name, value in query.items()
            )
        return address

    cases = []
    for p in declared:
        kind, fmt = p["schema"].get("type"), p["schema"].get("format")
        values = _hostile_values(kind, fmt, in_url=True) + ([LONG_INTEGER] if kind == "integer" else [])
        for value in values:
            label = f"{p['in']} {p['name']}={str(value)[:30]!r}"
            if p["in"] == "path":
                cases.append((label, {"path": url({p["name"]: value})}, None))
            elif p["in"] == "query":
                cases.append((label, {"path": url(query={p["name"]: value})}, None))
    body = spec.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        raw = {"path": url(), "content_type": "application/json"}
        cases.append(("JSON nested 1,000 deep", {**raw, "data": "[" * 1000 + "]" * 1000}, 400))
        cases.append(("5,000-digit integer", {**raw, "data": '{"n": ' + LONG_INTEGER + "}"}, 400))
        cases.append(("body over the size limit", {**raw, "data": _json({"n": "x" * 70_000})}, 413))
        for kind, fmt, put in _body_slots(body["schema"]):
            for value in _hostile_values(kind, fmt):
                body_text = _json(put(value))
                field = next(iter(put(value)))  # the top-level field holding the value must be the one refused
                cases.append((f"body {body_text[:60]}", {**raw, "data": body_text}, field))
    return cases


OPERATIONS = documented_operations()
CASE_COUNT = sum(len(hostile_cases(method, path)) for method, path in OPERATIONS)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def hostile_client(request, tmp_path_factory):
    """A client of the app on each database, and headers that pass authentication for every operation.
    One app per database for the module: the cases only fail, so they leave nothing to clean up between."""
    if request.param == "postgresql":
        request.getfixturevalue("migrated")
        app = open_postgresql_app(request.getfixturevalue("base_config"))
    else:
        template, redis_url = request.getfixturevalue("sqlite_template"), request.getfixturevalue("redis_url")
        app = open_sqlite_app(template, redis_url, tmp_path_factory.mktemp("hostile"))
    request.addfinalizer(lambda: close_app(app))
    client = app.test_client()
    user = staff(app, client, "admin")
    assert app.test_cli_runner().invoke(args=["users", "grant-role", user.email, "operator"]).exit_code == 0
    facility = client.post(
        "/api/v1/admin/facilities",
        json={"name": "구민체육센터", "kind": "sports", "district": "중구"},
        headers=user.headers,
    ).get_json()
    terminal = client.post(
        f"/api/v1/admin/facilities/{facility['id']}/terminals", json={"name": "desk"}, headers=user.headers
    ).get_json()
    return client, {**user.headers, "X-Terminal-Key": terminal["api_key"]}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_hostile_input_is_refused_with_a_problem_never_a_server_error(hostile_client, method, path):
    client, headers = hostile_client
    failures = []
    for label, request, expected in hostile_cases(method, path):
        response = client.open(method=method, headers=headers, **request)
        if isinstance(expected, str):
            refused = response.status_code == 422 and expected in (response.get_json().get("errors") or {})
        else:
            refused = response.status_code == expected if expected else 400 <= response.status_code < 500
        if not refused or response.mimetype != PROBLEM:
            failures.append(
                f"{label}: {response.status_code} {response.mimetype} {response.get_data(as_text=True)[:200]}"
            )
    assert not failures, "\n".join(failures)


def test_every_operation_gets_hostile_cases():
    """The enumeration itself works: every operation with a body or a parameter is attacked."""
    attacked = {(method, path) for method, path in OPERATIONS if hostile_cases(method, path)}
    with_input = {
        (method, path)
        for method, path in OPERATIONS
        if operation(method, path).get("requestBody") or any(p["in"] != "header" for p in parameters(method, path))
    }
    assert attacked == with_input
    assert CASE_COUNT > 300
