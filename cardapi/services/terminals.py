"""Facilities, their terminals and terminal authentication.

A terminal authenticates with its API key. The key is 256 random bits, so a plain SHA-256 of it
is a safe and fast lookup key. Every request makes one Redis call that both counts the terminal's
rate limit and reads the cached terminal (its facility, district and benefit rules); a verification
runs its card guard in that same call (see `gate`). The database is read only on a cache miss.
Revoking a terminal or deactivating its facility writes a tombstone over the cache entry, and
refills use SET NX, so a refill that read the old row cannot resurrect it. A quarantined terminal (wrong
codes for too many cards, see verification_guard) is cached as such and refused with 403 until an
administrator releases it.
"""

import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from cardapi.models import Facility, Terminal
from cardapi.services.scripts import script
from core import audit
from core.db import db, utcnow
from core.errors import Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthenticated
from core.problems import Message
from core.redis import get_redis

KEY_PREFIX = "sct_"
TOMBSTONE = "0"
QUARANTINED = "Q"
TOUCH_SECONDS = 60  # last_used_at is written at most once a minute per terminal
TOUCH_KEY = "cardapi:terminal-touch:"

# KEYS: rate counter, cached terminal. ARGV: count (1; 0 re-reads the count after a cache refill),
# limit, window seconds, touch key prefix, touch seconds. Leaves n, cached, touch and live (a terminal,
# not a tombstone, within its limit) in locals, so a caller's script can go on in the same call.
GATE = """
local n
if ARGV[1] == '1' then
  n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
else
  n = tonumber(redis.call('GET', KEYS[1]) or '0')
end
local cached, touch, live = false, 0, false
if n <= tonumber(ARGV[2]) then
  cached = redis.call('GET', KEYS[2])
  local terminal_id = cached and string.match(cached, '^(%d+)|')
  if terminal_id then
    live = true
    if redis.call('SET', ARGV[4] .. terminal_id, '1', 'NX', 'EX', ARGV[5]) then touch = 1 end
  end
end
"""
_GATE_ONLY = GATE + "return {n, cached or '', touch}"


@dataclass(frozen=True)
class TerminalContext:
    terminal_id: int
    facility_id: int
    district: str
    benefit_rules: list
    touch: bool  # last_used_at is due for an update


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def _cache_key(key_hash: str) -> str:
    return f"cardapi:terminal:{key_hash}"


def failed_cards_key(key_hash: str) -> str:
    """The card numbers this terminal sent wrong codes for recently (a sorted set by time)."""
    return f"cardapi:terminal-failed-cards:{key_hash}"


def require_key(api_key: str | None) -> str:
    if not api_key:
        raise Unauthenticated(Message("terminals.key_missing"), slug="terminal-key-missing")
    return api_key


def authenticate_terminal(api_key: str | None) -> TerminalContext:
    """The terminal holding this key, after counting the request against its rate limit."""
    return gate(hash_key(require_key(api_key)))[0]


