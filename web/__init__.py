"""The pages people use: templates plus one ES module each, talking to the JSON API like any client."""

from urllib.parse import urlsplit

from flask import Flask

from web import i18n, views


def init_app(app: Flask) -> None:
    i18n.init_app(app)
    app.register_blueprint(views.blp)
    if app.config.get("WEB_MAP_TILE_URL"):
        _allow_map_tiles(app, app.config["WEB_MAP_TILE_URL"])


def _allow_map_tiles(app: Flask, tile_url: str) -> None:
    """The operations console may load images from the tile server, and nothing else from it; other pages
    keep the page policy. A `{s}` subdomain placeholder becomes a wildcard."""
    parts = urlsplit(tile_url)
    origin = f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    policies = dict(app.config["CONTENT_SECURITY_POLICY"])  # the settings class's dict is shared: copy it
    directives = [
        f"{directive} {origin}" if directive.startswith("img-src ") else directive
        for directive in policies["web"].split("; ")
    ]
    policies["web.ops"] = "; ".join(directives)  # the endpoint of views.ops
    app.config["CONTENT_SECURITY_POLICY"] = policies
