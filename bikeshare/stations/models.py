"""Stations and bikes: the physical network. Rentals, passes and the ledger build on these."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, case, func, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, enum_check, partial_index, sql_in, utcnow


class BikeStatus(StrEnum):
    AVAILABLE = "available"
    RENTED = "rented"
    MAINTENANCE = "maintenance"
    IN_TRANSIT = "in_transit"
    MISSING = "missing"


class BikeKind(StrEnum):
    STANDARD = "standard"
    SPROUT = "sprout"


class FillLevel(StrEnum):
    """How full a station is on the operations map, worst first: the API, the page and its legend share it."""

    EMPTY = "empty"  # no bike to rent
    LOW = "low"  # fewer bikes to rent than LOW_PERCENT of its docks (Seoul refills below 30 %)
    NORMAL = "normal"
    HIGH = "high"  # HIGH_PERCENT of its docks taken or more: few left for returns
    OVER_DOCKS = "over_docks"  # more bikes than docks: the extra are chained beside them


LOW_PERCENT, HIGH_PERCENT = 30, 90

BIKE_STATUSES = tuple(BikeStatus)  # for validators
# A bike with one of these statuses stands at a station (and only then).
PARKED_STATUSES = (BikeStatus.AVAILABLE, BikeStatus.MAINTENANCE)


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
    # Demand records: the empty/full state the counters show has held since this moment (see demand/services.py).
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())

    # The station's rules, each usable on an instance and in SQL (ORM queries, hot statements, GBFS).

    @hybrid_property
    def capacity(self) -> int:
        """Bikes the station may hold: its docks and the chained parking allowed beyond them."""
        return self.docks + self.overflow_allowance

    @hybrid_property
    def has_room(self) -> bool:
        """A returned bike can be parked here."""
        return self.bikes_parked < self.capacity

    @hybrid_property
    def room(self) -> int:
        """Bikes it can still take, up to its capacity (none when chained parking already filled it)."""
        return max(0, self.capacity - self.bikes_parked)

    @room.inplace.expression
    @classmethod
    def _room_expression(cls):
        return case((cls.capacity > cls.bikes_parked, cls.capacity - cls.bikes_parked), else_=0)

    @hybrid_property
    def has_bike(self) -> bool:
        """A bike can be rented here."""
        return self.bikes_available > 0

    @hybrid_property
    def docks_available(self) -> int:
        """Free docks (GBFS `num_docks_available`); bikes chained beyond the docks leave none free."""
        return max(0, self.docks - self.bikes_parked)

    @docks_available.inplace.expression
    @classmethod
    def _docks_available_expression(cls):
        return case((cls.docks > cls.bikes_parked, cls.docks - cls.bikes_parked), else_=0)

    @hybrid_property
    def published_capacity(self) -> int:
        """GBFS `capacity`: its docks, or the bikes it holds when chained parking puts more there."""
        return max(self.docks, self.bikes_parked)

    @published_capacity.inplace.expression
    @classmethod
    def _published_capacity_expression(cls):
        return case((cls.bikes_parked > cls.docks, cls.bikes_parked), else_=cls.docks)

    @hybrid_property
    def fill_level(self) -> str:
        """Its FillLevel: empty first (riders find nothing), then over its docks, low, high, else normal."""
        if self.bikes_available == 0:
            return FillLevel.EMPTY
        if self.bikes_parked > self.docks:
            return FillLevel.OVER_DOCKS
        if self.bikes_available * 100 < LOW_PERCENT * self.docks:
            return FillLevel.LOW
        if self.bikes_parked * 100 >= HIGH_PERCENT * self.docks:
            return FillLevel.HIGH
        return FillLevel.NORMAL

    @fill_level.inplace.expression
    @classmethod
    def _fill_level_expression(cls):
        return case(
            (cls.bikes_available == 0, FillLevel.EMPTY.value),
            (cls.bikes_parked > cls.docks, FillLevel.OVER_DOCKS.value),
            (cls.bikes_available * 100 < LOW_PERCENT * cls.docks, FillLevel.LOW.value),
            (cls.bikes_parked * 100 >= HIGH_PERCENT * cls.docks, FillLevel.HIGH.value),
            else_=FillLevel.NORMAL.value,
        )

    @hybrid_property
    def bikes_held(self) -> int:
        """Bikes parked but not available to rent: held for maintenance."""
        return self.bikes_parked - self.bikes_available


class Bike(db.Model):
    __tablename__ = "bikes"
    __table_args__ = (
        enum_check("status", BikeStatus, name="known_status"),
        enum_check("kind", BikeKind, name="known_kind"),
        # A bike is at a station exactly when it is available or in maintenance there.
        CheckConstraint(
            f"({sql_in('status', PARKED_STATUSES)}) = (station_id IS NOT NULL)", name="parked_iff_at_station"
        ),
        # In transit exactly when on a rebalancing truck (trucks: bikeshare/operations/models.py).
        CheckConstraint(
            f"(status = '{BikeStatus.IN_TRANSIT}') = (truck_id IS NOT NULL)", name="in_transit_iff_on_truck"
        ),
        Index("ix_bikes_station_status", "station_id", "status"),
        # Only bikes on a truck: every rent and return updates a bike, and a full index gained a NULL entry each time.
        partial_index("ix_bikes_truck_id", "truck_id", where="truck_id IS NOT NULL"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # e.g. "SPB-41977"
    kind: Mapped[str] = mapped_column(String(10), default=BikeKind.STANDARD)
    status: Mapped[str] = mapped_column(String(12), default=BikeStatus.AVAILABLE)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    truck_id: Mapped[int | None] = mapped_column(ForeignKey("trucks.id"))
    last_moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Enough riders reported a fault while it was out: it goes to maintenance where it is next parked.
    needs_repair: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    @hybrid_property
    def is_parked(self) -> bool:
        """Standing at a station, in service or held for maintenance."""
        return self.status in PARKED_STATUSES

    @is_parked.inplace.expression
    @classmethod
    def _is_parked_expression(cls):
        return cls.status.in_(PARKED_STATUSES)

    @hybrid_property
    def status_when_parked(self) -> str:
        """What a bike becomes when parked: held for maintenance if enough riders reported a fault, else available."""
        return BikeStatus.MAINTENANCE if self.needs_repair else BikeStatus.AVAILABLE

    @status_when_parked.inplace.expression
    @classmethod
    def _status_when_parked_expression(cls):
        return case((cls.needs_repair.is_(True), BikeStatus.MAINTENANCE), else_=BikeStatus.AVAILABLE)
