"""A rental: a bike out of one station, until it is returned to another."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, and_, or_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column

from bikeshare.passes.fares import RIDE_MINUTES, missing_after
from core.db import UTCDateTime, db, partial_index, utcnow

_OPEN = "returned_at IS NULL"


class Rental(db.Model):
    __tablename__ = "bike_rentals"
    __table_args__ = (
        # The invariants themselves: one open rental per rider and per bike, whatever races happen.
        partial_index("uq_bike_rentals_open_per_user", "user_id", where=_OPEN, unique=True),
        partial_index("uq_bike_rentals_open_per_bike", "bike_id", where=_OPEN, unique=True),
        Index("ix_bike_rentals_user_started_at", "user_id", "started_at"),
        partial_index("ix_bike_rentals_open_started_at", "started_at", where=_OPEN),
        CheckConstraint(
            "(returned_at IS NULL) = (end_station_id IS NULL) AND (returned_at IS NULL) = (duration_seconds IS NULL)",
            name="return_complete",
        ),
        CheckConstraint("overtime_won >= 0", name="overtime_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    bike_id: Mapped[str] = mapped_column(ForeignKey("bikes.id"))
    pass_id: Mapped[int] = mapped_column(ForeignKey("bike_passes.id"))
    pass_kind: Mapped[str] = mapped_column(String(10))
    ride_minutes: Mapped[int] = mapped_column(Integer)
    start_station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    end_station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    overtime_won: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the rental ran past the missing threshold; the bike was flagged `missing` then.
    missing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @hybrid_method
    def is_overdue(self, now: datetime) -> bool:
        """Open for longer than its pass allows before the bike counts as missing (`fares.missing_after`)."""
        return self.returned_at is None and self.started_at < now - missing_after(self.ride_minutes)

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_expression(cls, now: datetime):
        # One branch per ride limit, each threshold computed here: no interval arithmetic for the database.
        thresholds = (
            and_(cls.ride_minutes == minutes, cls.started_at < now - missing_after(minutes)) for minutes in RIDE_MINUTES
        )
        return and_(cls.returned_at.is_(None), or_(*thresholds))
