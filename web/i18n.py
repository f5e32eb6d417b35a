"""Korean first, English too: one JSON catalogue per language, read by templates and ES modules alike."""

import json
from functools import cache
from pathlib import Path

from flask import Flask, g, request

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
LANGUAGE_COOKIE = "lang"
CATALOGUES = Path(__file__).resolve().parent / "static" / "i18n"


@cache
def catalogue(language: str) -> dict[str, str]:
    return json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))


def current_language() -> str:
    """The language the visitor chose on a page (a cookie), else the best of Accept-Language, else Korean."""
    if "language" not in g:
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        g.language = chosen if chosen in LANGUAGES else request.accept_languages.best_match(LANGUAGES, DEFAULT_LANGUAGE)
    return g.language


def translate(key: str, **values) -> str:
    text = catalogue(current_language())[key]
    return text.format(**values) if values else text


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(t=translate, current_language=current_language, languages=LANGUAGES)
