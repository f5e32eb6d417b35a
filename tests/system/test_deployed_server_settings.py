"""docker/granian.env: every setting is one granian reads, with a value it accepts; operators override them."""

import pytest
from granian.cli import cli

from bench.servers import deployed_granian_settings

pytestmark = pytest.mark.unit


def test_every_deployed_setting_is_a_granian_option_with_a_value_it_accepts():
    # granian reads GRANIAN_<OPTION NAME> and ignores any other variable, so a misspelt one would be lost.
    options = {f"GRANIAN_{param.name.upper()}": param for param in cli.params}
    settings = deployed_granian_settings({})
    assert set(settings) <= set(options)
    for name, value in settings.items():
        options[name].type.convert(value, options[name], None)  # raises on a value granian refuses
    assert settings["GRANIAN_INTERFACE"] == "wsgi"
    assert settings["GRANIAN_RESPAWN_FAILED_WORKERS"] == "true"
    assert settings["GRANIAN_LOG_ACCESS_ENABLED"] == "false"


def test_an_operator_overrides_a_setting_through_the_environment():
    assert deployed_granian_settings({})["GRANIAN_WORKERS"] == "2"
    assert deployed_granian_settings({"GRANIAN_WORKERS": "6"})["GRANIAN_WORKERS"] == "6"
