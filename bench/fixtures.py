"""Loading the data set and giving the load processes what they need (cards, keys, tokens).

Every step checks that the piece of the app it relies on exists, so the bench runs (reporting
"not available") while endpoints are still being built.
"""

import base64
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import inspect, text

from bench import dataset, scc2
from core.db import db, utcnow
from core.districts import DISTRICTS

BIKES = 45_000
FACILITIES = 833  # the citizen card's facilities in 2024
TERMINALS_PER_FACILITY = 2
RIDERS = 2_000
CARD_SEED = b"seoul-bench-cards"


def _has_table(name: str) -> bool:
    return inspect(db.engine).has_table(name)


def load(settings: dict, notes: list[str]) -> dict:
    """Load citizens, the city, cards, facilities and terminals; returns the counts."""
    data = {}
    seconds = dataset.load_citizens(settings["citizens"])
    data["citizens"] = settings["citizens"]
    print(f"  citizens: {seconds:.1f} s", flush=True)
    try:
        city = dataset.setup_city(BIKES)
        data.update(stations=city["stations"], bikes=city["bikes"])
        print(f"  city: {city['seconds']:.1f} s", flush=True)
    except ImportError as error:
        notes.append(f"city not loaded: {error}")
    if _has_table("cards"):
        started = time.perf_counter()
        device_cards = card_slices(settings["citizens"])[1]
        data["cards"] = load_cards(settings["citizens"], device_cards=device_cards)
        data["cards_with_device_key"] = len(device_cards)
        print(f"  cards: {time.perf_counter() - started:.1f} s", flush=True)
    else:
        notes.append("cards not loaded: the cards table does not exist yet")
    return data


def card_number(index: int) -> str:
    from cardapi.codes import CARD_NUMBER_PREFIX, luhn_check_digit

    body = f"{CARD_NUMBER_PREFIX}{index:011d}"
    return body + luhn_check_digit(body)


def card_slices(citizens: int) -> tuple[range, range]:
    """Card indices the SCC1 and the SCC2 runs show: a third of the cards hold a device key, and the
    riders (the last citizens) are in neither, so the scenarios never share a card."""
    cards = citizens - RIDERS
    first_scc2 = cards - cards // 3 + 1
    return range(1, first_scc2), range(first_scc2, cards + 1)


def load_cards(count: int, *, device_cards: range) -> int:
    """One active card per citizen (card i belongs to citizen i), secrets encrypted like the service does;
    the `device_cards` hold a device key and refuse SCC1, as a card enrolled from a phone does."""
    from cardapi.services.cards import associated_data
    from core.security import secret_box

    box = secret_box()
    now = utcnow()
    device_keys = scc2.registered_keys()

    def rows():
        for index in range(1, count + 1):
            number = card_number(index)
            key_id, blob = box.encrypt(dataset.card_secret(CARD_SEED, index), associated=associated_data(number, 1))
            device_key = device_keys[index % len(device_keys)] if index in device_cards else None
            yield index, index, number, "active", key_id, blob, 1, 8, 30, "SHA1", now, device_key, device_key is None

    columns = (
        "id",
        "user_id",
        "card_number",
        "status",
        "secret_key_id",
        "secret_ciphertext",
        "secret_version",
        "digits",
        "period",
        "algorithm",
        "issued_at",
        "device_public_key",
        "scc1_enabled",
    )
    dataset._copy("cards", columns, rows())
    dataset._reset_sequence("cards")
    return count


def load_facilities() -> list[str]:
    """Facilities with discount rules, and their terminals through the card service; returns the keys."""
    from cardapi.services import terminals

    districts = list(DISTRICTS)
    rules = [
        {"category": "disabled", "discount_percent": 80, "residents_only": False},
        {"category": "senior", "discount_percent": 50, "residents_only": False},
        {"category": "resident", "discount_percent": 20, "residents_only": True},
    ]
    keys = []
    for index in range(FACILITIES):
        facility = terminals.create_facility(
            actor_id=None,
            name=f"Bench facility {index + 1}",
            kind=("library", "sports", "culture", "parking", "other")[index % 5],
            district=districts[index % len(districts)],
            benefit_rules=rules,
        )
        for number in range(TERMINALS_PER_FACILITY):
            terminal = terminals.create_terminal(actor_id=None, facility_id=facility.id, name=f"gate {number + 1}")
            keys.append(terminal.api_key)
    return keys


def _buy_passes(gunicorn, tokens: list[str]) -> int:
    """Each rider buys a 365-day pass through the API, as a phone would."""
    import http.client
    import json

    host, port = gunicorn.base

    def buy(token: str) -> int:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        body = json.dumps({"kind": "365d_2h"})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        conn.request("POST", "/api/v1/passes", body=body, headers=headers)
        status = conn.getresponse().status
        conn.close()
        return status

    with ThreadPoolExecutor(8) as pool:
        return sum(status == 201 for status in pool.map(buy, tokens))


def prepare_clients(gunicorn, settings: dict, notes: list[str]) -> dict:
    """Cards, terminal keys, rider tokens with passes and station ids for the load processes."""
    fixtures: dict = {}
    wanted = not settings["only"] or {"qr_verification", "qr_scc2"} & set(settings["only"])
    if wanted and _has_table("cards") and _has_table("facility_terminals"):
        started = time.perf_counter()
        fixtures["terminal_keys"] = load_facilities()
        fixtures["counts"] = {"facilities": FACILITIES, "terminals": len(fixtures["terminal_keys"])}
        print(f"  facilities and terminals: {time.perf_counter() - started:.1f} s", flush=True)
        # Runs take disjoint slices of each (wrk.CardPool, scc2.Scc2Pool).
        scc1_cards, scc2_cards = card_slices(settings["citizens"])
        fixtures["absent_card"] = card_number(0)  # a valid number no citizen holds
        fixtures["cards"] = [
            (card_number(i), base64.b32encode(dataset.card_secret(CARD_SEED, i)).decode()) for i in scc1_cards
        ]
        fixtures["scc2_cards"] = [(i, card_number(i)) for i in scc2_cards]
    if _has_table("stations"):
        with db.engine.connect() as conn:
            fixtures["stations"] = list(conn.execute(text("SELECT id FROM stations WHERE active")).scalars())
    if _has_table("bike_passes") and fixtures.get("stations"):
        # Riders are the last citizens, so they never overlap the cards the QR scenario shows.
        first = settings["citizens"] - RIDERS + 1
        tokens = dataset.access_tokens(range(first, settings["citizens"] + 1))
        bought = _buy_passes(gunicorn, tokens)
        if bought < len(tokens):
            notes.append(f"only {bought} of {len(tokens)} riders could buy a pass")
        fixtures["rider_tokens"] = tokens
    return fixtures


def warm_terminals(server, fixtures: dict) -> None:
    """Use every terminal once, as terminals in service have been: their cache entries are filled.

    The payload names a card that does not exist, so no card's failure count moves.
    """
    import http.client
    import json

    host, port = server.base
    body = json.dumps({"payload": f"SCC1:{fixtures['absent_card']}:{int(time.time()) // 30}:00000000"})

    def touch(key: str) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("POST", "/api/v1/verifications", body, {"Content-Type": "application/json", "X-Terminal-Key": key})
        conn.getresponse().read()
        conn.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(touch, fixtures["terminal_keys"]))
