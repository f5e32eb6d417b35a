"""Buying passes, finding the pass a ride uses, and the rider's ledger."""

from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update

from bikeshare.passes.fares import DAY_PASS_START_WITHIN, PASS_KINDS, best_discount, discounted
from bikeshare.passes.models import Charge, ChargeReason, Pass
from core.db import HotStatement, UTCDateTime, db, utcnow
from core.eligibility import active_categories
from core.errors import InvalidInput
from core.problems import Message


def add_pass(*, user, kind: str, now: datetime) -> Pass:
    """Add a pass and its charge to the current unit of work (the caller commits)."""
    spec = PASS_KINDS.get(kind)
    if spec is None:
        raise InvalidInput(Message("passes.unknown_kind", kind=kind), slug="unknown-pass-kind")
    category, percent = best_discount(
        active_categories(
            user_id=user.id, birth_date=user.birth_date, birth_date_verified=user.birth_date_verified, at=now
        )
    )
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
        db.session.add(
            Charge(user_id=user.id, amount_won=bought.price_won, reason=ChargeReason.PASS_PURCHASE, pass_id=bought.id)
        )
    return bought


def buy_pass(*, user, kind: str, now: datetime | None = None) -> Pass:
    """Buy a pass at the real price less the rider's best eligibility discount."""
    bought = add_pass(user=user, kind=kind, now=now or utcnow())
    db.session.commit()
    return bought


_passes = Pass.__table__
_NOW = bindparam("now", type_=UTCDateTime())


def usable_pass_query(*, user_id, now):
    """The pass a ride starting `now` uses (id, kind, ride_minutes, valid_from): the longest rides first
    (a 2-hour day pass bought for today's long ride starts now, though a 1-hour pass runs), and of those a
    running pass before an unstarted day pass. `user_id` and `now` are SQL expressions or values."""
    return (
        select(_passes.c.id, _passes.c.kind, _passes.c.ride_minutes, _passes.c.valid_from)
        .where(
            _passes.c.user_id == user_id,
            or_(
                (_passes.c.valid_from <= now) & (_passes.c.valid_until > now),
                _passes.c.valid_from.is_(None) & (_passes.c.start_by > now),
            ),
        )
        .order_by(_passes.c.ride_minutes.desc(), _passes.c.valid_from.is_(None), _passes.c.valid_until.desc())
        .limit(1)
    )


# Only a day pass is ever unstarted (`add_pass`), and every day pass runs the same days from its start.
(_DAY_PASS_DAYS,) = {kind.days for kind in PASS_KINDS.values() if kind.is_day_pass}
_UNTIL = bindparam("until", type_=UTCDateTime())


def start_unstarted(*, pass_id):
    """The UPDATE that starts the pass `pass_id` (a SQL expression) at `now` if it is unstarted; its
    parameters are `unstarted_window(now)`. Rent's one statement runs it, as `start_if_unstarted` does."""
    return (
        update(_passes)
        .where(_passes.c.id == pass_id, _passes.c.valid_from.is_(None))
        .values(valid_from=_NOW, valid_until=_UNTIL)
    )


def unstarted_window(now: datetime) -> dict:
    """The parameters of `start_unstarted`: a day pass started `now` runs until its days are over."""
    return {"now": now, "until": now + timedelta(days=_DAY_PASS_DAYS)}


# Columns only, built once: this runs on every rental.
_USABLE = HotStatement(usable_pass_query(user_id=bindparam("user_id"), now=_NOW))
_START = HotStatement(start_unstarted(pass_id=bindparam("pass_id")))


def usable_pass(*, user_id: int, now: datetime) -> tuple | None:
    """The pass a ride starting now uses (`usable_pass_query`), or None."""
    return _USABLE.first({"user_id": user_id, "now": now})


def start_if_unstarted(ride_pass: Pass | tuple, *, now: datetime) -> None:
    """A day pass's 24 hours start at its first rental."""
    if ride_pass.valid_from is None:
        _START.rowcount({"pass_id": ride_pass.id, **unstarted_window(now)})


def my_passes(*, user_id: int) -> list[Pass]:
    """The rider's passes, newest first."""
    return list(db.session.scalars(select(Pass).where(Pass.user_id == user_id).order_by(Pass.id.desc())))


def my_charges(*, user_id: int, limit: int = 100) -> list[Charge]:
    """The rider's charges, newest first."""
    return list(
        db.session.scalars(select(Charge).where(Charge.user_id == user_id).order_by(Charge.id.desc()).limit(limit))
    )
