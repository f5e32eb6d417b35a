import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from tests.bikeshare.stations.network import build_network

SCHEMAS = Path(__file__).parent / "schemas"


@pytest.fixture
def network(app):
    return build_network(app)


def validator(version: str, feed: str) -> Draft7Validator:
    """The official schema of a GBFS file, with format checks (date-time, uri, email) switched on."""
    schema = json.loads((SCHEMAS / f"v{version}" / f"{feed}.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
