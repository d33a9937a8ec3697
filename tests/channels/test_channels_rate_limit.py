"""The token bucket: a burst waits its turn, a long wait is handed back, Retry-After pauses."""

import asyncio

from channels.rate_limit import TokenBucket


class Clock:
    """Time that moves only when the test says so (the bucket takes its clock as a parameter)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def reserve_all(bucket: TokenBucket, n: int, max_wait: float) -> list[float]:
    """What n callers arriving at once would wait (the bucket sleeps that long, really)."""
    waits = []
    for _ in range(n):
        wait = bucket._reserve()
        if wait > max_wait:
            bucket._tokens += 1
        waits.append(wait)
    return waits


def test_a_burst_is_spread_at_the_rate_after_one_seconds_worth() -> None:
    clock = Clock()
    bucket = TokenBucket(5, clock=clock)
    waits = reserve_all(bucket, 10, max_wait=10)
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert [round(w, 3) for w in waits[5:]] == [0.2, 0.4, 0.6, 0.8, 1.0]


def test_tokens_come_back_with_time_up_to_capacity() -> None:
    clock = Clock()
    bucket = TokenBucket(2, clock=clock)
    reserve_all(bucket, 2, max_wait=10)
    clock.now += 0.5
    assert reserve_all(bucket, 2, max_wait=10) == [0, 0.5]
    clock.now += 60
    assert reserve_all(bucket, 3, max_wait=10) == [0, 0, 0.5]  # capacity 2, not 120


async def test_a_wait_beyond_the_limit_takes_nothing_and_says_how_long() -> None:
    clock = Clock()
    bucket = TokenBucket(0.5, clock=clock)  # one every two seconds, capacity one
    assert await bucket.acquire(max_wait=1) == 0.0
    assert await bucket.acquire(max_wait=1) == 2.0  # handed back, not taken
    clock.now += 2
    assert await bucket.acquire(max_wait=1) == 0.0


def test_a_pause_holds_everyone_until_retry_after() -> None:
    clock = Clock()
    bucket = TokenBucket(10, clock=clock)
    bucket.pause(3)
    waits = reserve_all(bucket, 3, max_wait=10)
    assert [round(w, 2) for w in waits] == [3.0, 3.1, 3.2]


async def test_waiters_really_sleep_their_turn() -> None:
    bucket = TokenBucket(20)  # the real clock
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(*(bucket.acquire(max_wait=5) for _ in range(30)))
    assert loop.time() - start >= 0.45  # 20 at once, then 10 more at 20 per second
