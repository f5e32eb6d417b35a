"""Operations storage: imported trips, trucks, rebalancing plans and the tasks their routes become."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, enum_check, utcnow


class TaskKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


class Trip(db.Model):
    """A historical trip from the official records; (bike, rental moment) is its natural key."""

    __tablename__ = "bike_trips"
    __table_args__ = (
        UniqueConstraint("bike_code", "rented_at", name="one_trip_per_bike_and_moment"),
        Index("ix_bike_trips_rented_at", "rented_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The bike's number in the records (e.g. SPB-00080): not a FK, old records name retired bikes.
    bike_code: Mapped[str] = mapped_column(String(20))
    rented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # NULL when the records name a station this network does not know (removed since).
    rent_station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    return_station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    duration_min: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))


class Truck(db.Model):
    """A rebalancing truck; what it carries is the bikes whose `truck_id` is this truck."""

    __tablename__ = "trucks"
    __table_args__ = (CheckConstraint("capacity > 0", name="capacity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    capacity: Mapped[int] = mapped_column(Integer, default=20)
    # Where the truck last handled bikes (its next route starts there).
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Plan(db.Model):
    """A stored rebalancing plan; its routes live on as tasks, its moves as JSON."""

    __tablename__ = "rebalancing_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    zone: Mapped[str | None] = mapped_column(String(20))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day_type: Mapped[str] = mapped_column(String(10))
    horizon_h: Mapped[float] = mapped_column(Float)
    time_limit_s: Mapped[float] = mapped_column(Float)
    elapsed_s: Mapped[float] = mapped_column(Float)
    station_count: Mapped[int] = mapped_column(Integer)
    dissatisfaction_before: Mapped[float] = mapped_column(Float)
    dissatisfaction_after: Mapped[float] = mapped_column(Float)
    bikes_moved: Mapped[int] = mapped_column(Integer)
    truck_km: Mapped[float] = mapped_column(Float)
    # [{source_station_id, target_station_id, bikes, value}], as the min-cost flow chose them.
    moves: Mapped[list] = mapped_column(JSON)
    # {truck_id: {station_id, load, capacity}} at planning time.
    trucks: Mapped[dict] = mapped_column(JSON)
    # {since, until, days, observed_hours, trips, prior_share[, nothing_moved_because]}: the demand it planned on.
    history: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # [{zone, stations, truck_ids, outcome, reason, targets, routes, bikes_moved, seconds}]: what happened per zone.
    zones: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    tasks: Mapped[list["Task"]] = relationship(
        back_populates="plan",
        foreign_keys=lambda: [Task.plan_id],
        order_by=lambda: (Task.truck_id, Task.sequence),
        lazy="selectin",
    )

    @property
    def routes(self) -> list[dict]:
        """The routes, rebuilt from the tasks (with their progress), one per truck, trucks in id order."""
        routes = {int(truck_id): [] for truck_id in self.trucks}
        for task in self.tasks:
            routes.setdefault(task.truck_id, []).append(task)
        return [
            {"truck_id": truck_id, "distance_km": sum(t.distance_km for t in stops), "stops": stops}
            for truck_id, stops in sorted(routes.items())
        ]


class Task(db.Model):
    """One stop of a truck's route: pick up or drop off `planned` bikes at a station."""

    __tablename__ = "rebalancing_tasks"
    __table_args__ = (
        UniqueConstraint("plan_id", "truck_id", "sequence", name="one_stop_per_position"),
        enum_check("kind", TaskKind, name="known_kind"),
        CheckConstraint("planned > 0 AND done >= 0 AND done <= planned", name="done_within_planned"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("rebalancing_plans.id", ondelete="CASCADE"), index=True)
    truck_id: Mapped[int] = mapped_column(ForeignKey("trucks.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    kind: Mapped[str] = mapped_column(String(10))
    planned: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    load_after: Mapped[int] = mapped_column(Integer)  # planned truck load after this stop
    distance_km: Mapped[float] = mapped_column(Float)
    arrival_min: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A later plan for the same truck replaces the stops it had not finished: a truck follows one route.
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("rebalancing_plans.id", ondelete="SET NULL"))

    plan: Mapped[Plan] = relationship(back_populates="tasks", foreign_keys=[plan_id])

    @hybrid_property
    def is_open(self) -> bool:
        """Still to be worked: not finished, and not replaced by a later plan for its truck."""
        return self.done < self.planned and self.superseded_by is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return and_(cls.done < cls.planned, cls.superseded_by.is_(None))

    @property
    def status(self) -> str:
        if self.done >= self.planned:
            return "done"
        if self.superseded_by is not None:
            return "superseded"
        return "open" if self.done == 0 else "partial"

    @property
    def load_change(self) -> int:
        return self.planned if self.kind == TaskKind.PICKUP else -self.planned


class ReplanStatus(StrEnum):
    PLANNED = "planned"
    FAILED = "failed"


class ReplanRound(db.Model):
    """One round of the re-planning worker: when, what it kept, and the plan it made (or why it failed)."""

    __tablename__ = "replan_rounds"
    __table_args__ = (enum_check("status", ReplanStatus, name="known_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("rebalancing_plans.id", ondelete="SET NULL"))
    trucks: Mapped[int] = mapped_column(Integer)
    # {truck_id: task_id}: the stop each truck was working on, kept as its first stop.
    kept_tasks: Mapped[dict] = mapped_column(JSON, default=dict)
    detail: Mapped[str | None] = mapped_column(String(500))
