"""Intent scoring speed: batch rows/s on 100,000 real-looking sessions, single-score latency.

Run from the repository root: `.venv/bin/python bench/scoring_bench.py`. The batch rows are
drawn with replacement from the real UCI sessions; the single scores use customers whose
events are rebuilt from real sessions (three sessions of 3-40 views with catalog statistics,
a cart and a few orders), on the model path and on the rules path.
"""

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from cli.scoring import app
from lab.scoring.session_schema import LABEL, encode_sessions
from models.behaviour import BehaviourEvent, OrderSummary
from scoring.intent import score_customer
from scoring.model import IntentModel
from scoring.segments import scores_and_segments
from scoring.settings import ScoringSettings, repo_path

ROWS = 100_000
CUSTOMERS = 500
CALLS = 5_000
NOW = datetime(2025, 11, 20, 20, 0, tzinfo=UTC)
PAGE_TYPES = (
    ("Administrative", "administrative"),
    ("Informational", "informational"),
    ("ProductRelated", "product"),
)


def batch(model: IntentModel, frame: pd.DataFrame) -> None:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        probabilities = model.predict_matrix(encode_sessions(frame))
        scores_and_segments(probabilities)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    print(
        f"batch, in memory: {len(frame):,} rows in {best:.3f} s = {len(frame) / best:,.0f} rows/s"
    )
    with tempfile.TemporaryDirectory() as directory:
        source, target = Path(directory) / "sessions.csv", Path(directory) / "scores.csv"
        frame.to_csv(source, index=False)
        started = time.perf_counter()
        result = CliRunner().invoke(
            app, ["predict", "--input", str(source), "--output", str(target)]
        )
        elapsed = time.perf_counter() - started
        if result.exit_code != 0:
            raise SystemExit(result.output)
        print(
            f"batch, predict CLI (load model, read CSV, score, write CSV): {len(frame):,} rows "
            f"in {elapsed:.2f} s = {len(frame) / elapsed:,.0f} rows/s"
        )


def customer(
    rows: pd.DataFrame, rng: random.Random
) -> tuple[list[BehaviourEvent], list[OrderSummary]]:
    events = []
    for number, (_, row) in enumerate(rows.iterrows()):
        at = NOW - timedelta(days=2 * (len(rows) - number), minutes=rng.randint(0, 60))
        stats = {
            "page_value": float(row["PageValues"]),
            "bounce_rate": float(row["BounceRates"]),
            "exit_rate": float(row["ExitRates"]),
        }
        for column, page_type in PAGE_TYPES:
            for _ in range(int(row[column])):
                events.append(
                    BehaviourEvent(
                        type="page_viewed",
                        occurred_at=at,
                        properties=stats | {"page_type": page_type},
                    )
                )
                at += timedelta(seconds=rng.randint(5, 120))
        events.append(BehaviourEvent(type="session_ended", occurred_at=at))
    events.append(
        BehaviourEvent(
            type="cart_updated",
            occurred_at=at - timedelta(minutes=1),
            properties={"items": [{"sku": "a", "quantity": rng.randint(1, 3)}]},
        )
    )
    orders = [
        OrderSummary(
            paid_at=NOW - timedelta(days=rng.randint(10, 400)), amount=rng.uniform(20, 300)
        )
        for _ in range(rng.randint(0, 4))
    ]
    return events, orders


def latency(model: IntentModel, sessions: pd.DataFrame, settings: ScoringSettings) -> None:
    rng = random.Random(5)
    views = sessions[["Administrative", "Informational", "ProductRelated"]].sum(axis=1)
    usable = sessions[views.between(3, 40) & sessions.notna().all(axis=1)]
    customers = [
        customer(usable.sample(n=3, random_state=rng.randint(0, 2**31)), rng)
        for _ in range(CUSTOMERS)
    ]
    events_per_customer = np.mean([len(events) for events, _ in customers])
    for label, scoring_model in (("model path", model), ("rules path", None)):
        timings = []
        for call in range(CALLS):
            events, orders = customers[call % CUSTOMERS]
            started = time.perf_counter()
            score_customer(events, orders, NOW, scoring_model, settings)
            timings.append(time.perf_counter() - started)
        p50, p99 = np.percentile(np.array(timings) * 1e6, [50, 99])
        print(
            f"score_customer, {label}: p50 {p50:.0f} us, p99 {p99:.0f} us "
            f"({CALLS:,} calls, {events_per_customer:.0f} events per customer)"
        )


def main() -> None:
    settings = ScoringSettings()
    model = IntentModel.load(repo_path(settings.model_path))
    sessions = pd.read_csv(repo_path(settings.data_path))
    frame = sessions.drop(columns=[LABEL]).sample(n=ROWS, replace=True, random_state=1)
    print(f"model {model.version}; {len(sessions):,} real sessions resampled to {ROWS:,} rows")
    batch(model, frame.reset_index(drop=True))
    latency(model, sessions, settings)


if __name__ == "__main__":
    main()
