"""Per-provider send rates inside one worker process: an async token bucket.

A burst of journeys waking at once queues up behind the bucket instead of tripping the
provider's quota; a 429 with Retry-After pauses the whole bucket, not just the one message.
Tokens may go negative: each waiter reserves its slot, so waiters are served in arrival order.
The rate is per worker process: with N workers the provider sees up to N times the setting.
"""

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate_per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.rate = rate_per_second
        self.capacity = max(1.0, rate_per_second)  # at most one second's worth at once
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()  # tokens accrue from here on; in the future while paused

    async def acquire(self, max_wait: float) -> float:
        """Take a token, sleeping for it if it comes within `max_wait` seconds; returns 0.0.

        When it would take longer, nothing is taken and the wait is returned, so the caller can
        come back later (a retry with that delay) rather than hold a worker slot.
        """
        wait = self._reserve()
        if wait > max_wait:
            self._tokens += 1  # give the reservation back: no await since it was made
            return wait
        if wait > 0:
            await asyncio.sleep(wait)
        return 0.0

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (the provider said Retry-After)."""
        now = self._clock()
        self._refill(now)
        self._updated = max(self._updated, now + seconds)
        self._tokens = min(self._tokens, 1.0)

    def _reserve(self) -> float:
        now = self._clock()
        self._refill(now)
        self._tokens -= 1
        return max(0.0, self._updated - now) + max(0.0, -self._tokens / self.rate)

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
