"""What the feeds say about the system itself: operator, vehicle types and Ttareungyi's passes.

Text is Korean (`ko`), the language riders see on the stations and in the app.
"""

from bikeshare.passes import fares

LANGUAGE = "ko"
TIMEZONE = "Asia/Seoul"
SYSTEM_ID = "seoul_ttareungyi"

SYSTEM = {
    "name": "서울자전거 따릉이",
    "short_name": "따릉이",
    "operator": "서울시설공단",
    "url": "https://www.bikeseoul.com",
    "start_date": "2015-10-15",
    "phone_number": "+8215990120",  # 1599-0120, E.164 as GBFS 3.0 requires
    # Seoul's open data is published under 공공누리 (KOGL) Type 1: attribution required.
    "license_url": "https://www.kogl.or.kr/info/licenseType1.do",
    "attribution_organization_name": "서울특별시",
    "attribution_url": "https://data.seoul.go.kr",
    "opening_hours": "24/7",
}

# (vehicle_type_id, name): the kinds of `Bike.kind`; both are pedal bikes.
VEHICLE_TYPES = (("standard", "따릉이"), ("sprout", "새싹따릉이"))

# Names of the passes sold by POST /passes; prices and limits come from the fare rules.
PASS_LABELS = {
    "day_1h": "1일권(1시간)",
    "day_2h": "1일권(2시간)",
    "7d_1h": "7일 정기권(1시간)",
    "7d_2h": "7일 정기권(2시간)",
    "30d_1h": "30일 정기권(1시간)",
    "30d_2h": "30일 정기권(2시간)",
    "180d_1h": "180일 정기권(1시간)",
    "180d_2h": "180일 정기권(2시간)",
    "365d_1h": "365일 정기권(1시간)",
    "365d_2h": "365일 정기권(2시간)",
}
DEFAULT_PLAN_ID = "day_1h"


def pricing_plans() -> list[dict]:
    """Each pass as a plan: its price, then ₩200 per started 5 minutes past the per-ride limit, capped."""
    step_minutes = fares.OVERTIME_STEP_SECONDS // 60
    cap_minutes = fares.OVERTIME_CAP_WON // fares.OVERTIME_STEP_WON * step_minutes
    return [
        {
            "plan_id": kind.name,
            "label": PASS_LABELS[kind.name],
            "price": kind.price_won,
            "description": (
                f"{PASS_LABELS[kind.name]} {kind.price_won:,}원. {kind.days}일 동안 대여 1회당 "
                f"{kind.ride_minutes}분까지 추가 요금 없음, 초과 시 {step_minutes}분마다 "
                f"{fares.OVERTIME_STEP_WON}원(1회 최대 {fares.OVERTIME_CAP_WON:,}원)."
            ),
            # GBFS charges `rate` at the start of every `interval` from `start` (inclusive) to `end`
            # (exclusive): minute 60 is the first started 5 minutes past a 1-hour limit.
            "per_min_pricing": [
                {
                    "start": kind.ride_minutes,
                    "rate": fares.OVERTIME_STEP_WON,
                    "interval": step_minutes,
                    "end": kind.ride_minutes + cap_minutes,
                }
            ],
        }
        for kind in fares.PASS_KINDS.values()
    ]
