"""Plans for a network state given from outside (an independent simulator): nothing is stored.

The state names a moment, the bikes at stations and the trucks; the plan uses this service's
stations and stored demand model and the configured trucks, exactly as the stored plans do. The
formats are in the README ("Driving the planner from outside"). Stations are named by their id
(`1104`) or their code (`"ST-1104"`); stations the state does not list keep their stored stock.
"""

import time
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from bikeshare.operations.network import load_network
from bikeshare.operations.plans import history_used, plan_network, zones_json
from bikeshare.rebalancing.geo import local_plane_km, neighbour_tree
from bikeshare.rebalancing.model import Truck
from bikeshare.stations.models import Station
from core.db import db
from core.errors import InvalidInput


def plan_for_state(*, state: dict) -> dict:
    """Plan routes for the state's trucks from the state's stock; the plan as JSON-ready data (see the README)."""
    started = time.perf_counter()
    if not isinstance(state, dict):
        raise InvalidInput("The state must be a JSON object.", slug="bad-state")
    at = _moment(state.get("time"))
    horizon_h = _number(state, "horizon_h", 3.0, 0.25, 12.0)
    time_limit_s = _number(state, "time_limit_s", current_app.config["BIKESHARE_PLAN_TIME_LIMIT_S"], 0.5, 300.0)
    network, stock = load_network()
    if network.size < 2:
        raise InvalidInput("This service knows fewer than two active stations.", slug="area-too-small")
    position = _station_positions(network)
    stock = stock.copy()
    for name, bikes in (state.get("stock") or {}).items():
        if not isinstance(bikes, int) or bikes < 0:
            raise InvalidInput(f"Stock of station {name!r} must be a whole number >= 0.", slug="bad-state")
        stock[_station(position, name)] = bikes
    trucks = [_truck(position, network, given) for given in _list(state, "trucks")]
    if not trucks:
        raise InvalidInput("The state names no truck.", slug="bad-state")
    if len({t.truck_id for t in trucks}) != len(trucks):
        raise InvalidInput("Each truck may appear once.", slug="duplicate-truck")
    result, demand = plan_network(
        network=network,
        stock=stock,
        fleet=trucks,
        start_at=at,
        horizon_h=horizon_h,
        deadline=started + time_limit_s * 0.95,  # nothing to store: only the answer to build
    )
    ids, codes = network.station_ids, _codes(network)

    def station(index):
        return {"station_id": int(ids[index]), "station_code": codes[index]}

    return {
        "time": at.isoformat(),
        "horizon_h": horizon_h,
        "time_limit_s": time_limit_s,
        "elapsed_s": round(time.perf_counter() - started, 3),
        "stations": network.size,
        "stations_from_state": len(state.get("stock") or {}),
        "bikes_moved": result.bikes_moved,
        "truck_km": round(result.truck_km, 3),
        "dissatisfaction_before": result.dissatisfaction_before,
        "dissatisfaction_after": result.dissatisfaction_after,
        "history": history_used(demand=demand, bikes_moved=result.bikes_moved),
        "zones": zones_json(result),
        "routes": [
            {
                "truck_id": route.truck_id,
                "stops": [
                    {
                        **station(stop.station),
                        "action": "pickup" if stop.load_change > 0 else "dropoff",
                        "bikes": abs(stop.load_change),
                        "load_after": stop.load_after,
                        "arrival_min": round(stop.arrival_min, 2),
                        "distance_km": round(stop.distance_km, 3),
                    }
                    for stop in route.stops
                ],
            }
            for route in result.routes
        ],
        "moves": [
            {"source": station(m.source), "target": station(m.target), "bikes": m.bikes, "value": m.value}
            for m in result.moves
        ],
    }


def _moment(text) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput("time must be an ISO 8601 moment with its offset.", slug="bad-state") from None
    if moment.tzinfo is None:
        raise InvalidInput("time needs its UTC offset (e.g. +09:00).", slug="bad-state")
    return moment.astimezone(UTC)


def _number(state: dict, name: str, default: float, low: float, high: float) -> float:
    value = state.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidInput(f"{name} must be a number from {low:g} to {high:g}.", slug="bad-state")
    return float(value)


def _list(state: dict, name: str) -> list:
    value = state.get(name)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInput(f"{name} must be a list of objects.", slug="bad-state")
    return value


def _codes(network) -> list[str | None]:
    rows = db.session.execute(select(Station.id, Station.code).where(Station.id.in_(network.station_ids.tolist())))
    codes = dict(rows.all())
    return [codes.get(int(station_id)) for station_id in network.station_ids]


def _station_positions(network) -> dict:
    """Network position by station id and by station code."""
    position = {int(station_id): i for i, station_id in enumerate(network.station_ids)}
    for i, code in enumerate(_codes(network)):
        if code:
            position[code] = i
    return position


def _station(position: dict, name) -> int:
    key = int(name) if isinstance(name, str) and name.isdigit() else name
    if key not in position:
        raise InvalidInput(f"Station {name!r} is not an active station of this service.", slug="unknown-station")
    return position[key]


def _truck(position: dict, network, given: dict) -> Truck:
    truck_id, load, capacity = given.get("id"), given.get("load", 0), given.get("capacity", 20)
    for name, value, low in (("id", truck_id, 1), ("load", load, 0), ("capacity", capacity, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidInput(f"Truck {name} must be a whole number >= {low}.", slug="bad-state")
    if load > capacity:
        raise InvalidInput(f"Truck {truck_id} cannot carry {load} bikes.", slug="load-above-capacity")
    if given.get("station_id") is not None:
        station = _station(position, given["station_id"])
    else:
        lat, lon = given.get("lat"), given.get("lon")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
            raise InvalidInput(f"Truck {truck_id} needs a station_id or lat and lon.", slug="bad-state")
        # A truck between stations starts from the nearest one.
        _, station = neighbour_tree(lat=network.lat, lon=network.lon).query(local_plane_km(lat=[lat], lon=[lon])[0])
    return Truck(truck_id, int(station), load, capacity)
