"""Passes and the ledger: money is integer won, every charge carries its reason."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bikeshare.passes.fares import RIDE_MINUTES
from core.db import UTCDateTime, db, enum_check, utcnow


class ChargeReason(StrEnum):
    PASS_PURCHASE = "pass_purchase"
    OVERTIME = "overtime"


class Pass(db.Model):
    """A bought pass. Day passes start at their first rental (`valid_from` empty until then)."""

    __tablename__ = "bike_passes"
    __table_args__ = (
        CheckConstraint(f"ride_minutes IN ({', '.join(map(str, RIDE_MINUTES))})", name="known_ride_minutes"),
        CheckConstraint("price_won >= 0 AND price_won <= list_price_won", name="price_within_list"),
        CheckConstraint("(valid_from IS NULL) = (valid_until IS NULL)", name="window_complete"),
        Index("ix_bike_passes_user_valid_until", "user_id", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    ride_minutes: Mapped[int] = mapped_column(Integer)
    list_price_won: Mapped[int] = mapped_column(Integer)
    discount_category: Mapped[str | None] = mapped_column(String(30))
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    price_won: Mapped[int] = mapped_column(Integer)
    purchased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An unused day pass can be started until then; None for season passes.
    start_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Charge(db.Model):
    """One amount owed by a rider, recorded for settlement (there is no payment gateway)."""

    __tablename__ = "bike_charges"
    __table_args__ = (
        CheckConstraint("amount_won > 0", name="positive_amount"),
        enum_check("reason", ChargeReason, name="known_reason"),
        CheckConstraint(
            f"(reason = '{ChargeReason.PASS_PURCHASE}' AND pass_id IS NOT NULL)"
            f" OR (reason = '{ChargeReason.OVERTIME}' AND rental_id IS NOT NULL)",
            name="reason_has_subject",
        ),
        Index("ix_bike_charges_user_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    amount_won: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    # At most one charge per pass and per rental: a retried request can never bill twice.
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("bike_passes.id"), unique=True)
    rental_id: Mapped[int | None] = mapped_column(ForeignKey("bike_rentals.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
