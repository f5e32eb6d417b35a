"""Stored network reports: computing one takes tens of seconds, so the console reads the latest stored."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


class NetworkReport(db.Model):
    """Dock supply against demand for the whole network, with a dock-reallocation recommendation."""

    __tablename__ = "network_reports"
    __table_args__ = (CheckConstraint("docks_budget >= 0", name="docks_budget_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    docks_budget: Mapped[int] = mapped_column(Integer)
    elapsed_s: Mapped[float] = mapped_column(Float)
    # {since, until, days, observed_hours, trips, prior_share}: the demand history the report used.
    history: Mapped[dict] = mapped_column(JSON)
    # Network-wide figures per typical day (weekday, weekend), before and after reallocating.
    summary: Mapped[dict] = mapped_column(JSON)
    districts: Mapped[list] = mapped_column(JSON)
    stations: Mapped[list] = mapped_column(JSON)
