"""flask-smorest's Api, made to speak problem+json for errors and to document that shape."""

import http

import marshmallow as ma
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from core.errors import PROBLEM_CONTENT_TYPE, http_exception_problem


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
