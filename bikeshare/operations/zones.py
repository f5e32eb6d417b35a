"""Operations zones: the two operations centres and single districts, for plans and the operations map alike.

Kept apart from the planner so a page asking which zone a station is in loads no NumPy or OR-Tools.
"""

from core.districts import DISTRICTS, normalise_district
from core.errors import InvalidInput
from core.problems import Message

# The two operations centres: districts south of the Han river go to Gangnam, the rest to Gangbuk.
GANGNAM = {
    *("강서구", "양천구", "구로구", "영등포구", "금천구", "동작구"),
    *("관악구", "서초구", "강남구", "송파구", "강동구"),
}
ZONES = {"gangnam": GANGNAM, "gangbuk": set(DISTRICTS) - GANGNAM}
CENTRE_OF_DISTRICT = {district: zone for zone, districts in ZONES.items() for district in districts}


def zone_districts(zone: str | None) -> set[str] | None:
    """The districts a zone name covers: an operations centre, or one district in Korean or romanised."""
    if zone is None:
        return None
    if zone.lower() in ZONES:
        return ZONES[zone.lower()]
    district = normalise_district(zone)
    if district is None:
        raise InvalidInput(Message("operations.unknown_zone", zone=zone), slug="unknown-zone")
    return {district}
