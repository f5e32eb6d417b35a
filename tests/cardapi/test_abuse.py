"""SCC1 abuse closed: a terminal can neither lock a stranger's card elsewhere nor try many cards."""

from cardapi.codes import new_card_number
from cardapi.services import verification
from tests.cardapi.helpers import create_facility, create_terminal, current_step, settled_step, verify
from tests.helpers import citizen


def _audited(app, event: str) -> list:
    with app.app_context():
        from core.audit import AuditEvent
        from core.db import db

        return db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == event)).all()


def test_ten_thousand_wrong_codes_from_terminal_y_leave_the_card_usable_at_facility_x(
    make_app, admin, facility, terminal, card
):
    # Terminal Y may send as fast as it likes: only the pair limits apply (the rate limit is lifted).
    # The guesses go through the verification service itself, each its own unit of work, as a view runs it.
    app = make_app(CARDAPI_TERMINAL_RATE_LIMIT=1_000_000)
    attacker = app.test_client()
    other_facility = create_facility(attacker, admin, name="DDP", kind="culture")
    terminal_y = create_terminal(attacker, admin, other_facility["id"], name="Y")
    step = current_step()
    right = card.code(step)
    guesses = [f"{n:08d}" for n in range(10_001) if f"{n:08d}" != right][:10_000]
    reasons = {}
    with app.test_request_context("/api/v1/verifications", method="POST"):
        for guess in guesses:
            answer = verification.verify(api_key=terminal_y["api_key"], payload=card.payload(step, guess))
            reasons[answer["reason"]] = reasons.get(answer["reason"], 0) + 1

    assert sum(reasons.values()) == 10_000 and "ok" not in reasons
    mine = attacker.get("/api/v1/cards/me", headers=card.session.headers).get_json()
    assert mine["failed_attempts"] <= 3 and mine["locked_terminals"] <= 1
    # Facility X knows nothing of it.
    accepted = verify(attacker, terminal, card.payload(settled_step())).get_json()
    assert accepted["accepted"] is True


def test_a_lock_applies_to_that_terminal_only(make_app, admin, facility, terminal, card):
    client = make_app(CARDAPI_BACKOFF_AFTER_FAILURES=100).test_client()
    terminal_y = create_terminal(client, admin, facility["id"], name="Y")
    step = settled_step()
    for n in range(3):
        verify(client, terminal_y, card.payload(step, f"{n:08d}" if f"{n:08d}" != card.code(step) else "99999999"))
    assert verify(client, terminal_y, card.payload(step)).get_json()["reason"] == "locked"
    assert verify(client, terminal, card.payload(step)).get_json()["accepted"] is True


def test_an_accepted_code_at_a_terminal_clears_that_terminals_failures(client, terminal, card):
    step = settled_step()
    wrong = "00000000" if card.code(step - 1) != "00000000" else "11111111"
    verify(client, terminal, card.payload(step - 1, wrong))
    assert client.get("/api/v1/cards/me", headers=card.session.headers).get_json()["failed_attempts"] == 1
    assert verify(client, terminal, card.payload(step)).get_json()["accepted"] is True
    assert client.get("/api/v1/cards/me", headers=card.session.headers).get_json()["failed_attempts"] == 0


def test_a_terminal_failing_across_many_cards_is_quarantined_until_an_admin_releases_it(
    make_app, app, admin, facility, terminal, card
):
    client = make_app(CARDAPI_QUARANTINE_AFTER_CARDS=3).test_client()
    step = current_step()
    numbers = [new_card_number() for _ in range(3)]
    answers = [verify(client, terminal, f"SCC1:{number}:{step}:12345678") for number in numbers]
    assert [a.status_code for a in answers] == [200, 200, 200]

    shut_out = verify(client, terminal, card.payload(step))
    assert shut_out.status_code == 403 and shut_out.get_json()["type"].endswith("terminal-quarantined")
    listed = client.get("/api/v1/admin/terminals/quarantined", headers=admin.headers).get_json()
    assert [t["id"] for t in listed] == [terminal["id"]] and listed[0]["quarantined_at"]
    assert len(_audited(app, "terminal_quarantined")) == 1

    somebody = citizen(client)
    assert client.post(f"/api/v1/admin/terminals/{terminal['id']}/release", headers=somebody.headers).status_code == 403
    released = client.post(f"/api/v1/admin/terminals/{terminal['id']}/release", headers=admin.headers)
    assert released.status_code == 200 and released.get_json()["quarantined_at"] is None
    assert client.get("/api/v1/admin/terminals/quarantined", headers=admin.headers).get_json() == []
    assert [e.actor_id for e in _audited(app, "terminal_released")] == [admin.id]
    assert verify(client, terminal, card.payload(settled_step())).get_json()["accepted"] is True


def test_many_wrong_codes_for_one_card_do_not_quarantine_the_terminal(make_app, terminal, card):
    client = make_app(CARDAPI_QUARANTINE_AFTER_CARDS=3, CARDAPI_BACKOFF_AFTER_FAILURES=100).test_client()
    step = current_step()
    for n in range(8):
        verify(client, terminal, card.payload(step, f"{n:08d}" if f"{n:08d}" != card.code(step) else "99999999"))
    assert verify(client, terminal, card.payload(step)).status_code == 200


def test_releasing_an_unknown_terminal_is_404(client, admin):
    assert client.post("/api/v1/admin/terminals/999999/release", headers=admin.headers).status_code == 404
