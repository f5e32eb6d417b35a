"""The `data` member of each GBFS file, for versions 2.3 and 3.0, from plain rows (no Flask, no session).

The two versions differ in a few places only: 3.0 writes human text as localized strings
(`[{"text", "language"}]`), timestamps as RFC 3339 instead of POSIX seconds, says `vehicles` where
2.3 says `bikes`, and lists its feeds without the language level.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from bikeshare.gbfs import catalogue as cat

VERSIONS = ("2.3", "3.0")
# Published files, in the order gbfs.json lists them.
FEEDS = (
    "gbfs",
    "gbfs_versions",
    "system_information",
    "vehicle_types",
    "station_information",
    "station_status",
    "system_pricing_plans",
)


def text(version: str, value: str):
    return value if version == "2.3" else [{"text": value, "language": cat.LANGUAGE}]


def timestamp(version: str, moment: datetime):
    if version == "2.3":
        return int(moment.timestamp())
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def discovery(version: str, feed_url: Callable[[str], str]) -> dict:
    feeds = [{"name": name, "url": feed_url(name)} for name in FEEDS]
    return {cat.LANGUAGE: {"feeds": feeds}} if version == "2.3" else {"feeds": feeds}


def gbfs_versions(version_url: Callable[[str], str]) -> dict:
    return {"versions": [{"version": v, "url": version_url(v)} for v in VERSIONS]}


def system_information(version: str, *, contact_email: str) -> dict:
    s = cat.SYSTEM
    data = {
        "system_id": cat.SYSTEM_ID,
        "name": text(version, s["name"]),
        "short_name": text(version, s["short_name"]),
        "operator": text(version, s["operator"]),
        "url": s["url"],
        "purchase_url": s["url"],
        "start_date": s["start_date"],
        "phone_number": s["phone_number"],
        "feed_contact_email": contact_email,
        "timezone": cat.TIMEZONE,
        "license_url": s["license_url"],
    }
    if version == "2.3":
        data["language"] = cat.LANGUAGE
    else:
        data["languages"] = [cat.LANGUAGE]
        data["opening_hours"] = s["opening_hours"]
        data["attribution_organization_name"] = text(version, s["attribution_organization_name"])
        data["attribution_url"] = s["attribution_url"]
    return data


def vehicle_types(version: str) -> dict:
    return {
        "vehicle_types": [
            {
                "vehicle_type_id": type_id,
                "form_factor": "bicycle",
                "propulsion_type": "human",
                "name": text(version, name),
                "rider_capacity": 1,
                "wheel_count": 2,
                "return_constraint": "any_station",
                "default_pricing_plan_id": cat.DEFAULT_PLAN_ID,
                "pricing_plan_ids": list(cat.PASS_LABELS),
            }
            for type_id, name in cat.VEHICLE_TYPES
        ]
    }


def system_pricing_plans(version: str) -> dict:
    return {
        "plans": [
            {
                "plan_id": plan["plan_id"],
                "name": text(version, plan["label"]),
                "currency": "KRW",
                "price": plan["price"],
                "is_taxable": False,
                "description": text(version, plan["description"]),
                "per_min_pricing": plan["per_min_pricing"],
            }
            for plan in cat.pricing_plans()
        ]
    }


def station_information(version: str, rows: Iterable) -> dict:
    """`rows`: (id, name, address, lat, lon, capacity) of the stations in service."""
    return {
        "stations": [
            {
                "station_id": str(station_id),
                "name": text(version, name),
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "address": address,
                # Never below the bikes it holds, or consumers would see more bikes than it can take.
                "capacity": capacity,
                "rental_methods": ["phone"],
            }
            for station_id, name, address, lat, lon, capacity in rows
        ]
    }


def station_status(version: str, rows: Iterable, *, now: datetime) -> dict:
    """`rows`: (id, bikes_available, bikes_held, docks_available, updated_at, *available count per vehicle type)."""
    vehicles = "bikes" if version == "2.3" else "vehicles"
    type_ids = [type_id for type_id, _ in cat.VEHICLE_TYPES]
    stations = []
    for station_id, available, held, docks_available, updated_at, *per_type in rows:
        stations.append(
            {
                "station_id": str(station_id),
                f"num_{vehicles}_available": available,
                "vehicle_types_available": [
                    {"vehicle_type_id": type_id, "count": count}
                    for type_id, count in zip(type_ids, per_type, strict=True)
                ],
                f"num_{vehicles}_disabled": held,
                "num_docks_available": docks_available,
                "is_installed": True,
                "is_renting": True,
                # GBFS: true even when full; a full Seoul station still takes chained bikes.
                "is_returning": True,
                "last_reported": timestamp(version, updated_at or now),
            }
        )
    return {"stations": stations}
