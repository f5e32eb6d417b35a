"""Login throttling that slows a password guesser without locking the owner out.

Failures are counted per (account, client address): the first few are free, then each waits twice as
long as the one before, up to a maximum, so a stranger guessing from one address slows only that
address. Across all addresses an account has a generous ceiling of failures per window; past it only
addresses the owner has logged in from before may try. Every attempt also counts against its
address's own limit. While Redis is down the same delays are computed from the audit log's failed
logins, so an outage does not open the door to unlimited guessing.
"""

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy import func, select, text

from core.audit import ONLY_LOGIN_FAILURES, AuditEvent
from core.db import db, utcnow
from core.errors import TooManyRequests
from core.problems import Message
from core.ratelimits import Limit, account_subject
from core.redis import get_redis

log = logging.getLogger(__name__)


def login_audit_subject(email: str) -> str:
    """The audit log's subject for a login attempt (the column holds 100 characters)."""
    return f"email:{email}"[:100]


@dataclass(frozen=True)
class LoginThrottle:
    free_failures: int
    first_delay: int
    max_delay: int
    memory_seconds: int
    known_address_seconds: int
    per_address: Limit
    per_account: Limit

    @classmethod
    def from_config(cls) -> "LoginThrottle":
        config = current_app.config
        return cls(
            free_failures=config["LOGIN_FREE_FAILURES"],
            first_delay=config["LOGIN_FIRST_DELAY_SECONDS"],
            max_delay=config["LOGIN_DELAY_MAX_SECONDS"],
            memory_seconds=config["LOGIN_FAILURE_MEMORY_SECONDS"],
            known_address_seconds=config["LOGIN_KNOWN_ADDRESS_SECONDS"],
            per_address=Limit(
                "login-address",
                config["LOGIN_LIMIT_PER_ADDRESS"],
                config["LOGIN_ADDRESS_WINDOW_SECONDS"],
                Message("limits.login_address"),
            ),
            per_account=Limit(
                "login-account",
                config["LOGIN_FAILURES_PER_ACCOUNT"],
                config["LOGIN_FAILURE_WINDOW_SECONDS"],
                Message("limits.login_account"),
            ),
        )

    def delay_after(self, failures: int) -> int:
        """Seconds the pair waits after its `failures`-th failure: 0 while free, then doubling from the first."""
        excess = failures - self.free_failures
        return 0 if excess <= 0 else min(self.max_delay, self.first_delay * 2 ** min(excess - 1, 30))

    def check(self, *, email: str, address: str) -> None:
        """Count the attempt against its address; 429 while the pair waits or the account is over its ceiling."""
        try:
            self._check_in_redis(account_subject(email), address)
        except redis.exceptions.RedisError:
            log.warning("redis unavailable: login throttled from the audit log")
            self._check_in_database(email, address)

    def failed(self, *, email: str, address: str) -> None:
        """Remember a failure (the caller's audit row is what the database fallback counts)."""
        account = account_subject(email)
        try:
            key = _failures_key(account, address)
            with get_redis().pipeline(transaction=False) as pipe:
                failures = pipe.incr(key).expire(key, self.memory_seconds).execute()[0]
            self.per_account.count_one(account)
            delay = self.delay_after(failures)
            if delay:
                get_redis().set(_wait_key(account, address), "1", ex=delay)
        except redis.exceptions.RedisError:
            log.warning("redis unavailable: login failure kept only in the audit log")

    def succeeded(self, *, email: str, address: str) -> None:
        """The owner is back: forget this pair's failures and know the address from now on."""
        account = account_subject(email)
        try:
            with get_redis().pipeline(transaction=False) as pipe:
                pipe.delete(_failures_key(account, address), _wait_key(account, address))
                pipe.set(_known_key(account, address), "1", ex=self.known_address_seconds)
                pipe.execute()
        except redis.exceptions.RedisError:
            log.warning("redis unavailable: login success not remembered for throttling")

    def _check_in_redis(self, account: str, address: str) -> None:
        self.per_address.hit(address)
        ceiling_key, ceiling_retry_after = self.per_account.window(account)
        with get_redis().pipeline(transaction=False) as pipe:
            waiting_ms, account_failures, known = (
                pipe.pttl(_wait_key(account, address)).get(ceiling_key).exists(_known_key(account, address)).execute()
            )
        if waiting_ms > 0:
            raise _wait(math.ceil(waiting_ms / 1000))
        if int(account_failures or 0) >= self.per_account.count and not known:
            raise self.per_account.refuse(ceiling_retry_after)

    def _check_in_database(self, email: str, address: str) -> None:
        now = utcnow()
        window_start = now - timedelta(seconds=self.per_account.seconds)
        failures = select(AuditEvent).where(
            text(ONLY_LOGIN_FAILURES),  # as written, so the planner matches the partial index's condition
            AuditEvent.subject == login_audit_subject(email),
            AuditEvent.at > window_start,
        )
        from_here = failures.where(AuditEvent.client_address == address).subquery()
        pair_failures, last_failure = db.session.execute(
            select(func.count(), func.max(from_here.c.at)).select_from(from_here)
        ).one()
        delay = self.delay_after(pair_failures)
        if delay and last_failure + timedelta(seconds=delay) > now:
            raise _wait(math.ceil((last_failure + timedelta(seconds=delay) - now).total_seconds()))
        account_failures = db.session.scalar(select(func.count()).select_from(failures.subquery()))
        if account_failures >= self.per_account.count:
            raise self.per_account.refuse(self.per_account.seconds)


def _wait(seconds: int) -> TooManyRequests:
    return TooManyRequests(
        Message("limits.login_delayed"),
        slug="login-delayed",
        headers={"Retry-After": str(max(1, seconds))},
    )


def _failures_key(account: str, address: str) -> str:
    return f"login:failures:{account}:{address}"


def _wait_key(account: str, address: str) -> str:
    return f"login:wait:{account}:{address}"


def _known_key(account: str, address: str) -> str:
    return f"login:known:{account}:{address}"
