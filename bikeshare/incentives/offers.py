"""Publishing and reading the points on offer: one set per half-hour slot, from the active policy.

The first reader of a slot publishes it (the slot's row is inserted first, so concurrent readers
wait for one publisher and then read its offers); returns only look offers up, never compute them.
"""

from datetime import UTC, datetime, timedelta

import numpy as np
from flask import current_app
from sqlalchemy import select

from bikeshare.incentives.models import IncentiveOffer, IncentivePolicy, IncentiveSlot, OfferKind
from bikeshare.incentives.rules import SLOT_MIN, PilotRules, PlannerRules, pilot_offers
from bikeshare.operations.models import Task, TaskKind
from bikeshare.rebalancing.demand import WEEKDAY, WEEKEND
from bikeshare.stations.models import Station
from core.db import db, insert_on_conflict, utcnow
from core.timezones import SEOUL

# A station a truck handled this recently gets no points for undoing what the truck did.
TRUCK_WORK_HOLDS = timedelta(hours=1)


def slot_of(moment: datetime) -> tuple[datetime, datetime]:
    """The half hour (Seoul time) containing `moment`, as UTC bounds."""
    local = moment.astimezone(SEOUL)
    start = local.replace(minute=local.minute - local.minute % SLOT_MIN, second=0, microsecond=0)
    return start.astimezone(UTC), (start + timedelta(minutes=SLOT_MIN)).astimezone(UTC)


def day_type_and_minute(moment: datetime) -> tuple[int, float]:
    local = moment.astimezone(SEOUL)
    return (WEEKEND if local.weekday() >= 5 else WEEKDAY), local.hour * 60 + local.minute


def pilot_rules() -> PilotRules:
    """The pilot's rules, with the rush windows a deployment may override (`BIKESHARE_INCENTIVE_PILOT_WINDOWS`)."""
    windows = current_app.config.get("BIKESHARE_INCENTIVE_PILOT_WINDOWS")
    if not windows:
        return PilotRules()
    return PilotRules(
        windows={WEEKDAY: tuple(map(tuple, windows["weekday"])), WEEKEND: tuple(map(tuple, windows["weekend"]))}
    )


def current_offers(*, now: datetime | None = None) -> dict:
    """The slot's offers (published now if nobody has yet), with the stations' live counts."""
    now = now or utcnow()
    starts_at, ends_at = slot_of(now)
    slot = db.session.get(IncentiveSlot, starts_at) or _publish(starts_at=starts_at, ends_at=ends_at)
    rows = db.session.execute(
        select(IncentiveOffer.station_id, IncentiveOffer.kind, IncentiveOffer.points, Station)
        .join(Station, Station.id == IncentiveOffer.station_id)
        .where(IncentiveOffer.slot_starts_at == starts_at)
        .order_by(IncentiveOffer.station_id)
    ).all()
    stations = {}
    for station_id, kind, points, station in rows:
        entry = stations.setdefault(
            station_id,
            {
                "station_id": station_id,
                "name": station.name,
                "lat": station.lat,
                "lon": station.lon,
                "bikes_available": station.bikes_available,
                "docks_available": station.docks_available,
                "rent_points": 0,
                "return_points": 0,
            },
        )
        entry[f"{kind}_points"] = points
    db.session.commit()
    return {"policy": slot.policy, "valid_from": starts_at, "valid_until": ends_at, "stations": list(stations.values())}


def _publish(*, starts_at: datetime, ends_at: datetime) -> IncentiveSlot:
    policy = IncentivePolicy(current_app.config["BIKESHARE_INCENTIVE_POLICY"])
    claimed = db.session.execute(
        insert_on_conflict(IncentiveSlot.__table__)
        .values(starts_at=starts_at, ends_at=ends_at, policy=policy, published_at=utcnow())
        .on_conflict_do_nothing(index_elements=["starts_at"])
    )
    if claimed.rowcount == 0:  # another request published this slot while we waited for its row
        db.session.rollback()
        return db.session.get(IncentiveSlot, starts_at)
    station_ids, offers = _compute(policy=policy, starts_at=starts_at)
    rows = [
        {
            "slot_starts_at": starts_at,
            "slot_ends_at": ends_at,
            "station_id": int(station),
            "kind": kind,
            "points": int(p),
        }
        for kind, points in ((OfferKind.RENT, offers.rent_points), (OfferKind.RETURN, offers.return_points))
        for station, p in zip(station_ids, points, strict=True)
        if p > 0
    ]
    if rows:
        db.session.execute(IncentiveOffer.__table__.insert(), rows)
    db.session.commit()
    return db.session.get(IncentiveSlot, starts_at)


def _compute(*, policy: IncentivePolicy, starts_at: datetime):
    # NumPy, SciPy and the planner's chain: loaded by the first publication, not at start-up.
    from bikeshare.incentives.rules import planner_offers, station_dissatisfaction
    from bikeshare.operations.network import load_network, load_rates

    network, stock = load_network()
    day_type, minute = day_type_and_minute(starts_at)
    if policy == IncentivePolicy.PILOT or network.size == 0:
        rules = pilot_rules()
        return network.station_ids, pilot_offers(
            stock=stock, docks=network.docks, day_type=day_type, minute_of_day=minute, rules=rules
        )
    rates, _, _ = load_rates(network=network)
    rules = PlannerRules()
    no_rent, no_return = _truck_work(network.station_ids, now=starts_at)
    offers = planner_offers(
        dissatisfaction=station_dissatisfaction(
            network=network, rates=rates, day_type=day_type, start_hour=minute / 60, rules=rules
        ),
        stock=stock,
        no_rent=no_rent,
        no_return=no_return,
        rules=rules,
    )
    return network.station_ids, offers


def _truck_work(station_ids: np.ndarray, *, now: datetime) -> tuple[np.ndarray, np.ndarray]:
    """Stations where points would compete with trucks: an open task (the truck is about to fix the
    station, either way), or a stop done within the hour (no renting where a truck just dropped
    bikes, no returning where it just took them)."""
    open_or_recent = select(
        Task.station_id, Task.kind, Task.done, Task.planned, Task.superseded_by, Task.updated_at
    ).where(Task.is_open | (Task.updated_at >= now - TRUCK_WORK_HOLDS))
    no_rent, no_return = set(), set()
    for station, kind, done, planned, superseded_by, updated_at in db.session.execute(open_or_recent):
        if done < planned and superseded_by is None:
            no_rent.add(station)
            no_return.add(station)
        if done > 0 and updated_at >= now - TRUCK_WORK_HOLDS:
            (no_rent if kind == TaskKind.DROPOFF else no_return).add(station)
    return np.isin(station_ids, list(no_rent)), np.isin(station_ids, list(no_return))


FEED_VERSION = "1.0"


def feed_document(*, now: datetime | None = None) -> tuple[dict, int]:
    """The offers as a GBFS-style file (station ids as strings, times as POSIX seconds); its ttl."""
    now = now or utcnow()
    current = current_offers(now=now)
    ttl = max(int((current["valid_until"] - now).total_seconds()), 0)
    body = {
        "last_updated": int(current["valid_from"].timestamp()),
        "ttl": ttl,
        "version": FEED_VERSION,
        "data": {
            "policy": current["policy"],
            "valid_from": int(current["valid_from"].timestamp()),
            "valid_until": int(current["valid_until"].timestamp()),
            "stations": [
                {
                    "station_id": str(s["station_id"]),
                    "rent_points": s["rent_points"],
                    "return_points": s["return_points"],
                }
                for s in current["stations"]
            ],
        },
    }
    return body, ttl
