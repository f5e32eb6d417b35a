"""The SCC2 scenario: device keys on a slice of the bench's cards, one-time payload lines, and SCC2 beside SCC1.

A few hundred device keys are shared by the slice's cards: keys are derived from a seed, so the bulk
load stores their public halves and the load process signs with the private halves without keeping
either. (The service caches parsed device keys, cardapi/services/devices.py; with this few keys every
lookup hits the cache, as it would for the citizens a busy facility sees again and again.)
"""

import base64
import hmac
import threading
import time
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
    fewer lines than asked (wrk counts `ran_out`: a bigger BENCH_CITIZENS gives more SCC2 cards).
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
        return [self._line(index, number, step, kid, service_key) for index, number, step in made]

    def _line(self, index: int, number: str, step: int, kid: str, service_key) -> str:
        key = self.keys[index % DEVICE_KEYS]
        payload = scc2.build_payload(card_number=number, step=step, device_key=key, service_key=service_key, kid=kid)
        terminal = self.terminal_keys[index % len(self.terminal_keys)]
        return wrk.line("POST", "/api/v1/verifications", {"payload": payload}, {"X-Terminal-Key": terminal})


def _cpu_ms(summary: dict) -> dict:
    cores = summary.get("cores") or {}
    return {component: 1000 * cores.get(component, 0.0) / max(summary["throughput"], 1e-9) for component in COMPONENTS}


PAIRS = (("qr_verification", "qr_scc2"), ("qr_verification @ 1000/s", "qr_scc2 @ 1000/s"))


def compare_with_scc1(results: dict) -> None:
    """Give each measured SCC2 row its machine CPU per request minus SCC1's in the same mode (`cpu_vs_scc1_ms`)."""
    for scc1_row, scc2_row in PAIRS:
        first, second = results.get(scc1_row, {}), results.get(scc2_row, {})
        if first.get("cores") and second.get("cores"):
            second["cpu_vs_scc1_ms"] = sum(_cpu_ms(second).values()) - sum(_cpu_ms(first).values())


def beside_scc1(scenarios: dict) -> list[str]:
    """The report's section: SCC1 and SCC2 verification in each mode, CPU per request per component."""
    rows = []
    for pair in PAIRS:
        if not all(scenarios.get(name, {}).get("status") == "measured" for name in pair):
            continue
        for name in pair:
            s = scenarios[name]
            ms = _cpu_ms(s)
            measured = bool(s.get("cores"))  # not when PostgreSQL and Redis were given
            cells = " | ".join(f"{ms[component]:.2f}" if measured else "-" for component in COMPONENTS)
            total = f"{sum(ms.values()):.2f}" if measured else "-"
            difference = f"{s['cpu_vs_scc1_ms']:+.2f}" if "cpu_vs_scc1_ms" in s else "-"
            rows.append(
                f"| {name} | {s['throughput']:,.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['errors']} "
                f"| {cells} | {total} | {difference} |"
            )
    if not rows:
        return []
    return [
        "",
        "## SCC2 beside SCC1 (QR verification, CPU ms per request)",
        "",
        "| row | req/s | p50 ms | p99 ms | errors | " + " | ".join(COMPONENTS) + " | total | SCC2 − SCC1 ms |",
        "|---|" + "---|" * (len(COMPONENTS) + 6),
        *rows,
        "",
        "SCC2 payloads are signed by the card's device key and encrypted to the service's key (cardapi/SCC2.md); "
        "the service decrypts (ECDH + AES-GCM) and verifies an ECDSA signature where SCC1 checks a TOTP. Each "
        "payload is made just before its run and sent once; the issue's target is SCC2 within 0.3 ms of SCC1.",
    ]
