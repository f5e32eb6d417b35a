"""Dock supply against demand: load the network and its censoring-corrected demand, run the pure
core (`bikeshare.network.docks`), and store the report the console and the command read."""

import time

import numpy as np
from sqlalchemy import select

from bikeshare.demand.models import StationHourStat
from bikeshare.network.docks import TypicalDay, reallocate_docks, station_outcomes
from bikeshare.network.models import NetworkReport
from bikeshare.operations.network import DAY_TYPES, load_network, load_rates
from bikeshare.rebalancing.demand import horizon_rates
from bikeshare.stations.models import Station
from core.db import db
from core.errors import InvalidInput, NotFound
from core.problems import Message
from core.timezones import SEOUL

# A service day runs from the 05:00 stock (set overnight) for 24 hours; a typical week is five
# weekdays and two weekend days.
DAY_START_HOUR = 5.0
DAY_HOURS = 24.0
DAY_SHARE = {"weekday": 5 / 7, "weekend": 2 / 7}
ASSUMPTIONS = (
    "Demand: censoring-corrected rates per station, day type and hour (rentals per hour with a bike, returns "
    "per hour with room), shrunk toward neighbours, district and the UCI city-wide hourly profile where the "
    "history is thin (see `prior_share`).",
    "Each station is the birth-death chain of the planner over a 24-hour day from its 05:00 stock; a rider is "
    "turned away renting at an empty station or returning to a full one (chained beyond the docks or refused "
    "beyond the chained-parking allowance). Chained parking beyond the docks stays what riders do at each "
    "station when docks move.",
    "Reallocation: greedy marginal exchange of one dock at a time (most gained against least lost, while the "
    "gain exceeds the loss), over a typical week (5 weekdays, 2 weekend days); exact for convex per-station "
    "functions, a heuristic otherwise. Only screened candidates are evaluated beyond their current docks. "
    "A station keeps at least 3 docks, loses at most 10 and gains at most 15.",
    "Before and after are both at each station's target starting stock, so the difference is the docks' alone; "
    "the implied fleet is the sum of the targets (bikes parked at 05:00, riders' bikes not included).",
)


def build_report(*, docks_budget: int, user_id: int | None = None) -> NetworkReport:
    """Compute dock supply against demand and the reallocation of at most `docks_budget` docks; store it."""
    started = time.perf_counter()
    network, stock = load_network()
    if network.size < 2:
        raise InvalidInput(Message("network.too_small"), slug="network-too-small")
    rates, history, window = load_rates(network=network)
    days = [
        TypicalDay(
            name=name,
            rates=horizon_rates(rates=rates, day_type=kind, start_hour=DAY_START_HOUR, horizon_h=DAY_HOURS),
            weight=DAY_SHARE[name],
        )
        for name, kind in DAY_TYPES.items()
    ]
    capacity = network.capacity
    base = [station_outcomes(docks=network.docks, capacity=capacity, rates=day.rates) for day in days]
    plan = reallocate_docks(
        docks=network.docks, allowance=network.overflow_allowance, days=days, base=base, max_moves=docks_budget
    )
    now_stock = np.minimum(stock, capacity)
    rows = np.arange(network.size)
    per_day = {}
    for index, (day, outcomes) in enumerate(zip(days, base, strict=True)):
        per_day[day.name] = {
            "rentals": day.rates.rent_per_h @ day.rates.segment_hours,
            "returns": day.rates.return_per_h @ day.rates.segment_hours,
            "lost_rentals_now": outcomes.lost_rentals[rows, now_stock],
            "returns_at_full_now": outcomes.overflow_returns[rows, now_stock]
            + outcomes.refused_returns[rows, now_stock],
            "refused_returns_now": outcomes.refused_returns[rows, now_stock],
            "turned_away_target_before": plan.turned_away_before[index],
            "turned_away_target_after": plan.turned_away_after[index],
            "target_stock_before": plan.target_before[index],
            "target_stock_after": plan.target_after[index],
        }
    observed = _observed(network=network, rates=rates, window=window)
    stations = _station_rows(network=network, stock=stock, plan=plan, per_day=per_day, observed=observed)
    report = NetworkReport(
        created_by=user_id,
        docks_budget=docks_budget,
        elapsed_s=0.0,
        history={
            "since": window.since.isoformat(),
            "until": window.until.isoformat(),
            "days": window.days,
            "observed_hours": window.observed_hours,
            "trips": int(history.rentals.sum()),
            "prior_share": round(rates.prior_share, 4),
        },
        summary=_summary(network=network, stock=stock, plan=plan, per_day=per_day, budget=docks_budget),
        districts=_district_rows(stations),
        stations=stations,
    )
    report.elapsed_s = round(time.perf_counter() - started, 2)
    db.session.add(report)
    db.session.commit()
    return report


def _observed(*, network, rates, window) -> dict[str, np.ndarray]:
    """What the records saw in the window: time empty or full, and riders turned away then (the minutes
    × the station's rate in that hour), per recorded day."""
    position = {int(station_id): i for i, station_id in enumerate(network.station_ids)}
    rows = db.session.execute(
        select(
            StationHourStat.station_id,
            StationHourStat.hour_start,
            StationHourStat.empty_minutes,
            StationHourStat.full_minutes,
        ).where(
            StationHourStat.hour_start >= window.since,
            StationHourStat.hour_start < window.until,
            (StationHourStat.empty_minutes > 0) | (StationHourStat.full_minutes > 0),
        )
    ).all()
    empty_h, full_h, rentals_away, returns_away = (np.zeros(network.size) for _ in range(4))
    for station_id, hour_start, empty, full in rows:
        at = position.get(station_id)
        if at is None:
            continue
        local = hour_start.astimezone(SEOUL)
        kind = DAY_TYPES["weekend" if local.weekday() >= 5 else "weekday"]
        empty_h[at] += empty / 60
        full_h[at] += full / 60
        rentals_away[at] += empty / 60 * rates.rent_per_h[at, kind, local.hour]
        returns_away[at] += full / 60 * rates.return_per_h[at, kind, local.hour]
    days, hours = max(window.days, 1), max(window.observed_hours, 1)
    return {
        "rentals_turned_away_per_day": rentals_away / days,
        "returns_at_full_per_day": returns_away / days,
        "empty_share": empty_h / hours,
        "full_share": full_h / hours,
    }


