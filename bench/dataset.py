"""The city-scale data set, loaded in bulk inside an app context with the app's own code.

Citizens go in with PostgreSQL COPY and ONE argon2 hash (of a known password) shared by all of
them: hashing 300,000 passwords at the production cost would take hours and measure nothing. The
stations and fleet come from the bike share's own import service; cards are encrypted with the
app's SecretBox, exactly as the card service stores them.
"""

import hashlib
import hmac
import random
import time
import uuid
from datetime import date, timedelta

from sqlalchemy import text

from core.db import db, utcnow
from core.districts import DISTRICTS
from core.security import hash_password

PASSWORD = "bench-password-2026"
EMAIL = "citizen{}@bench.seoul.kr"
FAMILY_NAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN_SYLLABLES = "민서준지현우도윤하은수영재연유진아예성호"


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
    """COPY rows into a table over the app's own database connection."""
    with db.engine.begin() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _reset_sequence(table: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def load_citizens(count: int, *, seed: int = 1) -> float:
    """`count` citizens with ids 1..count and emails EMAIL.format(id); returns seconds spent."""
    started = time.perf_counter()
    password_hash = hash_password(PASSWORD)
    rng = random.Random(seed)
    districts = list(DISTRICTS)
    now = utcnow()

    def users():
        for user_id in range(1, count + 1):
            name = rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_SYLLABLES) + rng.choice(GIVEN_SYLLABLES)
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 66))
            yield user_id, EMAIL.format(user_id), password_hash, name, born, rng.choice(districts), now

    _copy("users", ("id", "email", "password_hash", "name", "birth_date", "district", "created_at"), users())
    _copy("user_roles", ("user_id", "role"), ((user_id, "citizen") for user_id in range(1, count + 1)))
    _reset_sequence("users")
    return time.perf_counter() - started


def setup_city(bike_target: int) -> dict:
    """Stations and fleet through the bike share's service, topped up to `bike_target` bikes."""
    from bikeshare.stations import city

    started = time.perf_counter()
    city.setup_city()
    with db.engine.begin() as conn:
        stations = conn.execute(text("SELECT count(*) FROM stations")).scalar()
        bikes = conn.execute(text("SELECT count(*) FROM bikes")).scalar()
        missing = max(0, bike_target - bikes)
        if missing:
            # Extra bikes go where docks are free, a few per station, counters kept in step.
            conn.execute(
                text(
                    """
                    WITH room AS (
                        SELECT id, generate_series(1, GREATEST(docks - bikes_parked, 0) + 2) AS slot
                        FROM stations WHERE active
                    ), picked AS (
                        SELECT id, row_number() OVER (ORDER BY slot, id) AS n FROM room
                    )
                    INSERT INTO bikes (id, kind, status, station_id, last_moved_at, needs_repair)
                    SELECT 'BNC-' || lpad(n::text, 5, '0'), 'standard', 'available', id, now(), false
                    FROM picked WHERE n <= :missing
                    """
                ),
                {"missing": missing},
            )
            conn.execute(
                text(
                    """
                    UPDATE stations s SET bikes_parked = c.parked, bikes_available = c.parked
                    FROM (SELECT station_id, count(*) AS parked FROM bikes
                          WHERE status = 'available' GROUP BY station_id) c
                    WHERE s.id = c.station_id
                    """
                )
            )
        bikes = conn.execute(text("SELECT count(*) FROM bikes")).scalar()
    return {"stations": stations, "bikes": bikes, "seconds": time.perf_counter() - started}


def access_tokens(user_ids) -> list[str]:
    """Access tokens as a login would issue them (one token family each), without the password hash cost."""
    from flask_jwt_extended import create_access_token

    return [create_access_token(identity=str(uid), additional_claims={"fam": str(uuid.uuid4())}) for uid in user_ids]


def card_secret(seed: bytes, index: int) -> bytes:
    """The enrolment secret of bench card `index`, derivable again without storing it."""
    return hmac.new(seed, f"card:{index}".encode(), hashlib.sha1).digest()
