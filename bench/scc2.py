"""The SCC2 scenario: device keys on a slice of the bench's cards, one-time payload lines, and SCC2 beside SCC1.

A few hundred device keys are shared by the slice's cards: keys are derived from a seed, so the bulk
load stores their public halves and the load process signs with the private halves without keeping
either. (The service caches parsed device keys, cardapi/services/devices.py; with this few keys every
lookup hits the cache, as it would for the citizens a busy facility sees again and again.)
"""

import base64
import hmac
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench import wrk
from cardapi import scc2

DEVICE_KEYS = 300
DEVICE_SEED = b"seoul-bench-devices"
PERIOD = 30  # seconds per step, as the service's TOTP period
_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
COMPONENTS = ("app", "PostgreSQL", "Redis", "load generator")


def device_key(index: int) -> ec.EllipticCurvePrivateKey:
    """Bench device key `index` (of DEVICE_KEYS), derivable again without storing it."""
    scalar = int.from_bytes(hmac.digest(DEVICE_SEED, f"device:{index}".encode(), "sha256")) % (_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def registered_keys() -> list[str]:
    """The device keys as an app registers them (base64 SPKI DER); card i holds key i % DEVICE_KEYS."""
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return [base64.b64encode(device_key(i).public_key().public_bytes(*spki)).decode() for i in range(DEVICE_KEYS)]


@dataclass
class Scc2Pool:
    """Cards handed out in turn, each with a step later than its last one, so no payload is ever refused as old.

    A card is given the current step, or the next (still inside the service's ±1 window) when it was
    already given the current one; past that the pool is spent until time moves on, and the run gets
    fewer lines than asked (wrk counts `ran_out`: a bigger BENCH_CITIZENS gives more SCC2 cards), or
    none, and then it waits for the next step.
    """

    cards: list[tuple[int, str]]  # (card index, card number)
    terminal_keys: list[str]
    service_key: dict  # what GET /api/v1/cards/scc2-key publishes
    cursor: int = 0
    last_step: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: list = field(default_factory=lambda: [device_key(i) for i in range(DEVICE_KEYS)])

    def lines(self, n: int) -> list[str]:
        kid, service_key = scc2.published_key(self.service_key)
        made = self._take(n)
        if not made and self.cards:  # every card was given this step and the next (runs back to back): wait a step
            time.sleep(PERIOD - time.time() % PERIOD + 0.1)
            made = self._take(n)
        return [self._line(index, number, step, kid, service_key) for index, number, step in made]

    def _take(self, n: int) -> list[tuple[int, str, int]]:
        now = int(time.time()) // PERIOD
        made = []
        with self.lock:
            for _ in range(min(n, len(self.cards))):  # a card once per run: its lines' order is not the sending order
                index, number = self.cards[self.cursor % len(self.cards)]
                step = max(now, self.last_step.get(index, 0) + 1)
                if step > now + 1:
                    break
                self.cursor, self.last_step[index] = self.cursor + 1, step
                made.append((index, number, step))
        return made

    def _line(self, index: int, number: str, step: int, kid: str, service_key) -> str:
        key = self.keys[index % DEVICE_KEYS]
        payload = scc2.build_payload(card_number=number, step=step, device_key=key, service_key=service_key, kid=kid)
        terminal = self.terminal_keys[index % len(self.terminal_keys)]
        return wrk.line("POST", "/api/v1/verifications", {"payload": payload}, {"X-Terminal-Key": terminal})


def _cpu_ms(summary: dict) -> dict:
    cores = summary.get("cores") or {}
    return {component: 1000 * cores.get(component, 0.0) / max(summary["throughput"], 1e-9) for component in COMPONENTS}


SCENARIOS = ("qr_verification", "qr_scc2")  # SCC1 and SCC2, measured as pairs
PAIRS = (("qr_verification", "qr_scc2"), ("qr_verification @ 1000/s", "qr_scc2 @ 1000/s"))


def alternate(measure: Callable[[str, float], dict], *, rate: float, repetitions: int) -> dict:
    """SCC1 and SCC2 back to back, `repetitions` pairs in the closed loop and as many at `rate`.

    A difference of ~0.3 ms per request is smaller than the drift of a shared machine over the minutes
    between two single runs, so each SCC2 run is paired with the SCC1 run next to it, and which of the
    two goes first alternates (a steady drift then favours neither). `measure(name, rate)` is one run.
    Each row is its median-throughput run, with all its runs under `runs` (in pair order).
    """
    runs: dict[str, list[dict]] = {}
    for mode_rate in (0, rate):
        for repetition in range(repetitions):
            for name in SCENARIOS if repetition % 2 == 0 else SCENARIOS[::-1]:
                row = f"{name} @ {mode_rate:g}/s" if mode_rate else name
                runs.setdefault(row, []).append(measure(name, mode_rate))
    ordered = [row for name in SCENARIOS for row in runs if row.split(" @ ")[0] == name]
    return {row: _typical(runs[row]) for row in ordered}


def _typical(runs: list[dict]) -> dict:
    middle = sorted(runs, key=lambda run: run["throughput"])[(len(runs) - 1) // 2]
    return {**middle, "runs": runs}


def compare_with_scc1(results: dict) -> None:
    """Give each measured SCC2 row the median and range of its paired differences in machine CPU per request.

    `cpu_vs_scc1_ms` (what the target is judged on) is the median of the totals; `cpu_vs_scc1` holds the
    range, each pair's total and each component's median difference. A row measured once is one pair.
    """
    for scc1_row, scc2_row in PAIRS:
        first, second = results.get(scc1_row, {}), results.get(scc2_row, {})
        pairs = [
            (_cpu_ms(one), _cpu_ms(two))
            for one, two in zip(first.get("runs", [first]), second.get("runs", [second]), strict=False)
            if one.get("cores") and two.get("cores")
        ]
        if not pairs:
            continue
        totals = [sum(two.values()) - sum(one.values()) for one, two in pairs]
        second["cpu_vs_scc1_ms"] = statistics.median(totals)
        second["cpu_vs_scc1"] = {
            "pairs": len(pairs),
            "total_ms": totals,
            "min_ms": min(totals),
            "max_ms": max(totals),
            "components_median_ms": {c: statistics.median(two[c] - one[c] for one, two in pairs) for c in COMPONENTS},
        }


def _median_cpu_ms(summary: dict) -> dict:
    """Each component's median CPU per request over the row's runs, and the median total."""
    per_run = [_cpu_ms(run) for run in summary.get("runs", [summary])]
    medians = {c: statistics.median(ms[c] for ms in per_run) for c in COMPONENTS}
    return {**medians, "total": statistics.median(sum(ms.values()) for ms in per_run)}


def beside_scc1(scenarios: dict) -> list[str]:
    """The report's section: SCC1 and SCC2 verification in each mode, CPU per request per component."""
    rows = []
    for pair in PAIRS:
        if not all(scenarios.get(name, {}).get("status") == "measured" for name in pair):
            continue
        for name in pair:
            s = scenarios[name]
            measured = bool(s.get("cores"))  # not when PostgreSQL and Redis were given
            ms = _median_cpu_ms(s) if measured else {}
            cells = " | ".join(f"{ms[c]:.2f}" if measured else "-" for c in (*COMPONENTS, "total"))
            rows.append(
                f"| {name} | {len(s.get('runs', [s]))} | {s['throughput']:,.0f} | {s['p50_ms']:.1f} "
                f"| {s['p99_ms']:.1f} | {s['errors']} | {cells} | {_difference(s)} |"
            )
        compared = scenarios[pair[1]].get("cpu_vs_scc1")
        if compared:
            cells = " | ".join(f"{compared['components_median_ms'][c]:+.2f}" for c in COMPONENTS)
            rows.append(f"| SCC2 − SCC1, median of {compared['pairs']} pairs | | | | | | {cells} | | |")
    if not rows:
        return []
    return [
        "",
        "## SCC2 beside SCC1 (QR verification, CPU ms per request)",
        "",
        "| row | runs | req/s | p50 ms | p99 ms | errors | "
        + " | ".join(COMPONENTS)
        + " | total | SCC2 − SCC1 ms (range) |",
        "|---|" + "---|" * (len(COMPONENTS) + 7),
        *rows,
        "",
        "SCC2 payloads are signed by the card's device key and encrypted to the service's key (cardapi/SCC2.md); "
        "the service decrypts (ECDH + AES-GCM) and verifies an ECDSA signature where SCC1 checks a TOTP. Each "
        "payload is made just before its run and sent once; the issue's target is SCC2 within 0.3 ms of SCC1.",
        "SCC1 and SCC2 run back to back as pairs (same server and settings, BENCH_REPETITIONS pairs per mode, "
        "which goes first alternating). Request rates and latencies are each row's median-throughput run; CPU "
        "cells are medians over the row's runs; SCC2 − SCC1 is the median of the pairs' differences in total "
        "CPU per request, with their range, and the last row of each mode each component's median difference "
        "(medians need not add up).",
    ]


def _difference(summary: dict) -> str:
    compared = summary.get("cpu_vs_scc1")
    if not compared:
        return "-"
    if compared["pairs"] == 1:
        return f"{summary['cpu_vs_scc1_ms']:+.2f}"
    return f"{summary['cpu_vs_scc1_ms']:+.2f} ({compared['min_ms']:+.2f} to {compared['max_ms']:+.2f})"
