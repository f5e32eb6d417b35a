"""The mileage ledger: points earned at a qualifying return, under the caps and the anti-gaming rules.

`earn_at_return` runs inside the return's transaction (the return commits), so a failed return
leaves no points. The offers live at either end come with the return's own statement (`live_offers`),
so a return without one costs nothing here.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from bikeshare.incentives.models import (
    REASON_OF_KIND,
    GamingRule,
    IncentiveOffer,
    MileageAccount,
    MileageEntry,
    MileageFlag,
    OfferKind,
)
from bikeshare.rentals.models import Rental
from bikeshare.stations.geo import distance_m
from bikeshare.stations.models import Station
from core.db import db, insert_on_conflict
from core.timezones import SEOUL


@dataclass(frozen=True)
class GamingLimits:
    """What a ride must be to earn points (the pilot's 3 minutes; the rest are ours)."""

    min_ride: timedelta = timedelta(minutes=3)
    min_distance_m: float = 300.0  # between the two stations: a ride back to where it began moves nothing
    repeat_window: timedelta = timedelta(hours=24)  # same bike, or same station pair either way, earns once
    loop_window: timedelta = timedelta(minutes=15)  # renting again where one just returned undoes that return


@dataclass(frozen=True)
class Award:
    kind: OfferKind
    station_id: int
    offered: int


def earn_at_return(
    *, user_id: int, rental, end_station_id: int, now: datetime, offered: tuple, limits=GamingLimits()
) -> dict:
    """Credit what this return earned (points per reason, after caps), or flag why it earned nothing.

    `rental` is the locked rental row (id, bike_id, start_station_id, started_at) before closing;
    `offered` the points of the rent and return offers `live_offers` found (None where there was none).
    """
    rent_points, return_points = offered
    awards = [
        award
        for award in (
            Award(OfferKind.RENT, rental.start_station_id, rent_points),
            Award(OfferKind.RETURN, end_station_id, return_points),
        )
        if award.offered
    ]
    if not awards:
        return {"points": 0, "reasons": [], "withheld_because": []}
    broken = _gaming(user_id=user_id, rental=rental, end_station_id=end_station_id, now=now, limits=limits)
    if broken:
        withheld = sum(award.offered for award in awards)
        for rule, detail in broken:
            db.session.add(
                MileageFlag(
                    user_id=user_id,
                    rental_id=rental.id,
                    rule=rule,
                    detail=detail,
                    points_withheld=withheld,
                    created_at=now,
                )
            )
        return {"points": 0, "reasons": [], "withheld_because": [rule for rule, _ in broken]}
    credited = credit(user_id=user_id, rental_id=rental.id, awards=awards, now=now)
    return {"points": sum(entry["points"] for entry in credited), "reasons": credited, "withheld_because": []}


def _live_offer(kind: OfferKind, station, moment):
    offer = IncentiveOffer.__table__.c
    return (
        select(offer.points)
        .where(
            offer.kind == kind,
            offer.station_id == station,
            offer.slot_starts_at <= moment,
            offer.slot_ends_at > moment,
        )
        .scalar_subquery()
    )


def live_offers(*, start_station, started_at, end_station, now) -> list:
    """The points of the rent offer live at the start station when the ride began and of the return offer
    live at the end station now, as two labelled SQL columns (NULL where there is none): a return's
    statement selects them, so asking costs no round trip of its own."""
    return [
        _live_offer(OfferKind.RENT, start_station, started_at).label("rent_points"),
        _live_offer(OfferKind.RETURN, end_station, now).label("return_points"),
    ]


def _gaming(*, user_id: int, rental, end_station_id: int, now: datetime, limits: GamingLimits) -> list[tuple[str, str]]:
    """Every anti-gaming rule this ride breaks, with a line for staff."""
    broken = []
    ride = now - rental.started_at
    if ride < limits.min_ride:
        broken.append((GamingRule.RIDE_TOO_SHORT, f"ride of {ride.total_seconds():.0f} s"))
    ends = {
        s.id: s
        for s in db.session.scalars(select(Station).where(Station.id.in_([rental.start_station_id, end_station_id])))
    }
    start, end = ends[rental.start_station_id], ends[end_station_id]
    metres = distance_m(lat1=start.lat, lon1=start.lon, lat2=end.lat, lon2=end.lon)
    if metres < limits.min_distance_m:
        broken.append((GamingRule.RIDE_TOO_NEAR, f"stations {start.id} and {end.id} are {metres:.0f} m apart"))
    earlier = (
        select(Rental)
        .join(MileageEntry, MileageEntry.rental_id == Rental.id)
        .where(MileageEntry.user_id == user_id, MileageEntry.earned_at >= now - limits.repeat_window)
    )
    if db.session.scalar(select(earlier.where(Rental.bike_id == rental.bike_id).exists())):
        broken.append((GamingRule.SAME_BIKE_REPEATED, f"bike {rental.bike_id} already earned within the window"))
    pair = {rental.start_station_id, end_station_id}
    same_pair = earlier.where(Rental.start_station_id.in_(pair), Rental.end_station_id.in_(pair))
    if db.session.scalar(select(same_pair.exists())):
        broken.append((GamingRule.SAME_STATION_PAIR_REPEATED, f"stations {start.id} and {end.id} already earned"))
    loop = select(Rental.id).where(
        Rental.user_id == user_id,
        Rental.id != rental.id,
        Rental.end_station_id == rental.start_station_id,
        Rental.returned_at <= rental.started_at,
        Rental.returned_at >= rental.started_at - limits.loop_window,
    )
    if db.session.scalar(select(loop.exists())):
        broken.append((GamingRule.RETURN_AND_RENT_LOOP, f"rented at {start.id} right after returning there"))
    return broken


def credit(*, user_id: int, rental_id: int, awards: list[Award], now: datetime) -> list[dict]:
    """Add the awards to the rider's account up to the daily and monthly caps; the entries written.

    The account row is locked first, so returns racing for the same rider are credited one after
    another and together never pass a cap. Runs in the caller's transaction (no commit).
    """
    config = current_app.config
    daily_cap, monthly_cap = config["BIKESHARE_MILEAGE_DAILY_CAP"], config["BIKESHARE_MILEAGE_MONTHLY_CAP"]
    db.session.execute(
        insert_on_conflict(MileageAccount.__table__)
        .values(user_id=user_id, balance=0, day_points=0, month_points=0)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    account = db.session.scalar(
        select(MileageAccount)
        .where(MileageAccount.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    today = now.astimezone(SEOUL).date()
    if account.day != today:
        account.day, account.day_points = today, 0
    if account.month != _month(today):
        account.month, account.month_points = _month(today), 0
    entries = []
    for award in awards:
        points = min(award.offered, daily_cap - account.day_points, monthly_cap - account.month_points)
        if points <= 0:
            continue
        account.balance += points
        account.day_points += points
        account.month_points += points
        reason = REASON_OF_KIND[award.kind]
        db.session.add(
            MileageEntry(
                user_id=user_id,
                rental_id=rental_id,
                reason=reason,
                station_id=award.station_id,
                offered=award.offered,
                points=points,
                earned_at=now,
            )
        )
        entries.append({"reason": reason, "station_id": award.station_id, "offered": award.offered, "points": points})
    db.session.flush()
    return entries


def _month(day: date) -> date:
    return day.replace(day=1)


def my_mileage(*, user_id: int, now: datetime, limit: int = 50) -> dict:
    """The rider's balance, today's and this month's points against the caps, and the latest entries."""
    account = db.session.get(MileageAccount, user_id)
    today = now.astimezone(SEOUL).date()
    entries = db.session.scalars(
        select(MileageEntry).where(MileageEntry.user_id == user_id).order_by(MileageEntry.id.desc()).limit(limit)
    ).all()
    config = current_app.config
    return {
        "balance": account.balance if account else 0,
        "today": account.day_points if account and account.day == today else 0,
        "this_month": account.month_points if account and account.month == _month(today) else 0,
        "daily_cap": config["BIKESHARE_MILEAGE_DAILY_CAP"],
        "monthly_cap": config["BIKESHARE_MILEAGE_MONTHLY_CAP"],
        "entries": list(entries),
    }


def flags(*, limit: int = 100) -> list[MileageFlag]:
    """Rides flagged by the anti-gaming rules, newest first."""
    return list(db.session.scalars(select(MileageFlag).order_by(MileageFlag.id.desc()).limit(limit)))
