"""Granting eligibility categories: one at a time by an administrator, or in bulk from a CSV file."""

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from core import audit
from core.accounts.models import User
from core.db import db, utcnow
from core.eligibility import GRANTED_CATEGORIES, Eligibility, active_categories
from core.errors import InvalidInput, NotFound
from core.problems import Message
from core.timezones import SEOUL

HEADER = ("email", "category", "expires_on")
# Registries write this for "never expires"; it is stored as no expiry.
NEVER_EXPIRES = date(9999, 12, 31)


def expiry_of(expires_on: date | None) -> datetime | None:
    """A grant "until 2026-12-31" holds through that day in Seoul."""
    if expires_on is None:
        return None
    return datetime.combine(expires_on + timedelta(days=1), time(0), SEOUL)


def _citizen(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(Message("eligibility.citizen_not_found", user=user_id), slug="user-not-found")
    return user


def list_eligibilities(*, user_id: int) -> dict:
    """The citizen's grants and the categories they hold now (senior included)."""
    user = _citizen(user_id)
    grants = db.session.scalars(
        select(Eligibility).where(Eligibility.user_id == user_id).order_by(Eligibility.category)
    ).all()
    return {
        "user_id": user.id,
        "birth_date_verified": user.birth_date_verified,
        "active_categories": sorted(
            active_categories(
                user_id=user.id, birth_date=user.birth_date, birth_date_verified=user.birth_date_verified, at=utcnow()
            )
        ),
        "grants": grants,
    }


def set_birth_date_verified(*, actor_id: int, user_id: int, verified: bool) -> dict:
    """Record that an administrator checked (or withdrew the check of) a citizen's birth date."""
    user = _citizen(user_id)
    user.birth_date_verified = verified
    audit.record("birth_date_verification_set", actor_id=actor_id, subject=f"user:{user_id}", verified=verified)
    db.session.commit()
    return list_eligibilities(user_id=user_id)


def grant(*, actor_id: int, user_id: int, category: str, expires_on: date | None) -> Eligibility:
    """Grant a category (or change its expiry when already granted); a past expiry would revoke it, so it is refused."""
    _citizen(user_id)
    if expires_on is not None and expires_on < datetime.now(SEOUL).date():
        raise InvalidInput(
            Message("eligibility.expiry_in_past", expires_on=expires_on.isoformat()),
            slug="expiry-in-past",
        )
    eligibility = db.session.scalar(
        select(Eligibility).where(Eligibility.user_id == user_id, Eligibility.category == category).with_for_update()
    )
    if eligibility is None:
        eligibility = Eligibility(user_id=user_id, category=category)
        db.session.add(eligibility)
    eligibility.expires_at, eligibility.source, eligibility.granted_by = expiry_of(expires_on), "admin", actor_id
    eligibility.granted_at = utcnow()
    audit.record("eligibility_granted", actor_id=actor_id, subject=f"user:{user_id}", category=category)
    db.session.commit()
    return eligibility


def revoke(*, actor_id: int, user_id: int, category: str) -> None:
    eligibility = db.session.scalar(
        select(Eligibility).where(Eligibility.user_id == user_id, Eligibility.category == category)
    )
    if eligibility is None:
        raise NotFound(Message("eligibility.not_held", user=user_id, category=category), slug="eligibility-not-found")
    db.session.delete(eligibility)
    audit.record("eligibility_revoked", actor_id=actor_id, subject=f"user:{user_id}", category=category)
    db.session.commit()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


class WrongHeader(ValueError):
    """The file's first line is not the expected header; nothing was imported."""


def import_csv(*, lines) -> ImportReport:
    """Upsert grants from CSV rows `email,category,expires_on`; running it twice changes nothing.

    The header is checked first (a wrong one imports nothing); then every bad row is reported with
    its line number and the good rows are imported.
    """
    report = ImportReport()
    reader = csv.reader(lines)
    header = tuple(column.strip().lower() for column in next(reader, []))
    if header != HEADER:
        raise WrongHeader(f"the header is {','.join(header) or '(empty)'!r}; expected {','.join(HEADER)!r}")
    rows = [(reader.line_num, dict(zip(HEADER, row, strict=False))) for row in reader if any(map(str.strip, row))]
    emails = {(row.get("email") or "").strip().lower() for _, row in rows}
    users = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
    existing = {
        (e.user_id, e.category): e
        for e in db.session.scalars(select(Eligibility).where(Eligibility.user_id.in_(users.values())))
    }
    seen: set[tuple[int, str]] = set()
    today = datetime.now(SEOUL).date()
    for line, row in rows:
        email = (row.get("email") or "").strip().lower()
        category = (row.get("category") or "").strip()
        raw_expiry = (row.get("expires_on") or "").strip()
        try:
            expires_on = date.fromisoformat(raw_expiry) if raw_expiry else None
        except ValueError:
            report.rejected.append((line, f"expires_on {raw_expiry!r} is not a YYYY-MM-DD date"))
            continue
        if expires_on == NEVER_EXPIRES:
            expires_on = None
        if email not in users:
            report.rejected.append((line, f"no account with the email address {email!r}"))
        elif category not in GRANTED_CATEGORIES:
            report.rejected.append((line, f"category {category!r} is not one of {', '.join(GRANTED_CATEGORIES)}"))
        elif expires_on is not None and expires_on < today:
            report.rejected.append((line, f"expires_on {raw_expiry} is in the past"))
        elif (users[email], category) in seen:
            report.rejected.append((line, f"duplicate of an earlier row for {email} {category}"))
        else:
            key = (users[email], category)
            seen.add(key)
            _upsert(existing, key, expiry_of(expires_on), report)
    audit.record(
        "eligibility_imported",
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=len(report.rejected),
    )
    db.session.commit()
    return report


def _upsert(existing: dict, key: tuple[int, str], expires_at: datetime | None, report: ImportReport) -> None:
    eligibility = existing.get(key)
    if eligibility is None:
        db.session.add(Eligibility(user_id=key[0], category=key[1], expires_at=expires_at, source="import"))
        report.created += 1
    elif eligibility.expires_at != expires_at:
        eligibility.expires_at, eligibility.source = expires_at, "import"
        report.updated += 1
    else:
        report.unchanged += 1
