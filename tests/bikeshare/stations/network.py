"""A small station network around Seoul City Hall, written straight to the database.

Station import is another package's command; these tests only need a handful of stations with
known positions and counters that agree with their bikes, as the rental services keep them.
"""

import math
from dataclasses import dataclass

from bikeshare.stations.models import Bike, Station
from core.db import db

CITY_HALL = (37.5665, 126.9780)
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Spec:
    id: int
    north_m: float
    east_m: float
    docks: int
    overflow: int = 0
    bikes: tuple[tuple[str, str], ...] = ()  # (kind, status) of each parked bike
    active: bool = True


NETWORK = (
    # Overflowing: 5 bikes on 4 docks (chained parking), one of them in maintenance.
    Spec(
        101,
        50,
        0,
        docks=4,
        overflow=3,
        bikes=(("standard", "available"),) * 3 + (("sprout", "available"), ("standard", "maintenance")),
    ),
    Spec(102, 0, 120, docks=10, overflow=2),
    Spec(103, -180, -190, docks=2, bikes=(("standard", "available"), ("sprout", "available"))),  # full
    Spec(104, 340, 340, docks=8, bikes=(("sprout", "available"),)),
    Spec(105, -600, 700, docks=12, bikes=(("standard", "available"),) * 3),
    Spec(106, 2500, -1800, docks=6),
    Spec(107, 0, -80, docks=5, active=False),  # closed: never listed
)


def position(spec: Spec) -> tuple[float, float]:
    lat0, lon0 = CITY_HALL
    lat = lat0 + math.degrees(spec.north_m / EARTH_RADIUS_M)
    lon = lon0 + math.degrees(spec.east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat0))))
    return lat, lon


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def build_network(app) -> dict[int, Spec]:
    """Insert the network (stations, parked bikes, one bike out on a ride); returns the specs by id."""
    serial = 0
    with app.app_context():
        for spec in NETWORK:
            lat, lon = position(spec)
            available = sum(status == "available" for _, status in spec.bikes)
            db.session.add(
                Station(
                    id=spec.id,
                    code=f"ST-{spec.id + 900}",
                    name=f"시청 {spec.id}번 대여소",
                    district="중구",
                    address=f"서울특별시 중구 세종대로 {spec.id}",
                    lat=lat,
                    lon=lon,
                    docks=spec.docks,
                    overflow_allowance=spec.overflow,
                    active=spec.active,
                    bikes_parked=len(spec.bikes),
                    bikes_available=available,
                )
            )
            db.session.flush()
            for kind, status in spec.bikes:
                serial += 1
                db.session.add(Bike(id=f"SPB-{serial:05d}", kind=kind, status=status, station_id=spec.id))
        db.session.add(Bike(id="SPB-99999", kind="standard", status="rented", station_id=None))
        db.session.commit()
    return {spec.id: spec for spec in NETWORK}
