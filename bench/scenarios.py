"""What each simulated client does in a loop, for the in-process profiler (`python -m bench.profile`).

`drive(client, slot, slots)` loops until the client has made its requests (`client.call` raises
`Stop`). A slot owns disjoint slices of cards and riders, so no two share one. (`make bench`
drives the same requests through wrk: bench/wrk.py.)
"""

import os
import random
import time
from dataclasses import dataclass

import pyotp

from bench import dataset
from bench.wrk import SEOUL_LAT, SEOUL_LON

# Terminals the verification scenarios use: each takes a few dozen requests (under its rate limit), so the
# profile sees terminals in service (cached, last use recorded this minute), not 1,666 first uses.
PROFILED_TERMINALS = 40


class Stop(Exception):
    """The client has made its requests."""


@dataclass
class Trivial:
    """The baseline: the cheapest endpoint of the same server (`/health`, no database)."""

    name: str = "trivial"
    path: str = "/health"

    def drive(self, client, slot: int, slots: int) -> None:
        while True:
            client.call("GET", self.path)


@dataclass
class Login:
    """Password logins of existing citizens; each request from its own client address."""

    emails: list[str]
    password: str
    name: str = "login"

    def drive(self, client, slot: int, slots: int) -> None:
        rng = random.Random(slot)
        index = slot
        while True:
            email = self.emails[index % len(self.emails)]
            index += slots
            # Behind the load balancer (PROXY_COUNT=1) each citizen is its own address.
            address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            client.call(
                "POST",
                "/api/v1/auth/login",
                {"email": email, "password": self.password},
                headers={"X-Forwarded-For": address},
            )


@dataclass
class Nearest:
    """Nearest stations around random points in Seoul."""

    name: str = "nearest_stations"

    def drive(self, client, slot: int, slots: int) -> None:
        rng = random.Random(1000 + slot)
        while True:
            lat, lon = rng.uniform(*SEOUL_LAT), rng.uniform(*SEOUL_LON)
            client.call("GET", f"/api/v1/stations?lat={lat:.6f}&lon={lon:.6f}&limit=10")


@dataclass
class Verify:
    """Facility terminals verify fresh QR codes of distinct cards; each card is shown once per run.

    `cards` are (card number, base32 secret) pairs as the enrolment shows them (codes come from
    pyotp, like any authenticator app); `terminal_keys` are spread over the slots so no terminal
    exceeds its rate limit.
    """

    cards: list[tuple[str, str]]
    terminal_keys: list[str]
    period: int = 30
    name: str = "qr_verification"

    def drive(self, client, slot: int, slots: int) -> None:
        mine = self.cards[slot::slots]
        keys = self.terminal_keys[:PROFILED_TERMINALS][slot::slots]
        for index, (number, secret) in enumerate(mine):
            step = int(time.time()) // self.period
            code = pyotp.TOTP(secret, digits=8, interval=self.period).generate_otp(step)
            payload = f"SCC1:{number}:{step}:{code}"
            status, body = client.call(
                "POST",
                "/api/v1/verifications",
                {"payload": payload},
                headers={"X-Terminal-Key": keys[index % len(keys)]},
                parse=True,
            )
            if status == 200 and body.get("accepted"):
                client.unit_done()
            elif status == 200:
                client.errors[f"refused: {body.get('reason')}"] += 1
        client.errors["ran out of cards"] += 1


@dataclass
class VerifyScc2:
    """As Verify, with SCC2 payloads of the cards holding a device key, built before the run (a device's
    signing and encryption are the phone's work, not the server's)."""

    payloads: list[tuple[str, str]]  # (payload, terminal key), one per card
    name: str = "qr_scc2"

    def drive(self, client, slot: int, slots: int) -> None:
        for payload, key in self.payloads[slot::slots]:
            status, body = client.call(
                "POST", "/api/v1/verifications", {"payload": payload}, headers={"X-Terminal-Key": key}, parse=True
            )
            if status == 200 and body.get("accepted"):
                client.unit_done()
            elif status == 200:
                client.errors[f"refused: {body.get('reason')}"] += 1
        client.errors["ran out of cards"] += 1


@dataclass
class RentReturn:
    """Riders with passes rent at a random station and return at another, one ride at a time."""

    tokens: list[str]
    station_ids: list[int]
    name: str = "rent_return"

    def drive(self, client, slot: int, slots: int) -> None:
        rng = random.Random(2000 + slot)
        riders = self.tokens[slot::slots]
        turn = 0
        while True:
            headers = {"Authorization": f"Bearer {riders[turn % len(riders)]}"}
            turn += 1
            status, body = client.call(
                "POST",
                "/api/v1/rentals",
                {"station_id": rng.choice(self.station_ids)},
                headers=headers,
                expect=(201, 409),  # an empty station is an answer: the rider walks to another one
                parse=True,
            )
            if status != 201:
                continue
            # A full station answers 409 with stations nearby; the rider rides on to another one.
            for _ in range(10):
                status, _ = client.call(
                    "POST",
                    f"/api/v1/rentals/{body['id']}/return",
                    {"station_id": rng.choice(self.station_ids)},
                    headers=headers,
                    expect=(200, 409),
                )
                if status == 200:
                    client.unit_done()
                    break


def build(name: str, fixtures: dict, settings: dict):
    """The scenario `name` for the profiler, from the bench's fixtures."""
    if name == "qr_verification":
        return Verify(cards=fixtures["cards"], terminal_keys=fixtures["terminal_keys"])
    if name == "qr_scc2":
        return VerifyScc2(payloads=_scc2_payloads(fixtures))
    if name == "rent_return":
        return RentReturn(tokens=fixtures["rider_tokens"], station_ids=fixtures["stations"])
    if name == "login":
        emails = [dataset.EMAIL.format(i) for i in range(1, min(settings["citizens"], 5000) + 1)]
        return Login(emails=emails, password=dataset.PASSWORD)
    return {"trivial": Trivial, "nearest_stations": Nearest}[name]()


def _scc2_payloads(fixtures: dict) -> list[tuple[str, str]]:
    """One payload of the current step for every card with a device key, as bench/scc2.py builds them for wrk."""
    from bench import scc2 as bench_scc2
    from cardapi import scc2

    kid, service_key = scc2.published_key(scc2.KeyRing.from_setting(os.environ["CARDAPI_SCC2_KEYS"]).public_key())
    # The next step: still within the ±1 window a minute later, when the scenario runs after the set-up.
    step, keys = int(time.time()) // bench_scc2.PERIOD + 1, fixtures["terminal_keys"][:PROFILED_TERMINALS]
    return [
        (
            scc2.build_payload(
                card_number=number,
                step=step,
                device_key=bench_scc2.device_key(index % bench_scc2.DEVICE_KEYS),
                service_key=service_key,
                kid=kid,
            ),
            keys[index % len(keys)],
        )
        for index, number in fixtures["scc2_cards"]
    ]
