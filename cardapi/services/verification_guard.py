"""The Redis half of a verification: one Lua script decides, atomically, what a presented code gets.

It runs after the terminal gate (terminals.GATE) in the same script call, and holds every rule about
steps, repeated scans and guessing:
- a wrong SCC1 code counts against the (card, terminal) pair only: back-off (checked BEFORE counting),
  then a lock of that pair, until a code is accepted at that terminal or the citizen unlocks;
- the terminal's wrong codes are remembered by card number, so a terminal trying many cards is
  quarantined (the caller records it);
- a genuine code is never a failure: accepted once for a step later than the last accepted one; the same
  code again at the same terminal is a duplicate of that acceptance, elsewhere it is replayed;
- SCC2 codes cannot be guessed (a signature), so their failures neither count nor back off nor lock;
  they are only counted per terminal per day, in the same call (an unreadable one too: `count_unreadable`).
Counters are keyed by card NUMBER, not by card row, so an unknown number behaves exactly like a real
card with a wrong code: a terminal cannot tell them apart.
"""

import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from cardapi.models import Terminal
from cardapi.services import terminals
from cardapi.services.terminals import GATE, TerminalContext
from core.redis import get_redis
from core.timezones import SEOUL

LAST_STEP_TTL_STEPS = 4  # past ±1 step the guard is moot, and the database still holds the step
FAILURES_TTL_SECONDS = 400 * 86400  # a pair's lock outlives a year: the README's bound assumes it
SCC2_FAILURES_PREFIX = "cardapi:terminal-scc2-failures:"  # + terminal id + ":" + the Seoul day (`failure_day`)
SCC2_FAILURES_TTL_SECONDS = 86400

# After the gate, for a live terminal: count an SCC2 failure of that terminal today (prefix, day and TTL given).
_COUNT_SCC2_FAILURE = """
local function count_scc2_failure(prefix, day, ttl)
  local key = prefix .. string.match(cached, '^(%d+)|') .. ':' .. day
  redis.call('INCR', key)
  redis.call('EXPIRE', key, ttl)
end
"""
# ARGV 6-8: SCC2 failures prefix, day, TTL.
_UNREADABLE = (
    GATE
    + _COUNT_SCC2_FAILURE
    + """
if live then count_scc2_failure(ARGV[6], ARGV[7], ARGV[8]) end
return {n, cached or '', touch}
"""
)

# KEYS 3-7: last accepted step, last acceptance ("step|terminal"), failures per terminal (hash),
#           back-off deadline per terminal (hash, ms), the terminal's recently failed card numbers (zset).
# ARGV 6-22: step, scheme (1 or 2), genuine, in window, last step in the database, now (ms), lock after,
#            back-off after, back-off cap (ms), failures TTL (s), last-step TTL (s), card number,
#            quarantine after (cards), quarantine window (ms), SCC2 failures prefix, day, TTL (s).
_SCRIPT = (
    GATE
    + _COUNT_SCC2_FAILURE
    + """
if not live or #KEYS < 7 then return {n, cached or '', touch} end
local K = {unpack(KEYS, 3)}
local A = {unpack(ARGV, 6)}
local terminal = string.match(cached, '^(%d+)|')
local function guard()
  local step, now, scc1 = tonumber(A[1]), tonumber(A[6]), A[2] == '1'
  local fails = tonumber(redis.call('HGET', K[3], terminal) or '0')
  if scc1 then
    if fails >= tonumber(A[7]) then return {'locked', fails, 0, 0, 1} end
    local deadline = tonumber(redis.call('HGET', K[4], terminal) or '0')
    if now < deadline then return {'backoff', fails, deadline - now, 0, 1} end
  end
  if A[3] ~= '1' then
    if not scc1 then
      count_scc2_failure(A[15], A[16], A[17])
      return {'invalid', fails, 0, 0}
    end
    fails = redis.call('HINCRBY', K[3], terminal, 1)
    redis.call('EXPIRE', K[3], A[10])
    local window = tonumber(A[14])
    redis.call('ZADD', K[5], now, A[12])
    redis.call('ZREMRANGEBYSCORE', K[5], '-inf', now - window)
    redis.call('PEXPIRE', K[5], window)
    local quarantine = redis.call('ZCARD', K[5]) >= tonumber(A[13]) and 1 or 0
    if fails >= tonumber(A[7]) then return {'locked', fails, 0, quarantine} end
    local over, delay = fails - tonumber(A[8]), 0
    if over >= 0 then
      delay = math.min(1000 * 2 ^ over, tonumber(A[9]))
      redis.call('HSET', K[4], terminal, string.format('%.0f', now + delay))
      redis.call('EXPIRE', K[4], A[10])
    end
    return {'invalid', fails, delay, quarantine}
  end
  if A[4] ~= '1' then
    if not scc1 then count_scc2_failure(A[15], A[16], A[17]) end
    return {'invalid', fails, 0, 0}
  end
  local last = tonumber(redis.call('GET', K[1]) or '-1')
  if tonumber(A[5]) > last then last = tonumber(A[5]) end
  local scan = A[1] .. '|' .. terminal
  if step > last then
    redis.call('SET', K[1], A[1], 'EX', A[11])
    redis.call('SET', K[2], scan, 'EX', A[11])
    redis.call('HDEL', K[3], terminal)
    redis.call('HDEL', K[4], terminal)
    return {'accepted', 0, 0, 0}
  end
  if redis.call('GET', K[2]) == scan then return {'duplicate', fails, 0, 0} end
  return {'replayed', fails, 0, 0}
end
local verdict, fails, wait, quarantine, held = unpack(guard())
return {n, cached, touch, verdict, fails, wait, quarantine, held or 0}
"""
)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # accepted, duplicate, replayed, invalid, backoff, locked
    failures: int  # the pair's SCC1 failures
    wait_ms: int  # back-off left (or just set)
    quarantine: bool  # this failure took the terminal over the quarantine limit
    held_off: bool  # refused by the pair's back-off or lock before anything was looked at or counted