def gate(key_hash: str, source: str = _GATE_ONLY, keys: list = (), args: list = ()) -> tuple[TerminalContext, list]:
    """Authenticate the terminal and count its rate limit in ONE Redis script call.

    `source` may be GATE followed by more Lua (which sees `keys` and `args` after the gate's own);
    its results after the gate's three come back as the list, empty if the gate refused.
    """
    config = current_app.config
    limit, window = config["CARDAPI_TERMINAL_RATE_LIMIT"], config["CARDAPI_TERMINAL_RATE_WINDOW_SECONDS"]
    window_index = int(time.time() // window)
    run = script(source)
    all_keys = [f"cardapi:terminal-rate:{key_hash}:{window_index}", _cache_key(key_hash), *keys]
    count, cached, touch, *more = run(keys=all_keys, args=[1, limit, window, TOUCH_KEY, TOUCH_SECONDS, *args])
    if count > limit:
        retry_after = max(1, int((window_index + 1) * window - time.time()))
        raise TooManyRequests(
            Message("terminals.rate_limited"),
            slug="terminal-rate-limited",
            headers={"Retry-After": str(retry_after)},
        )
    if not cached:
        cached, touch = _load_terminal(key_hash), True
        if cached not in (TOMBSTONE, QUARANTINED) and source != _GATE_ONLY:  # now cached, the rest can run
            _, cached, _, *more = run(keys=all_keys, args=[0, limit, window, TOUCH_KEY, TOUCH_SECONDS, *args])
    if cached == TOMBSTONE:
        raise Unauthenticated(Message("terminals.key_invalid"), slug="terminal-key-invalid")
    if cached == QUARANTINED:
        raise Forbidden(
            Message("terminals.quarantined"),
            slug="terminal-quarantined",
        )
    terminal_id, _, body = cached.partition("|")
    facility = json.loads(body)
    return TerminalContext(int(terminal_id), facility["id"], facility["district"], facility["rules"], bool(touch)), more


def _load_terminal(key_hash: str) -> str:
    row = db.session.execute(
        select(
            Terminal.id,
            Terminal.revoked_at,
            Facility.id,
            Facility.active,
            Facility.district,
            Facility.benefit_rules,
            Terminal.quarantined_at,
        )
        .join(Facility, Facility.id == Terminal.facility_id)
        .where(Terminal.key_hash == key_hash)
    ).one_or_none()
    if row is None or row[1] is not None or not row[3]:
        value = TOMBSTONE
    elif row[6] is not None:
        value = QUARANTINED
    else:
        value = f"{row[0]}|" + json.dumps({"id": row[2], "district": row[4], "rules": row[5]}, ensure_ascii=False)
    with get_redis().pipeline(transaction=False) as pipe:
        pipe.set(_cache_key(key_hash), value, nx=True, ex=current_app.config["CARDAPI_TERMINAL_CACHE_SECONDS"])
        if value not in (TOMBSTONE, QUARANTINED):  # the caller records this use; the next minute's hits need not
            pipe.set(f"{TOUCH_KEY}{row[0]}", "1", ex=TOUCH_SECONDS)
        pipe.execute()
    return value


def touch_terminal(terminal: TerminalContext) -> None:
    """Record the terminal's last use in the caller's unit of work (at most once a minute)."""
    if terminal.touch:
        db.session.execute(update(Terminal).where(Terminal.id == terminal.terminal_id).values(last_used_at=utcnow()))


def _forget(key_hashes: list[str], *, marker: str | None) -> None:
    """Drop the cached terminals, or overwrite them with a marker (TOMBSTONE, QUARANTINED) no refill replaces."""
    if not key_hashes:
        return
    redis = get_redis()
    if marker is not None:
        ttl = current_app.config["CARDAPI_TERMINAL_CACHE_SECONDS"]
        with redis.pipeline(transaction=False) as pipe:
            for key_hash in key_hashes:
                pipe.set(_cache_key(key_hash), marker, ex=ttl)
            pipe.execute()
    else:
        redis.delete(*(_cache_key(key_hash) for key_hash in key_hashes))


def create_facility(*, actor_id: int, name: str, kind: str, district: str, benefit_rules: list[dict]) -> Facility:
    """Register a facility with its discount rules."""
    _one_rule_per_category(benefit_rules)
    facility = Facility(name=name, kind=kind, district=district, benefit_rules=benefit_rules, active=True)
    db.session.add(facility)
    db.session.flush()
    audit.record("facility_created", actor_id=actor_id, subject=f"facility:{facility.id}")
    db.session.commit()
    return facility


def _one_rule_per_category(benefit_rules: list[dict]) -> None:
    """One rule per category and scope: two would contradict each other (a residents-only rule beside one
    for everybody is a tier, and allowed)."""
    scopes = [(rule["category"], bool(rule.get("residents_only"))) for rule in benefit_rules]
    repeated = sorted({category for category, residents_only in scopes if scopes.count((category, residents_only)) > 1})
    if repeated:
        raise InvalidInput(
            Message("facilities.duplicate_benefit_rule", categories=", ".join(repeated)),
            slug="duplicate-benefit-rule",
        )


def list_facilities() -> list[Facility]:
    return list(db.session.scalars(select(Facility).order_by(Facility.id)))


def get_facility(facility_id: int) -> Facility:
    facility = db.session.get(Facility, facility_id)
    if facility is None:
        raise NotFound(Message("facilities.not_found", facility=facility_id), slug="facility-not-found")
    return facility


def update_facility(*, actor_id: int, facility_id: int, changes: dict) -> Facility:
    """Change a facility; deactivating it shuts out its terminals at once."""
    facility = get_facility(facility_id)
    _one_rule_per_category(changes.get("benefit_rules", []))
    for name, value in changes.items():
        setattr(facility, name, value)
    audit.record("facility_updated", actor_id=actor_id, subject=f"facility:{facility.id}", fields=sorted(changes))
    key_hashes = list(db.session.scalars(select(Terminal.key_hash).where(Terminal.facility_id == facility.id)))
    db.session.commit()
    _forget(key_hashes, marker=None if facility.active else TOMBSTONE)
    return facility


def create_terminal(*, actor_id: int, facility_id: int, name: str) -> Terminal:
    """A new terminal carrying its API key in `api_key`: returned this once, stored only as a hash."""
    facility = get_facility(facility_id)
    api_key = KEY_PREFIX + secrets.token_urlsafe(32)
    terminal = Terminal(facility_id=facility.id, name=name, key_hash=hash_key(api_key), key_prefix=api_key[:12])
    db.session.add(terminal)
    db.session.flush()
    audit.record("terminal_created", actor_id=actor_id, subject=f"terminal:{terminal.id}", facility_id=facility.id)
    db.session.commit()
    terminal.api_key = api_key  # a plain attribute, not a column: it never reaches the database
    return terminal


def list_terminals(*, facility_id: int) -> list[Terminal]:
    get_facility(facility_id)
    return list(db.session.scalars(select(Terminal).where(Terminal.facility_id == facility_id).order_by(Terminal.id)))


def revoke_terminal(*, actor_id: int, facility_id: int, terminal_id: int) -> None:
    """Revoke a terminal's key; every instance refuses it from now on."""
    terminal = db.session.get(Terminal, terminal_id)
    if terminal is None or terminal.facility_id != facility_id:
        raise NotFound(
            Message("terminals.not_at_facility", terminal=terminal_id, facility=facility_id), slug="terminal-not-found"
        )
    if terminal.revoked_at is None:
        terminal.revoked_at = utcnow()
        audit.record("terminal_revoked", actor_id=actor_id, subject=f"terminal:{terminal.id}")
    key_hash = terminal.key_hash
    db.session.commit()
    _forget([key_hash], marker=TOMBSTONE)


def quarantine(terminal: TerminalContext) -> None:
    """Shut out a terminal that sent wrong codes for too many cards until an administrator releases it."""
    quarantined = db.session.execute(
        update(Terminal)
        .where(Terminal.id == terminal.terminal_id, Terminal.quarantined_at.is_(None))
        .values(quarantined_at=utcnow())
        .returning(Terminal.key_hash)
    ).scalar()
    if quarantined is None:  # another request got there first
        return
    audit.record("terminal_quarantined", subject=f"terminal:{terminal.terminal_id}", facility_id=terminal.facility_id)
    db.session.commit()
    _forget([quarantined], marker=QUARANTINED)


def quarantined_terminals() -> list[Terminal]:
    return list(db.session.scalars(select(Terminal).where(Terminal.quarantined_at.is_not(None)).order_by(Terminal.id)))


def release_terminal(*, actor_id: int, terminal_id: int) -> Terminal:
    """Let a quarantined terminal's key work again (after review), with a clean slate of failed cards."""
    terminal = db.session.get(Terminal, terminal_id, with_for_update=True)
    if terminal is None:
        raise NotFound(Message("terminals.not_found", terminal=terminal_id), slug="terminal-not-found")
    if terminal.quarantined_at is not None:
        terminal.quarantined_at = None
        audit.record("terminal_released", actor_id=actor_id, subject=f"terminal:{terminal.id}")
    key_hash = terminal.key_hash
    db.session.commit()
    get_redis().delete(failed_cards_key(key_hash))
    _forget([key_hash], marker=None)
    return terminal
