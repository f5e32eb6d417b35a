"""The stock on the operations map: every active station's bikes and docks, its fill level and its zone."""

from sqlalchemy import select

from bikeshare.operations.zones import CENTRE_OF_DISTRICT, zone_districts
from bikeshare.stations.models import Station
from core.db import db
from core.districts import normalise_district
from core.errors import InvalidInput, NotFound
from core.problems import Message


def _view(station: Station) -> dict:
    return {
        "id": station.id,
        "name": station.name,
        "district": station.district,
        "zone": CENTRE_OF_DISTRICT.get(station.district),
        "lat": station.lat,
        "lon": station.lon,
        "docks": station.docks,
        "capacity": station.capacity,
        "bikes_parked": station.bikes_parked,
        "bikes_available": station.bikes_available,
        "bikes_held": station.bikes_held,
        "docks_available": station.docks_available,
        "room": station.room,
        "fill_level": station.fill_level,
    }


def station_stock(*, district: str | None = None, zone: str | None = None, fill_level: str | None = None) -> list[dict]:
    """Active stations in the district and zone (a plan's zone: gangnam, gangbuk or a district), by id."""
    query = select(Station).where(Station.active.is_(True)).order_by(Station.id)
    if district is not None:
        korean = normalise_district(district)
        if korean is None:
            raise InvalidInput(Message("operations.unknown_district", district=district), slug="unknown-district")
        query = query.where(Station.district == korean)
    if zone is not None:
        query = query.where(Station.district.in_(zone_districts(zone)))
    if fill_level is not None:
        query = query.where(Station.fill_level == fill_level)
    return [_view(station) for station in db.session.scalars(query)]


def station_stock_of(*, station_id: int) -> dict:
    """One station as the operations map shows it."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound(Message("stations.no_such_number", station=station_id), slug="station-not-found")
    return _view(station)
