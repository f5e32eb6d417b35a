"""Problem details in Korean and English: each message lives once, in one catalogue per language.

Services raise with a `Message` (a catalogue key and its values); `core.errors` renders it in the language
the request asks for. The API answers in English unless `Accept-Language` prefers Korean; the pages send
their own language. Validation messages come from marshmallow as English text, so they are recognised by
the English templates under `validation.` and rendered again in the language asked for.
"""

import json
import re
from functools import cache
from pathlib import Path

from flask import has_request_context, request

LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"
CATALOGUES = Path(__file__).resolve().parent
_PLACEHOLDER = re.compile(r"\{(\w+)(![rs])?\}")


@cache
def catalogue(language: str) -> dict[str, str]:
    return json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))


class Message:
    """A problem's text before a language is chosen: a catalogue key and the values it names."""

    def __init__(self, key: str, **values):
        self.key = key
        self.values = values

    def render(self, language: str = DEFAULT_LANGUAGE) -> str:
        return catalogue(language)[self.key].format(**self.values)

    def __str__(self) -> str:  # logs and the command line read English
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.values!r})"


def english(key: str) -> str:
    """A catalogue text in English, for libraries that take a message string (validators' `error=`)."""
    return catalogue(DEFAULT_LANGUAGE)[key]


def requested_language() -> str:
    """The request's `Accept-Language` best match; English outside a request or when nothing matches."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return request.accept_languages.best_match(LANGUAGES, DEFAULT_LANGUAGE)


def localise(detail: "Message | str", language: str | None = None) -> str:
    """A `Message` in the request's language (or `language`); text not yet in the catalogue as it is."""
    return detail.render(language or requested_language()) if isinstance(detail, Message) else detail


def localise_errors(errors, language: str | None = None):
    """Per-field messages: each `Message` rendered and each known validation text re-rendered, however nested."""
    language = language or requested_language()
    if isinstance(errors, Message):
        return errors.render(language)
    if isinstance(errors, str):
        return _validation_text(errors, language)
    if isinstance(errors, dict):
        return {name: localise_errors(value, language) for name, value in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [localise_errors(value, language) for value in errors]
    return errors


def _validation_text(text: str, language: str) -> str:
    if language == DEFAULT_LANGUAGE:
        return text
    for pattern, key in _validation_patterns():
        found = pattern.fullmatch(text)
        if found:
            return catalogue(language)[key].format(**found.groupdict())
    return text


@cache
def _validation_patterns() -> list[tuple[re.Pattern, str]]:
    """The English validation templates as patterns, the most specific (longest fixed text) first."""
    patterns = []
    for key, template in catalogue(DEFAULT_LANGUAGE).items():
        if key.startswith("validation."):
            pieces, at = [], 0
            for placeholder in _PLACEHOLDER.finditer(template):
                pieces += [re.escape(template[at : placeholder.start()]), f"(?P<{placeholder[1]}>.+?)"]
                at = placeholder.end()
            pieces.append(re.escape(template[at:]))
            fixed = len(_PLACEHOLDER.sub("", template))
            patterns.append((fixed, re.compile("".join(pieces), re.DOTALL), key))
    return [(pattern, key) for _, pattern, key in sorted(patterns, key=lambda entry: -entry[0])]
