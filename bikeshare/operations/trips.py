"""Import official trip records (bulk CSV with Korean headers, or the open API's fields) into the
trips table and the hourly demand records.

Idempotent: (bike, rental moment) is the trips' natural key, rows already stored are left alone,
and only newly stored trips are counted into `StationHourStat`. Trip records carry no stock, so
they add rentals and returns but no empty/full minutes (their exposure counts as a full hour).
"""

import csv
import io
from collections import Counter
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bikeshare.demand.models import StationHourStat
from bikeshare.operations.models import Trip
from bikeshare.stations.models import Station
from core.db import db, insert_on_conflict
from core.timezones import SEOUL

BATCH = 1000
EXAMPLES = 10

# Canonical field -> header spellings: our English CSVs, the open API's fields, the bulk CSV's Korean.
# Headers are compared without spaces, quotes and case.
ALIASES = {
    "bike": ("bike_id", "BIKE_ID", "자전거번호"),
    "rent_at": ("rent_datetime", "RENT_DT", "대여일시"),
    "rent_no": ("rent_station_no", "RENT_ID", "대여 대여소번호", "대여대여소번호"),
    "rent_code": ("rent_station_id", "RENT_STATION_ID", "대여대여소ID"),
    "return_at": ("return_datetime", "RTN_DT", "반납일시"),
    "return_no": ("return_station_no", "RTN_ID", "반납대여소번호", "반납 대여소번호"),
    "return_code": ("return_station_id", "RETURN_STATION_ID", "반납대여소ID"),
    "duration": ("duration_min", "USE_MIN", "이용시간(분)", "이용시간"),
    "distance": ("distance_m", "USE_DST", "이용거리(M)", "이용거리"),
}
REQUIRED = ("bike", "rent_at", "return_at")


def _key(header: str) -> str:
    return "".join(header.split()).strip("\ufeff\"'").lower()


ALIAS_TO_FIELD = {_key(alias): field for field, aliases in ALIASES.items() for alias in aliases}


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) as published on GitHub copies; cp949 as the city publishes it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp949")


def _clean(value: str | None) -> str:
    # Bulk files quote numbers as text ('00210) so spreadsheets keep the leading zeros.
    return (value or "").strip().strip("\"'").strip()


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=SEOUL)
    except ValueError:
        return None


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


class _StationIndex:
    """Join by station number (zero-padded or not) or by the open API's ST- id."""

    def __init__(self):
        rows = db.session.execute(select(Station.id, Station.code)).all()
        self.numbers = {station_id for station_id, _ in rows}
        self.codes = {code: station_id for station_id, code in rows if code}

    def find(self, number: str, code: str) -> int | None:
        if number.isdigit() and int(number) in self.numbers:
            return int(number)
        return self.codes.get(code)


def _parse(row: dict, stations: _StationIndex) -> tuple[dict | None, str | None]:
    """A trips-table row, or the reason the record is skipped."""
    bike = row.get("bike", "")
    if not bike:
        return None, "no bike number"
    rented_at, returned_at = _moment(row.get("rent_at", "")), _moment(row.get("return_at", ""))
    if rented_at is None:
        return None, "unreadable rental time"
    if returned_at is None:
        return None, "unreadable return time (trip not finished?)"
    if returned_at < rented_at:
        return None, "returned before rented"
    rent_station = stations.find(row.get("rent_no", ""), row.get("rent_code", ""))
    return_station = stations.find(row.get("return_no", ""), row.get("return_code", ""))
    if rent_station is None and return_station is None:
        return None, "neither station is in the network"
    return {
        "bike_code": bike[:20],
        "rented_at": rented_at,
        "returned_at": returned_at,
        "rent_station_id": rent_station,
        "return_station_id": return_station,
        "duration_min": _number(row.get("duration", "")),
        "distance_m": _number(row.get("distance", "")),
    }, None


def _records(text: str):
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    fields = [ALIAS_TO_FIELD.get(_key(name)) for name in header]
    missing = [name for name in REQUIRED if name not in fields]
    return fields, missing, reader


def import_trips(*, path: str) -> dict:
    """Store the file's trips once each and count them into the hourly demand records."""
    fields, missing, reader = _records(_decode(Path(path).read_bytes()))
    if missing:
        raise ValueError(f"not a trip file: no column for {', '.join(missing)}")
    stations = _StationIndex()
    source = Path(path).name[:200]
    skipped, examples, seen, batch = Counter(), [], set(), []
    summary = {"rows": 0, "imported": 0, "already_imported": 0, "one_end_unknown": 0}
    for line, values in enumerate(reader, start=2):
        if not any(values):
            continue
        summary["rows"] += 1
        row = {field: _clean(value) for field, value in zip(fields, values, strict=False) if field}
        trip, reason = _parse(row, stations)
        if trip is not None and (trip["bike_code"], trip["rented_at"]) in seen:
            trip, reason = None, "repeated in the file"
        if trip is None:
            skipped[reason] += 1
            if len(examples) < EXAMPLES:
                examples.append({"line": line, "reason": reason})
            continue
        seen.add((trip["bike_code"], trip["rented_at"]))
        summary["one_end_unknown"] += trip["rent_station_id"] is None or trip["return_station_id"] is None
        batch.append({**trip, "source": source})
        if len(batch) == BATCH:
            _store(batch, summary)
            batch = []
    if batch:
        _store(batch, summary)
    db.session.commit()
    return {**summary, "skipped": dict(skipped), "skipped_examples": examples}


def _store(batch: list[dict], summary: dict) -> None:
    statement = (
        insert_on_conflict(Trip)
        .values(batch)
        .on_conflict_do_nothing(index_elements=["bike_code", "rented_at"])
        .returning(Trip.rent_station_id, Trip.rented_at, Trip.return_station_id, Trip.returned_at)
    )
    stored = db.session.execute(statement).all()
    summary["imported"] += len(stored)
    summary["already_imported"] += len(batch) - len(stored)
    _count_demand(stored)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _count_demand(stored) -> None:
    """Add the new trips' rentals and returns to the station-hour records, in one upsert."""
    counts: dict[tuple, list[int]] = {}
    for rent_station, rented_at, return_station, returned_at in stored:
        if rent_station is not None:
            counts.setdefault((rent_station, _hour(rented_at)), [0, 0])[0] += 1
        if return_station is not None:
            counts.setdefault((return_station, _hour(returned_at)), [0, 0])[1] += 1
    if not counts:
        return
    rows = [
        {"station_id": s, "hour_start": h, "rentals": r, "returns": t, "empty_minutes": 0.0, "full_minutes": 0.0}
        for (s, h), (r, t) in counts.items()
    ]
    statement = insert_on_conflict(StationHourStat).values(rows)
    table = StationHourStat.__table__
    statement = statement.on_conflict_do_update(
        index_elements=["station_id", "hour_start"],
        set_={name: table.c[name] + statement.excluded[name] for name in ("rentals", "returns")},
    )
    db.session.execute(statement)
