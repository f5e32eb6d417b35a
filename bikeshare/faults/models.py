"""A rider's fault report on a bike, open until an operator puts the bike back in service."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, enum_check, partial_index, utcnow


class FaultKind(StrEnum):
    BRAKES = "brakes"
    CHAIN = "chain"
    TYRE = "tyre"  # wheel or tyre
    FRAME = "frame"
    LIGHT = "light"
    OTHER = "other"


FAULT_KINDS = tuple(FaultKind)  # for validators
# Unsafe to ride: reported by the bike's last rider, who has just ridden it, the bike is held at once.
SAFETY_KINDS = (FaultKind.BRAKES, FaultKind.TYRE, FaultKind.FRAME)


class FaultReport(db.Model):
    __tablename__ = "bike_fault_reports"
    __table_args__ = (
        enum_check("kind", FaultKind, name="known_kind"),
        # A rider's repeated report of the same fault counts once.
        partial_index(
            "uq_bike_fault_reports_open", "bike_id", "user_id", "kind", where="resolved_at IS NULL", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bike_id: Mapped[str] = mapped_column(ForeignKey("bikes.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
