"""HTTP scenarios driven by `wrk` (C, epoll): the load costs the shared cores little.

A scenario is a file of request lines (`METHOD \\t PATH \\t BODY \\t Header: value ...`) that
`wrk/lines.lua` sends, one connection per wrk thread, each thread its own lines: one-time payloads
(QR codes) are never sent twice, and a warm-up run gets lines of its own. Closed loop finds the
throughput; at a fixed rate each connection sends on a schedule and latency counts from when a
request was due (as wrk2 does; wrk2 is not packaged in Debian, so the script keeps the schedule).
Rent + return needs the rental id between requests: `wrk/rent_return.lua`.

A new scenario is a `Lines` with a function that gives N fresh lines (an SCC2 card scenario is one:
`Lines("qr_scc2", make_lines=..., pattern=ACCEPTED)`), or a file of lines made beforehand:
`BENCH_LINE_FILES=qr_scc2=/tmp/scc2.tsv make bench` (each line is sent once, in order, across the runs;
a scenario named qr_* counts an answer good when it accepts the card).
"""

import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyotp

from bench import cpu

SCRIPTS = Path(__file__).resolve().parent / "wrk"
ACCEPTED = '"accepted":%s*true'  # a Lua pattern: the verification's answer that admits the card
SEOUL_LAT = (37.43, 37.69)
SEOUL_LON = (126.80, 127.18)


def executable() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing: `apt-get install wrk` (make bench installs it when it can)")
    return found


def line(method: str, path: str, body: dict | None = None, headers: dict | None = None) -> str:
    fields = [method, path, json.dumps(body, separators=(",", ":")) if body is not None else ""]
    fields += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return "\t".join(fields)


@dataclass
class Lines:
    """Requests from `make_lines(n)`; `reuse` when a line may be sent again (reads, not one-time codes)."""

    name: str
    make_lines: Callable[[int], list[str]]
    reuse: bool = False
    expect: str = "200"
    pattern: str = ""  # a Lua pattern the body of a good answer matches ("" for any)
    units_per_request: float = 1.0

    def script_args(
        self, workdir: Path, requests: int, threads: int, rate: float, stamp: bool = False
    ) -> tuple[Path, list[str]]:
        path = Path(tempfile.mkstemp(prefix=f"{self.name}-", suffix=".tsv", dir=workdir)[1])
        path.write_text("\n".join(self.make_lines(requests)) + "\n")
        per_connection = rate / threads if rate else 0
        args = [str(path), "1" if self.reuse else "0", self.expect, self.pattern, f"{per_connection:g}", str(threads)]
        args.append("1" if stamp else "0")
        return SCRIPTS / "lines.lua", args


@dataclass
class RentReturn:
    """Riders with passes (their bearer tokens) rent and return at random stations."""

    tokens: list[str]
    station_ids: list[int]
    name: str = "rent_return"

    def script_args(
        self, workdir: Path, requests: int, threads: int, rate: float, stamp: bool = False
    ) -> tuple[Path, list[str]]:
        riders = Path(tempfile.mkstemp(prefix="riders-", suffix=".txt", dir=workdir)[1])
        stations = Path(tempfile.mkstemp(prefix="stations-", suffix=".txt", dir=workdir)[1])
        riders.write_text("\n".join(self.tokens) + "\n")
        stations.write_text("\n".join(map(str, self.station_ids)) + "\n")
        return SCRIPTS / "rent_return.lua", [str(riders), str(stations), str(threads)]


def file_lines(path: str) -> Callable[[int], list[str]]:
    """Lines from a file, handed out in order and never twice (one-time payloads made beforehand)."""
    lines, cursor = Path(path).read_text().splitlines(), [0]

    def make(n: int) -> list[str]:
        first, cursor[0] = cursor[0], cursor[0] + n
        return lines[first : first + n]

    return make


def constant(request: str) -> Callable[[int], list[str]]:
    return lambda n: [request]


def nearest_lines(seed: int = 1000) -> Callable[[int], list[str]]:
    rng = random.Random(seed)

    def make(n: int) -> list[str]:
        points = ((rng.uniform(*SEOUL_LAT), rng.uniform(*SEOUL_LON)) for _ in range(min(n, 20000)))
        return [line("GET", f"/api/v1/stations?lat={lat:.6f}&lon={lon:.6f}&limit=10") for lat, lon in points]

    return make


@dataclass
class CardPool:
    """Cards handed out in disjoint slices, so no run shows a card another run showed in the same step.

    After the whole pool the cursor wraps: by then the first cards' steps are long past.
    """

    cards: list[tuple[str, str]]  # (card number, base32 secret)
    terminal_keys: list[str]
    period: int = 30
    cursor: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)  # runs against two instances at once

    def take(self, n: int) -> int:
        with self.lock:
            first, self.cursor = self.cursor, self.cursor + n
        return first

    def scc1_lines(self, n: int) -> list[str]:
        step = int(time.time()) // self.period  # codes stay valid for ±1 step: runs are shorter than that
        first, lines = self.take(n), []
        for index in range(first, first + n):
            number, secret = self.cards[index % len(self.cards)]
            code = pyotp.TOTP(secret, digits=8, interval=self.period).generate_otp(step)
            key = self.terminal_keys[index % len(self.terminal_keys)]
            payload = f"SCC1:{number}:{step}:{code}"
            lines.append(line("POST", "/api/v1/verifications", {"payload": payload}, {"X-Terminal-Key": key}))
        return lines


def run(
    scenario,
    server,
    workdir: Path,
    *,
    roots: dict[str, list[int]],
    connections: int,
    duration: float,
    rate: float = 0,
    expected_rate: float = 3000,
    stamp: bool = False,
) -> dict:
    """One wrk run of `scenario` against `server`; the summary the report prints.

    `roots` names each component's root processes ({"app": [pid], "PostgreSQL": [pid], ...}): their
    process trees' CPU in the window is reported beside wrk's own; none, no CPU split.
    """
    host, port = server.base
    requests = int((rate or expected_rate) * (duration + 2))
    script, args = scenario.script_args(workdir, requests, connections, rate, stamp)
    command = [executable(), "-t", str(connections), "-c", str(connections), "-d", f"{duration:g}s"]
    command += ["--timeout", "10s", "-s", str(script), f"http://{host}:{port}", "--", *args]
    window = cpu.Window(roots, time.time(), time.time() + duration) if roots else None
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    found = [text for text in output.splitlines() if text.startswith("BENCH ")]
    if process.returncode or not found:
        raise RuntimeError(f"wrk failed ({process.returncode}): {output[-2000:]}")
    summary = json.loads(found[-1][len("BENCH ") :])
    summary["throughput"] = summary["good"] / duration
    summary["units_per_s"] = summary.get("units", summary["good"]) / duration
    summary["errors"] = summary["responses"] - summary["good"] + summary["socket_errors"] + summary["timeouts"]
    summary["error_kinds"] = {
        kind: summary[kind] for kind in ("refused", "ran_out", "socket_errors", "timeouts") if summary.get(kind)
    }
    summary.update(duration_s=duration, connections=connections, fixed_rate=rate or None, client="wrk")
    summary["client_cores"] = round((usage.ru_utime + usage.ru_stime) / duration, 3)
    if window:
        summary["cores"] = {**window.cores(), "load generator": summary["client_cores"]}
        summary["busiest_worker_cores"] = window.busiest_app_process()
        summary["app_processes"] = len(window.app_processes)  # the workers and the server's master
    return summary
