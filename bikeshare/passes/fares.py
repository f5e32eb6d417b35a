"""Ttareungyi passes, prices, discounts and overtime: plain rules, no database.

Prices are the real ones (won). A day pass runs 24 hours from its first rental, as the real system
does (120 Dasan Call Center: "1일권을 13시에 구매한 후 15시에 처음으로 사용한 경우 다음날 15시까지");
an unused day pass can be started up to `DAY_PASS_START_WITHIN` after purchase (our choice). Season
passes (7/30/180/365 days) run from purchase. Overtime is ₩200 per started 5 minutes past the
pass's per-ride limit, counted on whole seconds (60:00 is free, 60:01 costs ₩200), capped at
₩30,000 per ride like the real system.
"""

import math
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class PassKind:
    name: str
    days: int
    ride_minutes: int
    price_won: int

    @property
    def is_day_pass(self) -> bool:
        return self.days == 1


PASS_KINDS = {
    kind.name: kind
    for kind in (
        PassKind("day_1h", 1, 60, 1_000),
        PassKind("day_2h", 1, 120, 2_000),
        PassKind("7d_1h", 7, 60, 3_000),
        PassKind("7d_2h", 7, 120, 4_000),
        PassKind("30d_1h", 30, 60, 5_000),
        PassKind("30d_2h", 30, 120, 7_000),
        PassKind("180d_1h", 180, 60, 15_000),
        PassKind("180d_2h", 180, 120, 20_000),
        PassKind("365d_1h", 365, 60, 30_000),
        PassKind("365d_2h", 365, 120, 40_000),
    )
}
DAY_PASS_KINDS = tuple(name for name, kind in PASS_KINDS.items() if kind.is_day_pass)
RIDE_MINUTES = tuple(sorted({kind.ride_minutes for kind in PASS_KINDS.values()}))  # per-ride limits: 60, 120
DAY_PASS_START_WITHIN = timedelta(days=30)

# Percent off a pass for each eligibility category (core.eligibility); the best one applies, never
# stacked. Our table, in line with the reductions Seoul's facilities give these groups; overtime
# is never discounted (it exists to bring bikes back).
DISCOUNT_PERCENT = {
    "disabled": 50,
    "national_merit": 50,
    "low_income": 50,
    "multi_child": 30,
    "senior": 30,
}

OVERTIME_STEP_SECONDS = 5 * 60
OVERTIME_STEP_WON = 200
OVERTIME_CAP_WON = 30_000


def best_discount(categories: set[str]) -> tuple[str | None, int]:
    """The category giving the largest discount and its percent, or (None, 0)."""
    best = max(categories & DISCOUNT_PERCENT.keys(), key=lambda c: (DISCOUNT_PERCENT[c], c), default=None)
    return best, DISCOUNT_PERCENT.get(best, 0)


def discounted(price_won: int, percent: int) -> int:
    return price_won * (100 - percent) // 100


def missing_after(ride_minutes: int) -> timedelta:
    """A bike out longer than this is treated as missing: 4 h, or 6 h on 2-hour passes."""
    return timedelta(hours=6 if ride_minutes >= 120 else 4)


@dataclass(frozen=True)
class Fare:
    duration_seconds: int
    ride_limit_minutes: int
    overtime_seconds: int
    overtime_steps: int
    overtime_won: int


def ride_seconds(elapsed_seconds, *, greatest=max, floor=math.floor):
    """Whole seconds of a ride (a fraction never starts a step), never below zero.

    Written once over Python numbers; the return's SQL statement passes SQL expressions and functions
    (`rentals.statements.closing_fare`), so it charges by this very rule.
    """
    return greatest(0, floor(elapsed_seconds))


def overtime(seconds, ride_minutes, *, greatest=max, least=min) -> tuple:
    """(seconds over the limit, started steps, won) for a ride of whole `seconds`, over Python or SQL
    numbers as `ride_seconds`. Integer division of non-negative numbers rounds down in both."""
    over = greatest(0, seconds - ride_minutes * 60)
    steps = (over + OVERTIME_STEP_SECONDS - 1) // OVERTIME_STEP_SECONDS
    return over, steps, least(OVERTIME_CAP_WON, steps * OVERTIME_STEP_WON)


def fare(*, duration: timedelta, ride_minutes: int) -> Fare:
    """The fare of a ride of `duration` on a pass allowing `ride_minutes` per ride."""
    seconds = ride_seconds(duration.total_seconds())
    over, steps, won = overtime(seconds, ride_minutes)
    return Fare(
        duration_seconds=seconds,
        ride_limit_minutes=ride_minutes,
        overtime_seconds=over,
        overtime_steps=steps,
        overtime_won=won,
    )