def _station_rows(*, network, stock, plan, per_day, observed) -> list[dict]:
    names = dict(db.session.execute(select(Station.id, Station.name).where(Station.active)).all())
    stations = []
    for at, station_id in enumerate(network.station_ids.tolist()):
        docks, after = int(network.docks[at]), int(plan.docks[at])
        row = {
            "station_id": station_id,
            "name": names.get(station_id, ""),
            "district": str(network.district[at]),
            "docks": docks,
            "docks_recommended": after,
            "dock_change": after - docks,
            "bikes_now": int(stock[at]),
            "chained_parking_allowance": int(network.overflow_allowance[at]),
        }
        for day, values in per_day.items():
            use = (values["rentals"][at] + values["returns"][at]) / max(docks, 1)
            row |= {
                f"{day}_rentals": round(float(values["rentals"][at]), 2),
                f"{day}_returns": round(float(values["returns"][at]), 2),
                f"{day}_use_per_dock": round(float(use), 3),
                f"{day}_lost_rentals_now": round(float(values["lost_rentals_now"][at]), 3),
                f"{day}_returns_at_full_now": round(float(values["returns_at_full_now"][at]), 3),
                f"{day}_refused_returns_now": round(float(values["refused_returns_now"][at]), 3),
                f"{day}_turned_away_at_target": round(float(values["turned_away_target_before"][at]), 3),
                f"{day}_turned_away_after": round(float(values["turned_away_target_after"][at]), 3),
                f"{day}_target_stock": int(values["target_stock_before"][at]),
                f"{day}_target_stock_after": int(values["target_stock_after"][at]),
            }
        row |= {
            name: round(float(values[at]), 4) for name, values in (("observed_" + k, v) for k, v in observed.items())
        }
        stations.append(row)
    return stations


def _summary(*, network, stock, plan, per_day, budget) -> dict:
    days = {}
    for day, values in per_day.items():
        lost, at_full = float(values["lost_rentals_now"].sum()), float(values["returns_at_full_now"].sum())
        before, after = (
            float(values["turned_away_target_before"].sum()),
            float(values["turned_away_target_after"].sum()),
        )
        days[day] = {
            "rentals": round(float(values["rentals"].sum()), 1),
            "returns": round(float(values["returns"].sum()), 1),
            "lost_rentals_now": round(lost, 1),
            "returns_at_full_now": round(at_full, 1),
            "turned_away_now": round(lost + at_full, 1),
            "turned_away_at_target": round(before, 1),
            "turned_away_after": round(after, 1),
            "improvement_share": round((before - after) / before, 4) if before > 0 else 0.0,
            "fleet_at_target": int(values["target_stock_before"].sum()),
            "fleet_after": int(values["target_stock_after"].sum()),
        }
    return {
        "stations": int(network.size),
        "docks": int(network.docks.sum()),
        "bikes_now": int(stock.sum()),
        "docks_budget": budget,
        "docks_moved": plan.docks_moved,
        "stations_gaining": int((plan.docks > network.docks).sum()),
        "stations_losing": int((plan.docks < network.docks).sum()),
        "evaluated_rows": plan.evaluated_rows,
        "days": days,
        "assumptions": list(ASSUMPTIONS),
    }


def _district_rows(stations: list[dict]) -> list[dict]:
    """Per district: sums of the station figures, and use per dock over the district's docks."""
    summed = (
        "docks",
        "docks_recommended",
        "bikes_now",
        *(f"{day}_{name}" for day in DAY_SHARE for name in ("rentals", "returns", "lost_rentals_now")),
        *(f"{day}_{name}" for day in DAY_SHARE for name in ("returns_at_full_now", "turned_away_at_target")),
        *(f"{day}_turned_away_after" for day in DAY_SHARE),
        "observed_rentals_turned_away_per_day",
        "observed_returns_at_full_per_day",
    )
    districts: dict[str, dict] = {}
    for row in stations:
        total = districts.setdefault(row["district"], {"district": row["district"], "stations": 0})
        total["stations"] += 1
        for name in summed:
            total[name] = total.get(name, 0) + row[name]
    for total in districts.values():
        for name in summed:
            total[name] = round(total[name], 3)
        for day in DAY_SHARE:
            use = (total[f"{day}_rentals"] + total[f"{day}_returns"]) / max(total["docks"], 1)
            total[f"{day}_use_per_dock"] = round(use, 3)
    return sorted(districts.values(), key=lambda row: row["district"])


def latest_report() -> NetworkReport:
    """The most recent stored report."""
    report = db.session.scalar(select(NetworkReport).order_by(NetworkReport.created_at.desc(), NetworkReport.id.desc()))
    if report is None:
        raise NotFound(
            Message("network.no_report"),
            slug="no-network-report",
        )
    return report


def report_stations(*, district: str | None = None, changed_only: bool = False) -> dict:
    """The latest report's station rows, optionally one district's or only those whose docks change."""
    report = latest_report()
    rows = [
        row
        for row in report.stations
        if (district is None or row["district"] == district) and (not changed_only or row["dock_change"])
    ]
    return {"report_id": report.id, "created_at": report.created_at, "stations": rows}
