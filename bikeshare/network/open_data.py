"""Open aggregate data for citizens: anonymous counts per station, day type and hour of day.

Only aggregates leave: rentals and returns per (station, weekday/weekend, hour of day in Seoul) over the
demand window, and how much of the recorded time the station was empty or full. A count from 1 to
`SUPPRESS_BELOW - 1` could single out a rider's habitual trip, so it is published as null with
`suppressed: true` (0 is kept: it reveals nobody). Figures derived from a suppressed count are
suppressed with it.
"""

import csv
import io

import numpy as np
from sqlalchemy import select

from bikeshare.demand.models import StationHourStat
from bikeshare.network import services
from bikeshare.operations.network import DAY_TYPES, history_window, load_history, load_network
from core.db import db
from core.timezones import SEOUL

SUPPRESS_BELOW = 5
STATION_HOUR_FIELDS = (
    "station_id",
    "district",
    "day_type",
    "hour",
    "days",
    "rentals",
    "returns",
    "rentals_per_day",
    "returns_per_day",
    "empty_share",
    "full_share",
    "suppressed",
)


def _published(count: float) -> int | None:
    count = int(round(count))
    return None if 0 < count < SUPPRESS_BELOW else count


def station_hours(*, station_id: int | None = None, district: str | None = None, day_type: str | None = None) -> dict:
    """Rentals and returns per station, day type and hour over the demand window, small counts suppressed.

    Slots without any rental or return are left out (they are zeros)."""
    network, _ = load_network(districts={district} if district else None)
    since, until = history_window()
    history, window = load_history(network=network, since=since, until=until)
    observed_hours, days = _observed_slots(since=since, until=until)
    active = history.rentals + history.returns > 0
    if station_id is not None:
        active &= (network.station_ids == station_id)[:, None, None]
    if day_type is not None:
        active[:, 1 - DAY_TYPES[day_type]] = False
    names = {kind: name for name, kind in DAY_TYPES.items()}
    rows = []
    # Only the slots with a rental or a return: a city has ~130,000 slots, most of them empty.
    for at, kind, hour in np.argwhere(active).tolist():
        rentals, returns = history.rentals[at, kind, hour], history.returns[at, kind, hour]
        minutes = observed_hours[kind, hour] * 60
        shown_rentals, shown_returns = _published(rentals), _published(returns)
        per_day = max(days[kind], 1)
        rows.append(
            {
                "station_id": int(network.station_ids[at]),
                "district": str(network.district[at]),
                "day_type": names[kind],
                "hour": hour,
                "days": int(days[kind]),
                "rentals": shown_rentals,
                "returns": shown_returns,
                "rentals_per_day": None if shown_rentals is None else round(shown_rentals / per_day, 3),
                "returns_per_day": None if shown_returns is None else round(shown_returns / per_day, 3),
                "empty_share": round(1 - history.minutes_with_bike[at, kind, hour] / minutes, 4),
                "full_share": round(1 - history.minutes_with_room[at, kind, hour] / minutes, 4),
                "suppressed": shown_rentals is None or shown_returns is None,
            }
        )
    return {
        "since": window.since,
        "until": window.until,
        "suppress_below": SUPPRESS_BELOW,
        "licence": "KOGL Type 1 (attribution: Seoul Metropolitan Government)",
        "rows": rows,
    }


def _observed_slots(*, since, until) -> tuple[np.ndarray, np.ndarray]:
    """Hours with records per (day type, hour of day), and days with records per day type (Seoul)."""
    hours = db.session.scalars(
        select(StationHourStat.hour_start)
        .where(StationHourStat.hour_start >= since, StationHourStat.hour_start < until)
        .distinct()
    )
    observed, days = np.zeros((2, 24)), (set(), set())
    for hour in hours:
        local = hour.astimezone(SEOUL)
        kind = DAY_TYPES["weekend" if local.weekday() >= 5 else "weekday"]
        observed[kind, local.hour] += 1
        days[kind].add(local.date())
    return np.maximum(observed, 1), np.array([len(found) for found in days])


def network_districts() -> dict:
    """The latest network report's district table: demand, riders turned away and docks, per district."""
    report = services.latest_report()
    return {"report_id": report.id, "created_at": report.created_at, "districts": report.districts}


def as_csv(rows: list[dict], fields) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
