"""What each simulated client does in a loop, for the in-process profiler (`python -m bench.profile`).

`drive(client, slot, slots)` loops until the client has made its requests (`client.call` raises
`Stop`). A slot owns disjoint slices of cards and riders, so no two share one. (`make bench`
drives the same requests through wrk: bench/wrk.py.)
"""

import multiprocessing
import os
import random
import time
from dataclasses import dataclass

import pyotp

from bench import dataset
from bench.wrk import SEOUL_LAT, SEOUL_LON

# Terminals the verification scenarios use, half for each pass: each takes a few dozen requests (under its
# rate limit of 120 a minute up to 4,800 requests a pass), so the profile sees terminals in service (cached,
# last use recorded this minute), not 1,666 first uses, and no pass is answered 429 in part.
PROFILED_TERMINALS = 80
# SCC2 payloads made ahead of their requests: a few dozen milliseconds of requests, so none is a step old.
SCC2_PAYLOADS_AHEAD = 20


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
            _verify(client, f"SCC1:{number}:{step}:{code}", keys[index % len(keys)])
        client.errors["ran out of cards"] += 1


def _verify(client, payload: str, terminal_key: str) -> None:
    """One scan: an acceptance is a unit of work, a refusal is counted by its reason."""
    status, body = client.call(
        "POST", "/api/v1/verifications", {"payload": payload}, headers={"X-Terminal-Key": terminal_key}, parse=True
    )
    if status == 200 and body.get("accepted"):
        client.unit_done()
    elif status == 200:
        client.errors[f"refused: {body.get('reason')}"] += 1


@dataclass
class VerifyScc2:
    """As Verify, with SCC2 payloads of the cards holding a device key. A child process makes each payload a
    moment before it is sent: a device's signing and encryption are the phone's work, not the server's, and
    payloads made at set-up fell outside the service's ±1-step window during a long profiled pass (every one
    was refused, so the profile showed the refusal path)."""

    cards: list[tuple[int, str]]  # (card index, card number)
    terminal_keys: list[str]
    name: str = "qr_scc2"

    def drive(self, client, slot: int, slots: int) -> None:
        mine, keys = self.cards[slot::slots], self.terminal_keys[:PROFILED_TERMINALS][slot::slots]
        spawn = multiprocessing.get_context("spawn")  # not fork: the parent holds database and Redis connections
        made = spawn.Queue(maxsize=SCC2_PAYLOADS_AHEAD)
        maker = spawn.Process(target=make_scc2_payloads, args=(mine, made), daemon=True)
        maker.start()
        try:
            for index in range(len(mine)):
                _verify(client, made.get(), keys[index % len(keys)])
            client.errors["ran out of cards"] += 1
        finally:
            maker.terminate()
            maker.join()


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
        return VerifyScc2(cards=fixtures["scc2_cards"], terminal_keys=fixtures["terminal_keys"])
    if name == "rent_return":
        return RentReturn(tokens=fixtures["rider_tokens"], station_ids=fixtures["stations"])
    if name == "login":
        emails = [dataset.EMAIL.format(i) for i in range(1, min(settings["citizens"], 5000) + 1)]
        return Login(emails=emails, password=dataset.PASSWORD)
    return {"trivial": Trivial, "nearest_stations": Nearest}[name]()


def make_scc2_payloads(cards: list[tuple[int, str]], made) -> None:
    """Put one payload of the step current when it is made for each card into `made` (run in a child process)."""
    from bench import scc2 as bench_scc2
    from cardapi import scc2

    kid, service_key = scc2.published_key(scc2.KeyRing.from_setting(os.environ["CARDAPI_SCC2_KEYS"]).public_key())
    for index, number in cards:
        device_key = bench_scc2.device_key(index % bench_scc2.DEVICE_KEYS)
        step = int(time.time()) // bench_scc2.PERIOD
        made.put(
            scc2.build_payload(card_number=number, step=step, device_key=device_key, service_key=service_key, kid=kid)
        )
