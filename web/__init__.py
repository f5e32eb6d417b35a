"""The pages people use: templates plus one ES module each, talking to the JSON API like any client."""

from flask import Flask

from web import i18n, views

# Pages load only this origin's files: no inline script or style, no plug-ins, no framing.
PAGE_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def init_app(app: Flask) -> None:
    i18n.init_app(app)
    app.register_blueprint(views.blp)


@views.blp.after_request
def _page_headers(response):
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
