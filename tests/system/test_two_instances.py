"""Two instances of the deployed app server on one PostgreSQL and Redis: races across them keep every guarantee."""

from tests.cardapi.helpers import create_facility, create_terminal, issue_card, settled_step
from tests.helpers import staff
from tests.system.support import build_stations, call, invariant_violations, race, riders_with_passes


def test_the_same_qr_payload_sent_to_both_instances_is_accepted_exactly_once(app, client, instances):
    admin = staff(app, client, "admin")
    facility = create_facility(client, admin)
    terminals = [create_terminal(client, admin, facility["id"], name=f"gate {n}") for n in (1, 2)]
    card = issue_card(client)
    payload = card.payload(settled_step())

    def attempt(n):
        port, terminal = instances[n % 2], terminals[n % 2]
        return lambda: call(
            port, "POST", "/api/v1/verifications", {"payload": payload}, {"X-Terminal-Key": terminal["api_key"]}
        )

    answers = race([attempt(n) for n in range(20)])

    assert [status for status, _, _ in answers] == [200] * 20
    accepted = [body for _, body, _ in answers if body["accepted"] and not body["duplicate"]]
    assert len(accepted) == 1
    # The winner's terminal gets its own scan back (the same visit); the other terminal's are refused.
    rescans = [body for _, body, _ in answers if body["duplicate"]]
    assert len(rescans) == 9 and {body["visit_id"] for body in rescans} == {accepted[0]["visit_id"]}
    assert [body["reason"] for _, body, _ in answers].count("invalid_code") == 10


def test_200_riders_racing_for_50_bikes_across_both_instances_get_exactly_50_rentals(app, client, instances):
    build_stations(app, {101: (60, 50), 102: (60, 0)})
    riders = riders_with_passes(client, 200)

    def rent(n):
        port, rider = instances[n % 2], riders[n]
        return lambda: call(port, "POST", "/api/v1/rentals", {"station_id": 101}, rider.headers)

    answers = race([rent(n) for n in range(200)])

    statuses = [status for status, _, _ in answers]
    assert statuses.count(201) == 50
    assert statuses.count(409) == 150
    rented = [body["bike_id"] for status, body, _ in answers if status == 201]
    assert len(set(rented)) == 50
    assert all(ctype.startswith("application/problem+json") for status, _, ctype in answers if status == 409)
    status, station, _ = call(instances[0], "GET", "/api/v1/stations/101")
    assert (status, station["bikes_available"]) == (200, 0)
    assert invariant_violations(app) == {}


def test_riders_returning_across_both_instances_keep_every_invariant(app, client, instances):
    build_stations(app, {201: (40, 30), 202: (40, 0), 203: (40, 5)})
    riders = riders_with_passes(client, 30)
    rentals = race(
        [
            (lambda n=n: call(instances[n % 2], "POST", "/api/v1/rentals", {"station_id": 201}, riders[n].headers))
            for n in range(30)
        ]
    )
    assert [status for status, _, _ in rentals] == [201] * 30

    # Every rider returns twice at once, through both instances: one return wins, the other is refused.
    def give_back(n):
        port, rider, rental = instances[n % 2], riders[n // 2], rentals[n // 2][1]
        return lambda: call(
            port, "POST", f"/api/v1/rentals/{rental['id']}/return", {"station_id": 202 + n % 2}, rider.headers
        )

    answers = race([give_back(n) for n in range(60)])

    statuses = [status for status, _, _ in answers]
    assert statuses.count(200) == 30
    assert statuses.count(409) == 30
    assert invariant_violations(app) == {}
