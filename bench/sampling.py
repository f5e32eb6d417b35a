"""Sampling profiles of the gunicorn workers with py-spy while a scenario runs (when py-spy exists).

`BENCH_PYSPY=/path/to/py-spy` (or py-spy on PATH) turns it on; each scenario's collapsed stacks go
to `bench/profiles/<scenario>.txt` and a summary (where the workers' time goes) into the results.
"""

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

PROFILES = Path(__file__).resolve().parent / "profiles"


def py_spy() -> str | None:
    return os.environ.get("BENCH_PYSPY") or shutil.which("py-spy")


def start(master_pid: int, name: str, seconds: float):
    """Start sampling every worker of the gunicorn master for `seconds`; None without py-spy."""
    executable = py_spy()
    if not executable:
        return None
    PROFILES.mkdir(exist_ok=True)
    output = PROFILES / f"{name}.txt"
    command = [
        executable, "record", "--pid", str(master_pid), "--subprocesses", "--nonblocking",
        "--duration", str(int(seconds)), "--rate", "200", "--format", "raw", "--output", str(output),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), output


def _bucket(frame: str) -> str:
    """Name the layer a leaf frame belongs to, for the summary."""
    rules = (
        ("psycopg", "PostgreSQL driver (incl. waiting for the server)"),
        ("sqlalchemy", "SQLAlchemy"),
        ("redis", "redis-py (incl. waiting for Redis)"),
        ("marshmallow", "marshmallow"),
        ("flask_smorest", "flask-smorest"),
        ("webargs", "webargs"),
        ("argon2", "argon2"),
        ("jwt", "PyJWT"),
        ("json", "JSON"),
        ("logging", "logging"),
        ("gunicorn", "gunicorn"),
        ("werkzeug", "werkzeug"),
        ("flask", "Flask"),
    )
    for needle, label in rules:
        if needle in frame:
            return label
    return "app and other"


def summarise(record) -> dict:
    """Share of samples per layer (by leaf frame) and per app function (inclusive)."""
    if record is None:
        return {}
    process, output = record
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        return {}
    if not output.exists():
        return {}
    layers, functions, total = Counter(), Counter(), 0
    for line in output.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        layers[_bucket(frames[-1])] += samples
        seen = set()
        for frame in frames:
            if any(package in frame for package in ("core/", "cardapi/", "bikeshare/")) and frame not in seen:
                seen.add(frame)
                functions[frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].rstrip(")")] += samples
    if not total:
        return {}
    share = lambda counter: {k: round(100 * v / total, 1) for k, v in counter.most_common(12)}  # noqa: E731
    return {"samples": total, "leaf_layer_percent": share(layers), "inclusive_app_percent": share(functions)}
