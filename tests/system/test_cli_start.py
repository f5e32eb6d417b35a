"""A `flask` command starts quickly: it builds the app without the numerical libraries (issue 12, item 7).

Start-up time itself is not asserted (a wall clock is flaky on a shared test machine); what made it slow is:
the numerical libraries loaded at import, and the garbage collector re-scanning the app while it was built.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Imported by the services and commands that compute with them, never by building the app. (cryptography
# is not listed: PyJWT imports it whenever it is installed.)
HEAVY_LIBRARIES = ("numpy", "scipy", "ortools", "PIL", "qrcode")


@pytest.fixture
def development_env(tmp_path):
    """`make run`'s environment: development settings, nothing configured, a fresh instance folder."""
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "APP_ENV": "development", "FLASK_APP": "wsgi", "INSTANCE_PATH": str(tmp_path / "instance")}


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_flask_help_lists_the_projects_commands(development_env):
    result = _run(development_env, "-m", "flask", "--help")

    assert result.returncode == 0
    assert result.stderr == ""  # Flask prints a failed app load here and still lists its own commands
    commands = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert {"bikeshare", "cardapi", "users", "db", "openapi", "run", "routes"} <= commands


def test_flask_bikeshare_help_lists_the_features_commands(development_env):
    result = _run(development_env, "-m", "flask", "bikeshare", "--help")

    assert result.returncode == 0, result.stderr
    assert {"setup-city", "import-trips", "mark-missing"} <= set(result.stdout.split())


def test_building_the_app_loads_no_numerical_library_and_leaves_the_collector_on(development_env):
    probe = f"import gc, sys, wsgi; print(sorted(set({HEAVY_LIBRARIES!r}) & set(sys.modules)), gc.isenabled())"
    result = _run(development_env, "-c", probe)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "True"]
