"""Eligibility categories for discounts, shared by the card (benefits) and the bike share (fares).

`senior` follows from the birth date; the others are granted by an administrator or a bulk import,
each with an optional expiry.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow
from core.timezones import SEOUL

SENIOR_AGE = 65
GRANTED_CATEGORIES = ("disabled", "national_merit", "multi_child", "low_income")
CATEGORIES = ("senior", *GRANTED_CATEGORIES)


class Eligibility(db.Model):
    __tablename__ = "eligibilities"
    __table_args__ = (
        UniqueConstraint("user_id", "category", name="uq_eligibilities_user_category"),
        CheckConstraint(
            "category IN ('disabled', 'national_merit', 'multi_child', 'low_income')", name="granted_category"
        ),
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


def active_categories(*, user_id: int, birth_date: date, at: datetime) -> set[str]:
    """The categories a citizen holds at a moment: granted ones not yet expired, plus senior by age."""
    granted = db.session.scalars(
        select(Eligibility.category).where(
            Eligibility.user_id == user_id,
            (Eligibility.expires_at.is_(None)) | (Eligibility.expires_at > at),
        )
    )
    return with_age_categories(set(granted), birth_date=birth_date, at=at)


def with_age_categories(granted: set[str], *, birth_date: date, at: datetime) -> set[str]:
    """Granted categories plus those that follow from age (senior from 65, on Seoul's calendar)."""
    if age_on(birth_date, at.astimezone(SEOUL).date()) >= SENIOR_AGE:
        return granted | {"senior"}
    return granted
