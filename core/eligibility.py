"""Eligibility categories for discounts, shared by the card (benefits) and the bike share (fares).

`senior` follows from the birth date, but only from a verified one (an administrator or the
eligibility import checked it against an identity record): a self-declared date at registration
shows the age group and grants no discount. The others are granted by an administrator or a bulk import,
each with an optional expiry.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, enum_check, utcnow
from core.timezones import SEOUL

SENIOR_AGE = 65


class Category(StrEnum):
    SENIOR = "senior"
    DISABLED = "disabled"
    NATIONAL_MERIT = "national_merit"
    MULTI_CHILD = "multi_child"
    LOW_INCOME = "low_income"


CATEGORIES = tuple(Category)
# Every category but `senior`, which the birth date decides: these are stored as grants.
GRANTED_CATEGORIES = tuple(category for category in Category if category != Category.SENIOR)


class Eligibility(db.Model):
    __tablename__ = "eligibilities"
    __table_args__ = (
        UniqueConstraint("user_id", "category", name="uq_eligibilities_user_category"),
        enum_check("category", GRANTED_CATEGORIES, name="granted_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(30))  # "admin" or "import"
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def active_categories(*, user_id: int, birth_date: date, birth_date_verified: bool, at: datetime) -> set[str]:
    """The categories a citizen holds at a moment: granted ones not yet expired, plus senior by age."""
    granted = db.session.scalars(
        select(Eligibility.category).where(
            Eligibility.user_id == user_id,
            (Eligibility.expires_at.is_(None)) | (Eligibility.expires_at > at),
        )
    )
    return with_age_categories(set(granted), birth_date=birth_date, birth_date_verified=birth_date_verified, at=at)


def with_age_categories(granted: set[str], *, birth_date: date, birth_date_verified: bool, at: datetime) -> set[str]:
    """Granted categories plus those that follow from a verified age (senior from 65, on Seoul's calendar)."""
    if birth_date_verified and age_on(birth_date, at.astimezone(SEOUL).date()) >= SENIOR_AGE:
        return granted | {"senior"}
    return granted


def held_categories(*, user, at: datetime) -> dict:
    """What a citizen holds at a moment: each category with its expiry (senior follows a verified birth date)."""
    grants = db.session.scalars(
        select(Eligibility)
        .where(Eligibility.user_id == user.id, (Eligibility.expires_at.is_(None)) | (Eligibility.expires_at > at))
        .order_by(Eligibility.category)
    )
    held = [{"category": grant.category, "expires_at": grant.expires_at, "source": grant.source} for grant in grants]
    by_age = with_age_categories(set(), birth_date=user.birth_date, birth_date_verified=user.birth_date_verified, at=at)
    held += [{"category": category, "expires_at": None, "source": "birth_date"} for category in sorted(by_age)]
    return {"birth_date_verified": user.birth_date_verified, "categories": held}
