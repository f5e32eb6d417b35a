"""Buying passes, finding the pass a ride uses, and the rider's ledger."""

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from bikeshare.fares import DAY_PASS_START_WITHIN, PASS_KINDS, best_discount, discounted
from bikeshare.passes.models import Charge, Pass
from core.db import db, utcnow
from core.eligibility import active_categories
from core.errors import InvalidInput


def add_pass(*, user, kind: str, now: datetime) -> Pass:
    """Add a pass and its charge to the current unit of work (the caller commits)."""
    spec = PASS_KINDS.get(kind)
    if spec is None:
        raise InvalidInput(f"Unknown pass kind {kind!r}.", slug="unknown-pass-kind")
    category, percent = best_discount(active_categories(user_id=user.id, birth_date=user.birth_date, at=now))
    bought = Pass(
        user_id=user.id,
        kind=kind,
        ride_minutes=spec.ride_minutes,
        list_price_won=spec.price_won,
        discount_category=category,
        discount_percent=percent,
        price_won=discounted(spec.price_won, percent),
        purchased_at=now,
    )
    if spec.is_day_pass:
        bought.start_by = now + DAY_PASS_START_WITHIN
    else:
        bought.valid_from, bought.valid_until = now, now + timedelta(days=spec.days)
    db.session.add(bought)
    db.session.flush()  # the charge refers to the pass's id
    if bought.price_won:
        db.session.add(Charge(user_id=user.id, amount_won=bought.price_won, reason="pass_purchase", pass_id=bought.id))
    return bought


def buy_pass(*, user, kind: str, now: datetime | None = None) -> Pass:
    """Buy a pass at the real price less the rider's best eligibility discount."""
    bought = add_pass(user=user, kind=kind, now=now or utcnow())
    db.session.commit()
    return bought


def usable_pass(*, user_id: int, now: datetime) -> Pass | None:
    """The pass a ride starting now uses: a running one first, else an unstarted day pass; longest rides first."""
    return db.session.scalar(
        select(Pass)
        .where(
            Pass.user_id == user_id,
            or_(
                (Pass.valid_from <= now) & (Pass.valid_until > now),
                Pass.valid_from.is_(None) & (Pass.start_by > now),
            ),
        )
        .order_by(Pass.valid_from.is_(None), Pass.ride_minutes.desc(), Pass.valid_until.desc())
        .limit(1)
    )


def start_if_unstarted(bought: Pass, *, now: datetime) -> None:
    """A day pass's 24 hours start at its first rental."""
    if bought.valid_from is None:
        bought.valid_from, bought.valid_until = now, now + timedelta(days=PASS_KINDS[bought.kind].days)


def my_passes(*, user_id: int) -> list[Pass]:
    """The rider's passes, newest first."""
    return list(db.session.scalars(select(Pass).where(Pass.user_id == user_id).order_by(Pass.id.desc())))


def my_charges(*, user_id: int, limit: int = 100) -> list[Charge]:
    """The rider's charges, newest first."""
    return list(
        db.session.scalars(select(Charge).where(Charge.user_id == user_id).order_by(Charge.id.desc()).limit(limit))
    )
