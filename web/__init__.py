"""The pages people use: templates plus one ES module each, talking to the JSON API like any client."""

from flask import Flask

from web import i18n, views


def init_app(app: Flask) -> None:
    i18n.init_app(app)
    app.register_blueprint(views.blp)
