"""The OpenAPI document, read once per test session; building it needs neither the database nor Redis."""

import functools

from core.app import create_app

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@functools.cache
def openapi_document() -> dict:
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0"})
    return app.test_client().get("/openapi.json").get_json()


def documented_operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every documented operation."""
    paths = openapi_document()["paths"]
    return [(method.upper(), path) for path, item in sorted(paths.items()) for method in HTTP_METHODS if method in item]


def operation(method: str, path: str) -> dict:
    return openapi_document()["paths"][path][method.lower()]


def parameters(method: str, path: str) -> list[dict]:
    """The operation's parameters, those declared on its path included."""
    item = openapi_document()["paths"][path]
    return [*item.get("parameters", []), *operation(method, path).get("parameters", [])]


def resolve(schema: dict) -> dict:
    """A schema with its `$ref` (to components) followed."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = openapi_document()["components"]["schemas"][name]
    return schema
