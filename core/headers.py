"""Headers on every answer: no caching unless a view opts in, the usual security headers, public URLs.

Every answer is `Cache-Control: no-store` unless its view set a Cache-Control of its own (the public
GBFS feeds do), so tokens, secrets and one-time codes are never kept by a browser or a proxy,
whichever endpoint a later change adds them to. The Content-Security-Policy comes per endpoint or
blueprint from the CONTENT_SECURITY_POLICY setting; Strict-Transport-Security only where it is configured
(production).
"""

from flask import Flask, current_app, request

_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Views meant for other origins (GBFS) set "cross-origin" themselves.
    "Cross-Origin-Resource-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    @app.after_request
    def _add_headers(response):
        headers = response.headers
        for name, value in _ALWAYS.items():
            headers.setdefault(name, value)
        if "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        policies = app.config["CONTENT_SECURITY_POLICY"]
        policy = policies.get(request.endpoint) or policies.get(request.blueprint) or policies["default"]
        headers.setdefault("Content-Security-Policy", policy)
        if app.config["STRICT_TRANSPORT_SECURITY"]:
            headers.setdefault("Strict-Transport-Security", app.config["STRICT_TRANSPORT_SECURITY"])
        return response


def public_url(path: str) -> str:
    """The absolute URL of `path` ("/gbfs/...") at the configured PUBLIC_BASE_URL, whatever Host was sent."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/" + path.lstrip("/")
