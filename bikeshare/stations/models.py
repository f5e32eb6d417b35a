"""Stations and bikes: the physical network. Rentals, passes and the ledger build on these."""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow

BIKE_STATUSES = ("available", "rented", "maintenance", "in_transit", "missing")
BIKE_KINDS = ("standard", "sprout")


class Station(db.Model):
    """A Ttareungyi station, keyed by its official number (대여소번호).

    `bikes_parked` and `bikes_available` are kept by the services in the same transaction that moves
    a bike, under the station's row lock, so they always agree with the bikes table.
    """

    __tablename__ = "stations"
    __table_args__ = (
        CheckConstraint("docks >= 0", name="docks_not_negative"),
        CheckConstraint("overflow_allowance >= 0", name="overflow_not_negative"),
        CheckConstraint("bikes_available >= 0 AND bikes_available <= bikes_parked", name="available_within_parked"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)  # the open API's "ST-nnn"
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(20), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    docks: Mapped[int] = mapped_column(Integer)
    # Chained parking: bikes a station may hold beyond its docks (from observed stock, not a fixed share).
    overflow_allowance: Mapped[int] = mapped_column(Integer, default=0)
    operation_type: Mapped[str] = mapped_column(String(10), default="QR")
    installed_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    bikes_parked: Mapped[int] = mapped_column(Integer, default=0)
    bikes_available: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Demand records: the empty/full state the counters show has held since this moment (see demand.py).
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())

    @property
    def capacity(self) -> int:
        return self.docks + self.overflow_allowance

    @property
    def docks_available(self) -> int:
        return max(0, self.docks - self.bikes_parked)

    @property
    def has_room(self) -> bool:
        return self.bikes_parked < self.capacity


class Bike(db.Model):
    __tablename__ = "bikes"
    __table_args__ = (
        CheckConstraint(
            "status IN ('available', 'rented', 'maintenance', 'in_transit', 'missing')", name="known_status"
        ),
        CheckConstraint("kind IN ('standard', 'sprout')", name="known_kind"),
        # A bike is at a station exactly when it is available or in maintenance there.
        CheckConstraint(
            "(status IN ('available', 'maintenance')) = (station_id IS NOT NULL)", name="parked_iff_at_station"
        ),
        # In transit exactly when on a rebalancing truck (trucks: bikeshare/operations/models.py).
        CheckConstraint("(status = 'in_transit') = (truck_id IS NOT NULL)", name="in_transit_iff_on_truck"),
        Index("ix_bikes_station_status", "station_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # e.g. "SPB-41977"
    kind: Mapped[str] = mapped_column(String(10), default="standard")
    status: Mapped[str] = mapped_column(String(12), default="available")
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    truck_id: Mapped[int | None] = mapped_column(ForeignKey("trucks.id"), index=True)
    last_moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Enough riders reported a fault while it was out: it goes to maintenance where it is next parked.
    needs_repair: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
