"""Return-and-rent loops: a rider who returns a bike and rents again near it soon after moved nothing.

Returning at a sparse station and renting again there (or a short walk away) leaves its stock as it
was, so neither that return's points nor the next rental's are earned.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from bikeshare.incentives.models import EarnReason, MileageEntry
from bikeshare.rentals.models import Rental
from bikeshare.stations.geo import distance_m
from bikeshare.stations.models import Station
from core.db import db


@dataclass(frozen=True)
class Loop:
    """A ride of the rider's that ended near where this one began, shortly before it began."""

    rental_id: int
    station_id: int
    metres: float


def not_taken_back(rental_id):
    """The return points of `rental_id` are not reversed yet (a take-back carries the rental it reverses)."""
    taken_back = MileageEntry.__table__.alias("taken_back")
    return (
        ~select(taken_back.c.id)
        .where(taken_back.c.rental_id == rental_id, taken_back.c.reason == EarnReason.RETURN_TAKEN_BACK)
        .exists()
    )


def return_points_just_before(user, *, started_at, loop_since):
    """The return points `user` earned from `loop_since` to `started_at` and not taken back, as a SQL scalar
    (NULL if none): found on the (user_id, earned_at) index, so a return can ask for it in its own statement."""
    entry = MileageEntry.__table__
    return (
        select(func.sum(entry.c.points))
        .where(
            entry.c.user_id == user,
            entry.c.earned_at >= loop_since,
            entry.c.earned_at <= started_at,
            entry.c.reason == EarnReason.RETURN_AT_SPARSE_STATION,
            not_taken_back(entry.c.rental_id),
        )
        .scalar_subquery()
    )


def loops_before(*, user_id: int, rental, start: Station, window: timedelta, within_m: float) -> list[Loop]:
    """The rider's rides returned within the loop window before this one began, near its start station."""
    returned = db.session.execute(
        select(Rental.id, Station.id, Station.lat, Station.lon)
        .join(Station, Station.id == Rental.end_station_id)
        .where(
            Rental.user_id == user_id,
            Rental.id != rental.id,
            Rental.returned_at <= rental.started_at,
            Rental.returned_at >= rental.started_at - window,
        )
    )
    loops = [
        Loop(rental_id, station_id, distance_m(lat1=start.lat, lon1=start.lon, lat2=lat, lon2=lon))
        for rental_id, station_id, lat, lon in returned
    ]
    return [loop for loop in loops if loop.metres < within_m]


def loop_line(start: Station, loop: Loop) -> str:
    return f"rented at {start.id}, {loop.metres:.0f} m from {loop.station_id} where ride {loop.rental_id} returned"
