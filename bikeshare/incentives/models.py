"""Incentive storage: the offers published per half-hour slot, and each rider's mileage ledger."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, enum_check, utcnow


class OfferKind(StrEnum):
    RENT = "rent"
    RETURN = "return"


class IncentivePolicy(StrEnum):
    PILOT = "pilot"  # Seoul's 2023-2024 threshold rules
    PLANNER = "planner"  # ours: from the planner's dissatisfaction, coordinated with trucks


class EarnReason(StrEnum):
    RENT_AT_CROWDED_STATION = "rent-at-crowded-station"
    RETURN_AT_SPARSE_STATION = "return-at-sparse-station"
    # A return's points reversed (negative) because the rider rented again near it at once: stock unchanged.
    RETURN_TAKEN_BACK = "return-taken-back"


REASON_OF_KIND = {
    OfferKind.RENT: EarnReason.RENT_AT_CROWDED_STATION,
    OfferKind.RETURN: EarnReason.RETURN_AT_SPARSE_STATION,
}


class GamingRule(StrEnum):
    RIDE_TOO_SHORT = "ride-too-short"
    RIDE_TOO_NEAR = "ride-too-near"
    SAME_BIKE_REPEATED = "same-bike-repeated"
    SAME_STATION_PAIR_REPEATED = "same-station-pair-repeated"
    RETURN_AND_RENT_LOOP = "return-and-rent-loop"


class IncentiveSlot(db.Model):
    """One published half hour: its row exists once its offers are stored (possibly none)."""

    __tablename__ = "incentive_slots"
    __table_args__ = (enum_check("policy", IncentivePolicy, name="known_policy"),)

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    policy: Mapped[str] = mapped_column(String(10))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncentiveOffer(db.Model):
    """Points for renting at, or returning to, a station during one slot."""

    __tablename__ = "incentive_offers"
    __table_args__ = (
        UniqueConstraint("slot_starts_at", "station_id", "kind", name="one_offer_per_slot_station_kind"),
        # The return looks offers up by station and kind, then by time.
        Index("ix_incentive_offers_station_kind_slot", "station_id", "kind", "slot_starts_at"),
        enum_check("kind", OfferKind, name="known_kind"),
        CheckConstraint("points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_starts_at: Mapped[datetime] = mapped_column(ForeignKey("incentive_slots.starts_at", ondelete="CASCADE"))
    slot_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer)


class MileageAccount(db.Model):
    """A rider's balance and what they earned on the current Seoul day and month (the caps' counters).

    The row is locked for every credit, so concurrent returns of one rider add up under the caps.
    """

    __tablename__ = "mileage_accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0 AND day_points >= 0 AND month_points >= 0", name="points_not_negative"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)
    day: Mapped[date | None] = mapped_column(Date)
    day_points: Mapped[int] = mapped_column(Integer, default=0)
    month: Mapped[date | None] = mapped_column(Date)  # the first day of the month
    month_points: Mapped[int] = mapped_column(Integer, default=0)


class MileageEntry(db.Model):
    """Points credited at a qualifying return, with the reason and the station that earned them.

    A take-back carries the rental and station of the return it reverses, so a return is taken back once.
    """

    __tablename__ = "mileage_entries"
    __table_args__ = (
        UniqueConstraint("rental_id", "reason", name="one_entry_per_rental_reason"),
        Index("ix_mileage_entries_user_earned_at", "user_id", "earned_at"),
        enum_check("reason", EarnReason, name="known_reason"),
        # Credits are positive and within the offer; only a take-back is negative, and takes back at most that.
        CheckConstraint(
            f"(reason <> '{EarnReason.RETURN_TAKEN_BACK}' AND points > 0 AND points <= offered)"
            f" OR (reason = '{EarnReason.RETURN_TAKEN_BACK}' AND points < 0 AND -points <= offered)",
            name="points_within_offer",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rental_id: Mapped[int] = mapped_column(ForeignKey("bike_rentals.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(30))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    offered: Mapped[int] = mapped_column(Integer)  # what was on offer; `points` is less when a cap cut it
    points: Mapped[int] = mapped_column(Integer)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MileageFlag(db.Model):
    """A ride that would have earned points but broke an anti-gaming rule: for staff to review."""

    __tablename__ = "mileage_flags"
    __table_args__ = (
        Index("ix_mileage_flags_created_at", "created_at"),
        enum_check("rule", GamingRule, name="known_rule"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rental_id: Mapped[int] = mapped_column(ForeignKey("bike_rentals.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(String(300))
    points_withheld: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
