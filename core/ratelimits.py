"""Fixed-window counters in Redis, shared by every instance: login, registration and reset limits.

A window is a Redis key per (limit, subject, window number) that expires with its window, so
nothing needs cleaning up. Terminals have their own counter inside the verification script
(cardapi.services.terminals), which costs no extra round trip.
"""

import hashlib
import time
from dataclasses import dataclass

from core.errors import TooManyRequests
from core.problems import Message
from core.redis import get_redis


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int
    detail: Message | str  # what the 429 says (never shown when only counting)

    def window(self, subject: str) -> tuple[str, int]:
        """The window's Redis key and the seconds until the next window opens."""
        now = time.time()
        index = int(now // self.seconds)
        return f"ratelimit:{self.name}:{subject}:{index}", max(1, int((index + 1) * self.seconds - now))

    def refuse(self, retry_after: int) -> TooManyRequests:
        return TooManyRequests(self.detail, slug="rate-limited", headers={"Retry-After": str(retry_after)})

    def hit(self, subject: str) -> None:
        """Count one attempt; 429 once the window holds more than `count`."""
        key, retry_after = self.window(subject)
        if self._add_one(key) > self.count:
            raise self.refuse(retry_after)

    def count_one(self, subject: str) -> None:
        """Count one event (a failed login) in the current window."""
        self._add_one(self.window(subject)[0])

    def _add_one(self, key: str) -> int:
        # The window's key is created with its expiry, then counted: one round trip, and no key lives on.
        with get_redis().pipeline(transaction=False) as pipe:
            _, count = pipe.set(key, 0, ex=self.seconds, nx=True).incr(key).execute()
        return count


def account_subject(email: str) -> str:
    """The account an attempt targets, hashed so addresses do not sit in Redis in clear."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
