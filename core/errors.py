"""Domain exceptions and the one error shape: RFC 9457 `application/problem+json`.

Services raise the exceptions below; the handlers registered here turn them, HTTP errors, the JWT
library's errors and unexpected failures into problem documents. Internal and database messages
never reach the client. A `detail` is a `core.problems.Message`, rendered in the language the request
asks for (English unless `Accept-Language` prefers Korean); a plain string is sent as it is.
"""

import contextlib
import logging

import redis
from flask import Flask, current_app, g, json, request
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import InterfaceError as DBInterfaceError
from sqlalchemy.exc import InternalError as DBInternalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from core.db import db, lost_a_race
from core.db_limits import cut_by_a_limit
from core.problems import Message, localise, localise_errors

PROBLEM_CONTENT_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused the request. Subclasses fix the status; `slug` names the problem type."""

    status = 400

    def __init__(self, detail: Message | str, *, slug: str | None = None, headers: dict | None = None, **extra):
        super().__init__(str(detail))
        self.message = detail
        self.detail = str(detail)  # in English, for logs and the command line
        self.slug = slug
        self.headers = headers or {}
        self.extra = extra


class InvalidInput(DomainError):
    status = 422


class Unauthenticated(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class TooManyRequests(DomainError):
    status = 429


class ServiceUnavailable(DomainError):
    status = 503


def problem(status: int, detail: Message | str, *, slug: str | None = None, headers=None, **extra):
    """Build a problem+json response. The title is always the status's reason phrase (as werkzeug
    names it), so one status reads the same from every source; the detail and any per-field `errors`
    are in the request's language."""
    body = {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": HTTP_STATUS_CODES[status],
        "status": status,
        "detail": localise(detail),
        "instance": request.path,
    }
    if getattr(g, "request_id", None):
        body["request_id"] = g.request_id
    if "errors" in extra:
        extra["errors"] = localise_errors(extra["errors"])
    body.update(extra)
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_exception_problem(error: HTTPException):
    """Problem for a werkzeug HTTP error, with webargs' per-field messages as `errors`."""
    data = getattr(error, "data", None) or {}
    extra = {}
    messages = data.get("messages") or data.get("errors")
    if messages:
        # webargs nests messages by location ({"json": {...}}); clients want the fields.
        if (
            isinstance(messages, dict)
            and len(messages) == 1
            and next(iter(messages))
            in (
                "json",
                "query",
                "headers",
                "path",
                "form",
                "files",
            )
        ):
            messages = next(iter(messages.values()))
        extra["errors"] = messages
    detail = data.get("message") or _DETAILS.get(error.code) or error.description
    if messages and error.code == 422:
        detail = Message("request.invalid_fields", fields=", ".join(sorted(map(str, messages))))
    headers = dict(data.get("headers") or {})
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(error.code, detail, headers=headers, **extra)


_DETAILS = {status: Message(f"http.{status}") for status in (400, 401, 403, 404, 405, 500)}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        db.session.rollback()
        return problem(error.status, error.message, slug=error.slug, headers=error.headers, **error.extra)

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError):
        # Constraints are the last line of defence against races that slipped past the services.
        db.session.rollback()
        log.info("integrity error mapped to 409: %s", error.orig.__class__.__name__)
        return problem(409, Message("request.conflict"), slug="conflict")

    @app.errorhandler(DataError)
    def _out_of_range(error: DataError):
        # Validation should have caught it; the database is the last line of defence.
        db.session.rollback()
        return problem(422, Message("request.out_of_range"), slug="out-of-range")

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBInterfaceError)
    def _database_down(error):
        if lost_a_race(error):
            db.session.rollback()
            return problem(
                409,
                Message("request.concurrent_update"),
                slug="concurrent-update",
                headers={"Retry-After": "1"},
            )
        if cut_by_a_limit(error):
            return _out_of_time(error)
        log.error("database unavailable: %s", error.__class__.__name__)
        return _retry_later(Message("service.database_unavailable"), slug="database-unavailable")

    @app.errorhandler(DBInternalError)
    def _database_internal(error):
        # PostgreSQL ends a session idle in a transaction past its limit with this class; the rest are bugs.
        return _out_of_time(error) if cut_by_a_limit(error) else _unexpected(error)

    def _out_of_time(error):
        log.warning("database time limit reached: %s", type(error.orig).__name__)
        return _retry_later(Message("service.database_timeout"), slug="database-timeout")

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    def _redis_down(error):
        log.error("redis unavailable: %s", error.__class__.__name__)
        return _retry_later(Message("service.backing_unavailable"), slug="redis-unavailable")

    def _retry_later(message: Message, *, slug: str):
        """503 with Retry-After, the unit of work rolled back (its connection may be gone: the pool then
        discards it, and rolling back may fail as well)."""
        with contextlib.suppress(Exception):
            db.session.rollback()
        return problem(503, message, slug=slug, headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_exception_problem(error)
        log.exception("unhandled error")
        db.session.rollback()
        return problem(500, _DETAILS[500])
