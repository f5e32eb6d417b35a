"""The demand records: per station and UTC hour, rentals, returns and the minutes empty or full."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db


class StationHourStat(db.Model):
    __tablename__ = "station_hour_stats"

    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    rentals: Mapped[int] = mapped_column(Integer, default=0)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    empty_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    full_minutes: Mapped[float] = mapped_column(Float, default=0.0)
