"""Throughput of the budgeted allocation and latency of a single send-time offer choice.

Run on demand: .venv/bin/python bench/offers_allocation.py
"""

import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# The repository root, so the script runs whether or not the packages are installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dormancy.labels import DormancyReason, DormancyTier  # noqa: E402
from offers.allocation import BudgetUsage, Candidate, allocate, choose_offer  # noqa: E402
from offers.catalogue import load_catalogue  # noqa: E402
from offers.settings import OfferSettings  # noqa: E402
from offers.value import CustomerOfferFeatures  # noqa: E402

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def candidates(count: int, seed: int) -> list[Candidate]:
    rng = random.Random(seed)
    tiers = [DormancyTier.LIGHT, DormancyTier.MEDIUM, DormancyTier.HEAVY]
    return [
        Candidate(
            features=CustomerOfferFeatures(
                customer_id=f"c-{i}",
                tier=rng.choice(tiers),
                baseline_probability=rng.uniform(0.002, 0.03),
                uplift=rng.uniform(-0.005, 0.03),
                probability_active=rng.uniform(0.2, 1.0),
                expected_order_value_cny=rng.uniform(60, 600),
            ),
            reason=rng.choice(list(DormancyReason)),
        )
        for i in range(count)
    ]


def main() -> None:
    catalogue, settings = load_catalogue(), OfferSettings()
    for count in (1_000, 10_000, 50_000):
        batch = candidates(count, seed=count)
        start = time.perf_counter()
        allocations = allocate(batch, catalogue, settings, NOW)
        elapsed = time.perf_counter() - start
        offered = sum(1 for a in allocations if a.offer_id)
        print(
            f"allocate {count:>6} candidates: {elapsed:6.2f} s, {count / elapsed:8.0f} per s, "
            f"{offered} offered"
        )

    usage = BudgetUsage(incentive_cost_cny=1000.0, reactivations=400.0)
    singles = candidates(2_000, seed=1)
    timings = []
    for c in singles:
        start = time.perf_counter()
        choose_offer(c.features, c.reason, catalogue, settings, NOW, usage=usage)
        timings.append(time.perf_counter() - start)
    timings.sort()
    print(
        f"choose_offer: median {statistics.median(timings) * 1e6:.0f} us, "
        f"p99 {timings[int(len(timings) * 0.99)] * 1e6:.0f} us over {len(timings)} calls"
    )


if __name__ == "__main__":
    main()
