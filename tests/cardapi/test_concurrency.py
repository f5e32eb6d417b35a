"""Real races: threads with their own clients, two app instances, real commits."""

import threading

import pytest

from tests.cardapi.helpers import create_terminal, current_step, settled_step, verify, wrong_code


def _race(clients_and_payloads):
    barrier = threading.Barrier(len(clients_and_payloads))
    results = [None] * len(clients_and_payloads)

    def run(index, client, terminal, payload):
        barrier.wait()
        results[index] = verify(client, terminal, payload)

    threads = [threading.Thread(target=run, args=(i, *args)) for i, args in enumerate(clients_and_payloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("scheme", ["SCC1", "SCC2"])
def test_twenty_threads_through_two_instances_get_exactly_one_acceptance(
    make_app, client, admin, facility, card, device_card, scheme
):
    instances = [make_app(), make_app()]
    terminals = [create_terminal(client, admin, facility["id"], name=f"gate {i}") for i in range(2)]
    holder = card if scheme == "SCC1" else device_card
    step = settled_step()
    payload = holder.payload(step) if scheme == "SCC1" else holder.scc2(step)
    results = _race([(instances[i % 2].test_client(), terminals[i % 2], payload) for i in range(20)])
    assert all(r.status_code == 200 for r in results)
    answers = [r.get_json() for r in results]
    first = [a for a in answers if a["accepted"] and not a["duplicate"]]
    assert len(first) == 1
    # The winner's terminal sees its own scan again (the same visit); the other terminal's are refused.
    rescans = [a for a in answers if a["duplicate"]]
    assert {a["visit_id"] for a in rescans} <= {first[0]["visit_id"]}
    assert len(rescans) == 9 and [a["reason"] for a in answers].count("invalid_code") == 10
    visits = client.get("/api/v1/cards/me/visits", headers=holder.session.headers).get_json()
    assert len(visits) == 1


def test_forty_concurrent_wrong_codes_meet_the_back_off_after_two(make_app, client, terminal, card):
    instances = [make_app(), make_app()]
    step = current_step()
    payload = card.payload(step, wrong_code(card, step))
    results = _race([(instances[i % 2].test_client(), terminal, payload) for i in range(40)])
    assert all(r.status_code == 200 and r.get_json()["accepted"] is False for r in results)
    reasons = [r.get_json()["reason"] for r in results]
    # The back-off is checked before counting, atomically: exactly two count, the rest wait.
    assert reasons.count("invalid_code") == 2 and reasons.count("backoff") == 38
    assert client.get("/api/v1/cards/me", headers=card.session.headers).get_json()["failed_attempts"] == 2
