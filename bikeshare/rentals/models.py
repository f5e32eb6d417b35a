"""A rental: a bike out of one station, until it is returned to another."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow

_OPEN = text("returned_at IS NULL")


class Rental(db.Model):
    __tablename__ = "bike_rentals"
    __table_args__ = (
        # The invariants themselves: one open rental per rider and per bike, whatever races happen.
        Index("uq_bike_rentals_open_per_user", "user_id", unique=True, postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("uq_bike_rentals_open_per_bike", "bike_id", unique=True, postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_bike_rentals_user_started_at", "user_id", "started_at"),
        Index("ix_bike_rentals_open_started_at", "started_at", postgresql_where=_OPEN, sqlite_where=_OPEN),
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
