"""URL converters whose range matches the database, so an oversized id is a 404, not a driver error."""

from werkzeug.routing import IntegerConverter

POSTGRES_INTEGER_MAX = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` limited to PostgreSQL's integer range."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", POSTGRES_INTEGER_MAX)
        super().__init__(url_map, *args, **kwargs)
