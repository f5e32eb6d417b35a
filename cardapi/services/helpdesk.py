"""Helpdesk lookups: an administrator finds a citizen by email or a card by its number, and each look is audited.

The audit row names what was found by its internal id (`user:7`, `card:3`), which says whom the
administrator looked at without copying the address or the card number into the log. A lookup that
finds nothing keeps only a masked form of what was asked (`k***@example.kr`, a number's last four
digits): enough to notice someone fishing through addresses, not a list of them.
"""

from sqlalchemy import select

from cardapi.models import Card
from cardapi.services import eligibility
from core import audit
from core.accounts.models import User
from core.db import db

SHOWN_CARD_DIGITS = 4


def masked_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"[:100]


def masked_card_number(number: str) -> str:
    return "*" * max(len(number) - SHOWN_CARD_DIGITS, 0) + number[-SHOWN_CARD_DIGITS:]


def citizen_record(user: User) -> dict:
    """What the helpdesk sees of a citizen: the account, every card they hold or held, their eligibility."""
    cards = db.session.scalars(select(Card).where(Card.user_id == user.id).order_by(Card.id.desc())).all()
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "birth_date": user.birth_date,
        "district": user.district,
        "roles": user.role_names,
        "created_at": user.created_at,
        "cards": cards,
        "eligibility": eligibility.list_eligibilities(user_id=user.id),
    }


def find_citizens(*, actor_id: int, email: str) -> list[dict]:
    """The citizen with this address (compared as stored: lower-cased), as a list of none or one; audited."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        audit.record("citizen_lookup", actor_id=actor_id, found=False, asked=masked_email(email))
    else:
        audit.record("citizen_lookup", actor_id=actor_id, subject=f"user:{user.id}", found=True)
    found = [citizen_record(user)] if user else []
    db.session.commit()
    return found


def find_cards(*, actor_id: int, number: str) -> list[dict]:
    """The card with this number (revoked ones too) and its holder, as a list of none or one; audited."""
    card = db.session.scalar(select(Card).where(Card.card_number == number))
    if card is None:
        audit.record("card_lookup", actor_id=actor_id, found=False, asked=masked_card_number(number))
    else:
        audit.record("card_lookup", actor_id=actor_id, subject=f"card:{card.id}", found=True, user_id=card.user_id)
    found = [{"card": card, "holder": citizen_record(db.session.get(User, card.user_id))}] if card else []
    db.session.commit()
    return found
