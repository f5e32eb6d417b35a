"""Field types for every request and response shape: each states its limits once, so the validation and
the OpenAPI document come from the same rule.

Why the limits: whatever a client sends must be storable on both databases and encodable as UTF-8,
or it becomes a driver error instead of a 422. Integers stay within PostgreSQL's 32-bit `integer` (SQLite
holds 64 bits, so the narrower bound serves both); text never holds NUL (PostgreSQL refuses it) or a lone
surrogate (not encodable); dates stay within 1900..2100 (a year-1 date overflows the date arithmetic, and a
year-612 instant renders with Seoul's local-mean-time offset); timestamps render in UTC, one fixed zone.
"""

import re
import unicodedata
from datetime import UTC, date, datetime, time

import marshmallow as ma
from marshmallow import validate

from core.converters import POSTGRES_INTEGER_MAX
from core.problems import english

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# The years above as a pattern, so generated clients and fuzzers see the range (JSON Schema has no date minimum).
_YEAR_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-"
_DIGITS = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
# Characters that show nothing: controls, soft hyphens, zero-width and joiners, direction controls, Hangul fillers,
# variation selectors, the BOM; `_INVISIBLE` adds combining accents. A name of only these looks blank, and an
# address holding one looks like another account's yet cannot receive mail (the IDNA check maps a zero-width
# space away). Accents may follow a letter in an address: a decomposed "é" is normalised (NFKC) after the check.
_HIDDEN = (
    r"\x01-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u1806\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_INVISIBLE = _HIDDEN + r"\u0300-\u036f"
# No NUL; `_FILLED` also needs one character that is neither whitespace nor invisible, and `_ADDRESS` no invisible
# character at all. Patterns rather than code, so the OpenAPI document states them. Lone surrogates are refused
# in code (`_paired_surrogates`): a surrogate range in a pattern means code units to an ECMAScript client, which
# then refuses every emoji, and schemathesis stops honouring such a pattern altogether.
_STORABLE = r"^[^\x00]*$"
_FILLED = rf"^[\s{_INVISIBLE}]*[^\s\x00{_INVISIBLE}][^\x00]*$"
_ADDRESS = rf"^\s*[^\s\x00{_INVISIBLE}][^\x00{_HIDDEN}]*\s*$"  # whitespace around is trimmed later
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _with(kwargs: dict, *validators) -> list:
    """The caller's validators plus ours (apispec documents the narrowest of several ranges)."""
    given = kwargs.pop("validate", None)
    if given is None:
        given = []
    elif callable(given):
        given = [given]
    return [*given, *validators]


class Integer(ma.fields.Integer):
    """An integer the database can store. A JSON body must hold a JSON integer (`4768.5`, `true` and `"12"`
    are refused, not truncated or cast); `in_query=True` reads decimal digits from a query string instead."""

    def __init__(self, *, in_query: bool = False, **kwargs):
        self.in_query = in_query
        validators = _with(kwargs, validate.Range(-POSTGRES_INTEGER_MAX - 1, POSTGRES_INTEGER_MAX))
        super().__init__(strict=False, validate=validators, **kwargs)

    def _validated(self, value):
        if isinstance(value, (bool, float)):
            raise self.make_error("invalid", input=value)
        if isinstance(value, str) and not (self.in_query and _DIGITS.fullmatch(value)):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class Float(ma.fields.Float):
    """A finite number: a JSON number in a body (not a string or a boolean), decimal text in a query."""

    def __init__(self, *, in_query: bool = False, **kwargs):
        self.in_query = in_query
        super().__init__(allow_nan=False, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool) or (isinstance(value, str) and not (self.in_query and _NUMBER.fullmatch(value))):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class Text(ma.fields.String):
    """Text that can be stored: no NUL or lone surrogate, at most `max_length` characters and, when
    `min_length` is 1 or more, something visible (not only whitespace or invisible characters). Returned
    without surrounding whitespace unless `strip=False`: passwords are taken as typed, spaces included."""

    FILLED, FILLED_MESSAGE = _FILLED, "validation.blank_or_unstorable"

    def __init__(self, *, max_length: int, min_length: int = 0, strip: bool = True, **kwargs):
        self.strip = strip
        self.filled = filled = bool(min_length and strip)
        if filled:
            rule = validate.Regexp(self.FILLED, error=english(self.FILLED_MESSAGE))
        else:
            rule = validate.Regexp(_STORABLE, error=english("validation.unstorable"))
        length = validate.Length(min=min_length or None, max=max_length)
        super().__init__(validate=_with(kwargs, length, rule, self._paired_surrogates), **kwargs)

    def _paired_surrogates(self, text) -> None:
        """A lone surrogate (JSON can escape one: "\\ud800") cannot be encoded as UTF-8, so cannot be stored."""
        if isinstance(text, str) and _LONE_SURROGATE.search(text):
            raise ma.ValidationError(english(self.FILLED_MESSAGE if self.filled else "validation.unstorable"))

    def deserialize(self, value, attr=None, data=None, **kwargs):
        text = super().deserialize(value, attr, data, **kwargs)
        return text.strip() if self.strip and isinstance(text, str) else text


class EmailAddress(Text):
    """An e-mail address, compatibility-normalised (NFKC) and lower-cased, so a full-width `ｍｉｎｓｕ.kim@…`
    names the same account as `minsu.kim@…`, and without invisible characters. `check_format=False` takes
    any visible text (a login with a malformed address is simply a failed login)."""

    FILLED, FILLED_MESSAGE = _ADDRESS, "validation.blank_or_invisible_in_address"

    def __init__(self, *, check_format: bool = True, **kwargs):
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("min_length", 1)
        if check_format:
            kwargs["validate"] = _with(kwargs, validate.Email())
            kwargs["metadata"] = {"format": "email", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        text = super().deserialize(value, attr, data, **kwargs)
        return unicodedata.normalize("NFKC", text).lower() if isinstance(text, str) else text


class Date(ma.fields.Date):
    """A calendar date between 1900-01-01 and 2100-12-31."""

    def __init__(self, **kwargs):
        in_range = validate.Range(EARLIEST_DATE, LATEST_DATE, error=english("validation.date_between"))
        kwargs["metadata"] = {"pattern": _YEAR_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(validate=_with(kwargs, in_range), **kwargs)


class Timestamp(ma.fields.AwareDateTime):
    """An instant with its offset, between 1900 and 2100; rendered in UTC, whatever zone it was made in."""

    def __init__(self, **kwargs):
        earliest = datetime.combine(EARLIEST_DATE, time(0), UTC)
        latest = datetime.combine(LATEST_DATE, time(23, 59, 59), UTC)
        in_range = validate.Range(earliest, latest, error=english("validation.instant_between"))
        kwargs["metadata"] = {"pattern": _YEAR_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(validate=_with(kwargs, in_range), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime):
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except OverflowError as error:  # an offset that pushes year 1 or 9999 out of range
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from error
