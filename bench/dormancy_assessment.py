"""Latency of one dormancy assessment (tier and reason, as a journey's facts read it).

Run on demand: .venv/bin/python bench/dormancy_assessment.py
"""

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The repository root, so the script runs whether or not the packages are installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dormancy.assessment import assess_dormancy  # noqa: E402
from dormancy.settings import DormancySettings  # noqa: E402
from dormancy.summary import ActivitySummary  # noqa: E402

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def summary(rng: random.Random, i: int) -> ActivitySummary:
    first = NOW - timedelta(days=rng.randint(200, 900))
    last = first + timedelta(days=rng.randint(0, 190))
    orders = rng.randint(1, 12)
    return ActivitySummary(
        customer_id=f"c-{i}",
        last_activity_at=last + timedelta(days=rng.randint(0, 5)),
        first_order_at=first,
        last_order_at=last,
        order_days=orders,
        orders=orders,
        coupon_orders=rng.randint(0, orders),
        price_filter_uses=rng.randint(0, 8),
        sale_page_views=rng.randint(0, 15),
        abandoned_cart_values_cny=tuple(rng.uniform(50, 500) for _ in range(rng.randint(0, 3))),
        category_page_views=rng.randint(0, 60),
        distinct_categories_viewed=rng.randint(1, 8),
        out_of_stock_hits=rng.randint(0, 4),
        support_tickets=rng.randint(0, 2),
        negative_sentiment_events=rng.randint(0, 1),
    )


def main() -> None:
    rng, settings = random.Random(0), DormancySettings()
    summaries = [summary(rng, i) for i in range(5_000)]
    timings = []
    for s in summaries:
        start = time.perf_counter()
        assess_dormancy(s, NOW, settings)
        timings.append(time.perf_counter() - start)
    timings.sort()
    print(
        f"assess_dormancy: median {statistics.median(timings) * 1e6:.0f} us, "
        f"p99 {timings[int(len(timings) * 0.99)] * 1e6:.0f} us, "
        f"{len(timings) / sum(timings):.0f} per s over {len(timings)} customers"
    )


if __name__ == "__main__":
    main()
