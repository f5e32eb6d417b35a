"""flask-smorest's Api, made to speak problem+json for errors and to document that shape."""

import http
import json
import re
import threading

import marshmallow as ma
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from core.errors import PROBLEM_CONTENT_TYPE, http_exception_problem
from core.problems import Message

# Our deepest shape is three levels; JSON nested deeper is refused before it is parsed (a parser
# recursing a thousand levels raises RecursionError, and webargs lets that through as a 500).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")


def unreadable_json(body: bytes) -> Message | None:
    """Why a JSON body cannot be read (nested too deeply, a number too long, not JSON), or None."""
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth(body) > MAX_JSON_DEPTH:
        return Message("json.too_deep", depth=MAX_JSON_DEPTH)
    try:
        json.loads(body)
    except ValueError as error:  # JSONDecodeError, bad UTF-8, or an integer beyond Python's 4,300 digits
        if "digits" in str(error):
            return Message("json.number_too_long")
        return Message("json.malformed")
    return None


def _depth(body: bytes) -> int:
    """Deepest bracket nesting outside strings, counted without recursion."""
    depth = deepest = 0
    for bracket in _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    instance = ma.fields.String()
    request_id = ma.fields.String()
    errors = ma.fields.Raw(metadata={"description": "Per-field messages, for invalid input"})

    class Meta:
        # Some problems carry extra members (e.g. the nearest stations with room).
        unknown = ma.INCLUDE


class ProblemApi(Api):
    """Also builds the OpenAPI paths lazily: on first use of `spec`, not while the app is built.

    Describing every view (deep copies of each view's doc, schema resolution) took a third of
    `create_app`, which every `flask` command, worker start and test pays; the document is read
    only by /openapi.json and the contract tests. Any use of `spec` first describes the blueprints
    registered so far, in order, so the document is the same as when built eagerly.
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args, **kwargs):
        self._pending_docs: list[tuple] = []
        self._docs_lock = threading.RLock()
        self._spec = None
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        # Reentrant: describing a view may read `spec` again; another thread waits for the whole document.
        with self._docs_lock:
            while self._pending_docs:
                blp, app, name, parameters = self._pending_docs.pop(0)
                blp.register_views_in_doc(self, app, self._spec, name=name, parameters=parameters)
                self._spec.tag({"name": name, "description": blp.description})
            return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._pending_docs = []  # a new app's document: what was pending belonged to the previous one
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register `blp` on the app now and in the document when it is first read (as flask-smorest's)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._pending_docs.append((blp, self._app, name, parameters))

    def handle_http_exception(self, error):
        return http_exception_problem(error)

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)