def card_keys(card_number: str) -> tuple[str, str, str, str]:
    """The card's last accepted step, last acceptance, SCC1 failures and back-off deadlines per terminal."""
    base = f"cardapi:card:{card_number}"
    return f"{base}:last-step", f"{base}:last-scan", f"{base}:failures", f"{base}:backoff-until"


def judge(
    key_hash: str,
    *,
    card_number: str,
    step: int,
    scc1: bool,
    genuine: bool,
    in_window: bool,
    last_step: int | None,
    period: int,
    now: float,
) -> tuple[TerminalContext, Verdict]:
    """The terminal (authenticated, rate limit counted) and the verdict on this code, in one Redis call."""
    config = current_app.config
    terminal, (outcome, failures, wait_ms, quarantine, held_off) = terminals.gate(
        key_hash,
        _SCRIPT,
        keys=[*card_keys(card_number), terminals.failed_cards_key(key_hash)],
        args=[
            step,
            1 if scc1 else 2,
            int(genuine),
            int(in_window),
            -1 if last_step is None else last_step,
            int(now * 1000),
            config["CARDAPI_LOCK_AFTER_FAILURES"],
            config["CARDAPI_BACKOFF_AFTER_FAILURES"],
            config["CARDAPI_BACKOFF_MAX_SECONDS"] * 1000,
            FAILURES_TTL_SECONDS,
            period * LAST_STEP_TTL_STEPS,
            card_number,
            config["CARDAPI_QUARANTINE_AFTER_CARDS"],
            config["CARDAPI_QUARANTINE_WINDOW_SECONDS"] * 1000,
            *_scc2_failure_args(now),
        ],
    )
    return terminal, Verdict(outcome, int(failures), int(wait_ms), bool(quarantine), bool(held_off))


def count_unreadable(key_hash: str, *, now: float) -> TerminalContext:
    """The terminal (authenticated, rate limit counted) that sent an unreadable SCC2 code, counted, in one call."""
    terminal, _ = terminals.gate(key_hash, _UNREADABLE, args=_scc2_failure_args(now))
    return terminal


def terminals_with_scc2_failures(*, facility_id: int) -> list[Terminal]:
    """A facility's terminals, each with the SCC2 failures it sent today (Seoul day), read in one Redis call."""
    listed = terminals.list_terminals(facility_id=facility_id)
    day = failure_day(time.time())
    keys = [f"{SCC2_FAILURES_PREFIX}{terminal.id}:{day}" for terminal in listed]
    for terminal, count in zip(listed, get_redis().mget(keys) if keys else [], strict=True):
        terminal.scc2_failures_today = int(count or 0)  # a plain attribute, not a column
    return listed


def failure_day(now: float) -> int:
    """The day an SCC2 failure counts for: the administrators' day in Seoul (a UTC day turns at 09:00 there)."""
    return datetime.fromtimestamp(now, SEOUL).toordinal()


def _scc2_failure_args(now: float) -> list:
    return [SCC2_FAILURES_PREFIX, failure_day(now), SCC2_FAILURES_TTL_SECONDS]
