"""Real races: threads with their own clients, two app instances, real commits."""

import threading

from tests.cardapi.helpers import create_terminal, current_step, verify, wrong_code


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


def test_twenty_threads_through_two_instances_get_exactly_one_acceptance(make_app, client, admin, facility, card):
    instances = [make_app(), make_app()]
    terminals = [create_terminal(client, admin, facility["id"], name=f"gate {i}") for i in range(2)]
    payload = card.payload()
    results = _race([(instances[i % 2].test_client(), terminals[i % 2], payload) for i in range(20)])
    assert all(r.status_code == 200 for r in results)
    assert sum(r.get_json()["accepted"] for r in results) == 1
    visits = client.get("/api/v1/cards/me/visits", headers=card.session.headers).get_json()
    assert len(visits) == 1


def test_forty_concurrent_wrong_codes_count_as_forty(make_app, client, terminal, card):
    instances = [make_app(), make_app()]
    step = current_step()
    payload = card.payload(step, wrong_code(card, step))
    results = _race([(instances[i % 2].test_client(), terminal, payload) for i in range(40)])
    assert all(r.status_code == 200 and r.get_json()["accepted"] is False for r in results)
    mine = client.get("/api/v1/cards/me", headers=card.session.headers).get_json()
    assert mine["failed_attempts"] == 40
    assert mine["locked"] is True
