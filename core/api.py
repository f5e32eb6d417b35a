"""flask-smorest's Api, made to speak problem+json for errors and to document that shape."""

import http
import json
import re

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
    ERROR_SCHEMA = ProblemSchema

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
