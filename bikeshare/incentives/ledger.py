"""The mileage ledger: points earned at a qualifying return, under the caps and the anti-gaming rules.

`earn_at_return` runs inside the return's transaction (the return commits), so a failed return
leaves no points. What it needs to know (the offers live at either end, return points the rider earned
just before the ride) comes with the return's own statement (`mileage_at_return`), so a return with none
of it costs nothing here.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Interval, literal, select

from bikeshare.incentives import loops
from bikeshare.incentives.models import (
    REASON_OF_KIND,
    EarnReason,
    GamingRule,
    IncentiveOffer,
    IncentiveSlot,
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
    # Between two stations, for the ride's ends and for a return and the next rental: closer moves nothing.
    min_distance_m: float = 300.0
    repeat_window: timedelta = timedelta(hours=24)  # same bike, or same station pair either way, earns once
    loop_window: timedelta = timedelta(minutes=15)  # renting again near where one just returned undoes that return


LIMITS = GamingLimits()


@dataclass(frozen=True)
class Award:
    kind: OfferKind
    station_id: int
    offered: int


def earn_at_return(*, user_id: int, rental, end_station_id: int, now: datetime, offered: tuple, limits=LIMITS) -> dict:
    """Credit what this return earned (points per reason, after caps), or flag why it earned nothing; take
    back the return points of a ride this one loops on.

    `rental` is the locked rental row (id, bike_id, start_station_id, started_at) before closing;
    `offered` the three columns of `mileage_at_return` (None where there was nothing).
    """
    rent_points, return_points, returned_just_before = offered
    awards = [
        award
        for award in (
            Award(OfferKind.RENT, rental.start_station_id, rent_points),
            Award(OfferKind.RETURN, end_station_id, return_points),
        )
        if award.offered
    ]
    if not awards and returned_just_before is None:
        return {"points": 0, "reasons": [], "withheld_because": []}
    stations = {
        s.id: s
        for s in db.session.scalars(select(Station).where(Station.id.in_([rental.start_station_id, end_station_id])))
    }
    start, end = stations[rental.start_station_id], stations[end_station_id]
    looped = loops.loops_before(
        user_id=user_id, rental=rental, start=start, window=limits.loop_window, within_m=limits.min_distance_m
    )
    taken_back = (
        _take_back(user_id=user_id, rental=rental, start=start, looped=looped, now=now) if returned_just_before else []
    )
    broken = (
        _gaming(user_id=user_id, rental=rental, start=start, end=end, looped=looped, now=now, limits=limits)
        if awards
        else []
    )
    withheld = sum(award.offered for award in awards)
    for rule, detail in broken:
        _flag(user_id=user_id, rental=rental, rule=rule, detail=detail, points=withheld, now=now)
    credited = [] if broken else credit(user_id=user_id, rental_id=rental.id, awards=awards, now=now)
    because = [rule for rule, _ in broken]
    if taken_back and GamingRule.RETURN_AND_RENT_LOOP not in because:
        because.append(GamingRule.RETURN_AND_RENT_LOOP)
    entries = taken_back + credited
    return {"points": sum(entry["points"] for entry in entries), "reasons": entries, "withheld_because": because}


def _flag(*, user_id: int, rental, rule: GamingRule, detail: str, points: int, now: datetime) -> None:
    db.session.add(
        MileageFlag(
            user_id=user_id, rental_id=rental.id, rule=rule, detail=detail, points_withheld=points, created_at=now
        )
    )


def _live_offer(kind: OfferKind, station, moment):
    offer, slot = IncentiveOffer.__table__, IncentiveSlot.__table__
    return (
        select(offer.c.points)
        .select_from(offer.join(slot, slot.c.starts_at == offer.c.slot_starts_at))
        .where(
            offer.c.kind == kind,
            offer.c.station_id == station,
            offer.c.slot_starts_at <= moment,
            offer.c.slot_ends_at > moment,
            # A slot is published by its first reader, from the stock of that moment, which may already
            # hold the reader's own rental: an offer pays only what was done once riders could see it.
            slot.c.published_at <= moment,
        )
        .scalar_subquery()
    )


# The labels of `mileage_at_return`'s columns, in the order `earn_at_return` takes them.
MILEAGE_AT_RETURN = ("rent_points", "return_points", "returned_just_before")


def loop_window_start(started_at):
    """Since when a return is undone by a rental at `started_at` near it: `started_at` a datetime, or a SQL
    expression (an interval then, which the column's own type would not take)."""
    if isinstance(started_at, datetime):
        return started_at - LIMITS.loop_window
    return started_at - literal(LIMITS.loop_window, Interval())


def mileage_at_return(*, user, start_station, started_at, loop_since, end_station, now) -> list:
    """What the ledger needs at a return, as three labelled SQL columns (NULL where there is nothing): the
    points of the rent offer live at the start station when the ride began, of the return offer live at the
    end station now, and the return points the rider earned since `loop_since` (`loop_window_start(started_at)`)
    and not taken back, which renting near them may undo. A return's statement selects them, so asking
    costs no round trip of its own, and a return with all three NULL needs no ledger at all."""
    rent, returned, just_before = MILEAGE_AT_RETURN
    return [
        _live_offer(OfferKind.RENT, start_station, started_at).label(rent),
        _live_offer(OfferKind.RETURN, end_station, now).label(returned),
        loops.return_points_just_before(user, started_at=started_at, loop_since=loop_since).label(just_before),
    ]


def _gaming(
    *, user_id: int, rental, start: Station, end: Station, looped: list[loops.Loop], now: datetime, limits: GamingLimits
) -> list[tuple[str, str]]:
    """Every anti-gaming rule this ride breaks, with a line for staff."""
    broken = []
    ride = now - rental.started_at
    if ride < limits.min_ride:
        broken.append((GamingRule.RIDE_TOO_SHORT, f"ride of {ride.total_seconds():.0f} s"))
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
    pair = {start.id, end.id}
    same_pair = earlier.where(Rental.start_station_id.in_(pair), Rental.end_station_id.in_(pair))
    if db.session.scalar(select(same_pair.exists())):
        broken.append((GamingRule.SAME_STATION_PAIR_REPEATED, f"stations {start.id} and {end.id} already earned"))
    if looped:
        broken.append((GamingRule.RETURN_AND_RENT_LOOP, loops.loop_line(start, looped[0])))
    return broken


def _take_back(*, user_id: int, rental, start: Station, looped: list[loops.Loop], now: datetime) -> list[dict]:
    """Reverse the return points of the rides this one loops on (once each), from the balance and from the
    day's and month's counters that counted them, and flag each. The entries written."""
    if not looped:
        return []
    account = _locked_account(user_id=user_id, now=now)  # before reading what is left to take back
    earned = db.session.scalars(
        select(MileageEntry).where(
            MileageEntry.rental_id.in_([loop.rental_id for loop in looped]),
            MileageEntry.reason == EarnReason.RETURN_AT_SPARSE_STATION,
            loops.not_taken_back(MileageEntry.rental_id),
        )
    ).all()
    entries = []
    for entry in earned:
        points = min(entry.points, account.balance)  # what was spent already cannot be taken back
        if points <= 0:
            continue
        day = entry.earned_at.astimezone(SEOUL).date()
        account.balance -= points
        if day == account.day:
            account.day_points -= points
        if _month(day) == account.month:
            account.month_points -= points
        reason = EarnReason.RETURN_TAKEN_BACK
        db.session.add(
            MileageEntry(
                user_id=user_id,
                rental_id=entry.rental_id,
                reason=reason,
                station_id=entry.station_id,
                offered=entry.points,
                points=-points,
                earned_at=now,
            )
        )
        loop = next(loop for loop in looped if loop.rental_id == entry.rental_id)
        detail = f"{loops.loop_line(start, loop)}: its return points taken back"
        _flag(
            user_id=user_id, rental=rental, rule=GamingRule.RETURN_AND_RENT_LOOP, detail=detail, points=points, now=now
        )
        entries.append({"reason": reason, "station_id": entry.station_id, "offered": entry.points, "points": -points})
    db.session.flush()
    return entries


def _locked_account(*, user_id: int, now: datetime) -> MileageAccount:
    """The rider's account (created if new), locked, its day's and month's counters rolled over to `now`'s.

    Every change to an account locks it first, so returns racing for the same rider change it one after
    another (together never passing a cap, nor taking back twice).
    """
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
    return account


def credit(*, user_id: int, rental_id: int, awards: list[Award], now: datetime) -> list[dict]:
    """Add the awards to the rider's account up to the daily and monthly caps; the entries written.

    Runs in the caller's transaction (no commit).
    """
    config = current_app.config
    daily_cap, monthly_cap = config["BIKESHARE_MILEAGE_DAILY_CAP"], config["BIKESHARE_MILEAGE_MONTHLY_CAP"]
    account = _locked_account(user_id=user_id, now=now)
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
