"""Headers on every answer: no caching unless a view opts in, the usual security headers, public URLs.

Every answer is `Cache-Control: no-store` unless its view set a Cache-Control of its own (the public
GBFS feeds do), so tokens, secrets and one-time codes are never kept by a browser or a proxy,
whichever endpoint a later change adds them to. The Content-Security-Policy comes per endpoint or
blueprint from the CONTENT_SECURITY_POLICY setting; Strict-Transport-Security only where it is configured
(production).
"""

from flask import Flask, current_app, request


def environ_key(header: str) -> str:
    """Where a request header waits in the WSGI environ (PEP 3333): read there, a missing header costs no
    raised and caught KeyError, as it does through `request.headers`, and middleware needs no request."""
    return "HTTP_" + header.upper().replace("-", "_")


_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Views meant for other origins (GBFS) set "cross-origin" themselves.
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Where the request's Content-Security-Policy waits for the middleware (answers that never reached a view
# get the default one).
_ENVIRON_POLICY = "seoul.content_security_policy"


class DefaultHeaders:
    """WSGI middleware adding each default header the answer does not carry already.

    Added to the server's plain list of headers: through werkzeug's `Headers` each one was validated
    and then copied and validated again when the answer was sent (~15 us of CPU per answer).
    """

    def __init__(self, wsgi_app, flask_app: Flask):
        self.wsgi_app, self.flask_app = wsgi_app, flask_app
        hsts = flask_app.config["STRICT_TRANSPORT_SECURITY"]
        always = {**_ALWAYS, **({"Strict-Transport-Security": hsts} if hsts else {})}
        self.always = tuple((name.lower(), name, value) for name, value in always.items())

    def __call__(self, environ, start_response):
        def with_defaults(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers.extend((name, value) for lower, name, value in self.always if lower not in present)
            if "content-security-policy" not in present:
                policy = environ.get(_ENVIRON_POLICY) or self.flask_app.config["CONTENT_SECURITY_POLICY"]["default"]
                headers.append(("Content-Security-Policy", policy))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, with_defaults)


def init_app(app: Flask) -> None:
    app.wsgi_app = DefaultHeaders(app.wsgi_app, app)

    @app.after_request
    def _choose_content_security_policy(response):
        policies = app.config["CONTENT_SECURITY_POLICY"]
        answered = request._get_current_object()  # one context lookup instead of one per attribute
        policy = policies.get(answered.endpoint) or policies.get(answered.blueprint)
        if policy:
            answered.environ[_ENVIRON_POLICY] = policy
        return response


def public_url(path: str) -> str:
    """The absolute URL of `path` ("/gbfs/...") at the configured PUBLIC_BASE_URL, whatever Host was sent."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/" + path.lstrip("/")
