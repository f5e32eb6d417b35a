"""The application factory: a short list of register steps."""

import os
from types import FunctionType

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from config import load_settings
from core import auth, db_limits, headers, migrations, observability
from core import redis as redis_ext
from core.converters import POSTGRES_INTEGER_MAX, DatabaseIdConverter
from core.db import sqlalchemy_url
from core.errors import register_error_handlers
from core.extensions import api, db, jwt
from core.overload import ShedStaleRequests

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; `test_config` overrides settings so tests never touch the environment."""
    app = _SeoulFlask("seoul", instance_path=os.environ.get("INSTANCE_PATH") or None)
    app.config.from_mapping(load_settings(test_config))
    app.json.ensure_ascii = False  # Korean names read as Korean
    app.session_interface = _NoCookieSessions()
    app.url_map.converters["int"] = DatabaseIdConverter
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])
    app.wsgi_app = ShedStaleRequests(app.wsgi_app)

    observability.init_app(app)
    headers.init_app(app)
    _register_database(app)
    redis_ext.init_app(app)
    _register_extensions(app)
    register_error_handlers(app)
    _register_json_only(app)
    _register_blueprints(app)
    _register_commands(app)
    _register_domains(app)
    _register_pages(app)
    return app


class _SeoulFlask(Flask):
    """Flask, asking once per function whether it is a coroutine function.

    Flask asks `inspect.iscoroutinefunction` of every hook and of the view on every request (eight to
    ten times); a function's kind never changes, so the answer is kept. Only plain functions are kept:
    a class-based view's bound methods are new on every request.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions: dict = {}

    def ensure_sync(self, func):
        if type(func) is not FunctionType:
            return super().ensure_sync(func)
        sync = self._sync_functions.get(func)
        if sync is None:
            sync = self._sync_functions[func] = super().ensure_sync(func)
        return sync


class _NoCookieSessions(SecureCookieSessionInterface):
    """A token API keeps no cookie session: none is read or signed on any request."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


def _register_database(app: Flask) -> None:
    url = app.config.get("DATABASE_URL")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "seoul.db")
        app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(url)
    db.init_app(app)
    db_limits.init_app(app)
    _import_models()
    migrations.init_app(app, directory=MIGRATIONS_DIR)


def _import_models() -> None:
    """Every package's models, so the metadata (and Alembic) knows every table."""
    import core.accounts.models  # noqa: F401
    import core.audit  # noqa: F401
    import core.eligibility  # noqa: F401
    import core.idempotency  # noqa: F401


def _register_extensions(app: Flask) -> None:
    jwt.init_app(app)
    auth.init_app(app)
    api.init_app(app, spec_kwargs={"servers": [{"url": "/"}]})
    api.register_converter(
        DatabaseIdConverter, lambda converter: {"type": "integer", "minimum": 0, "maximum": POSTGRES_INTEGER_MAX}
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.components.security_scheme("terminalKey", {"type": "apiKey", "in": "header", "name": "X-Terminal-Key"})


def _register_json_only(app: Flask) -> None:
    """A body in anything but JSON is 415, and JSON that cannot be read safely is 400, before
    authentication or any view or validator sees it (a body over MAX_CONTENT_LENGTH is 413)."""
    from core.api import unreadable_json
    from core.errors import problem
    from core.problems import Message

    @app.before_request
    def _require_json_body():
        body_request = request._get_current_object()  # one context lookup instead of one per attribute
        if body_request.method not in ("POST", "PUT", "PATCH"):
            return None
        if body_request.content_length and not body_request.is_json:
            mimetype = body_request.mimetype
            return problem(
                415, Message("request.not_json", mimetype=mimetype) if mimetype else Message("request.untyped_body")
            )
        if body_request.is_json and body_request.get_data(cache=True):
            reason = unreadable_json(body_request.get_data(cache=True))
            if reason:
                return problem(400, reason, slug="unreadable-json")
        return None


def _register_blueprints(app: Flask) -> None:
    from core import audit_routes, eligibility_routes, health
    from core.accounts import routes as accounts

    for blueprint in (health.blp, accounts.blp, audit_routes.blp, eligibility_routes.blp):
        api.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from core.accounts import cli as accounts_cli

    accounts_cli.init_app(app)


def _register_domains(app: Flask) -> None:
    """The two domains; each registers its own models, blueprints and commands."""
    import bikeshare
    import cardapi

    cardapi.init_app(app)
    bikeshare.init_app(app)


def _register_pages(app: Flask) -> None:
    """The pages (`web/`): clients of the JSON API like any other, so they come after it."""
    import web

    web.init_app(app)
