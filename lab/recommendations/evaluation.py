"""Time-ordered evaluation: rank for each customer from the baskets before a date, score against
the products new to them they bought after it; baselines measured in the same run."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import numpy as np
import pandas as pd

from recommendations.history import Purchase
from recommendations.model import ModelSlice
from recommendations.picks import choose_picks
from recommendations.ranker import score_new_items

Recommender = Callable[[str, Sequence[Purchase], set[str]], list[str]]


@dataclass(frozen=True)
class Split:
    histories: dict[str, list[Purchase]]
    bought: dict[str, set[str]]
    targets: dict[str, set[str]]  # products new to the customer, bought in the test period
    train: pd.DataFrame


def time_split(frame: pd.DataFrame, cut: str, end: str) -> Split:
    train = frame[frame["timestamp"] < cut]
    test = frame[(frame["timestamp"] >= cut) & (frame["timestamp"] < end)]
    histories = purchases_by_customer(train)
    bought = {c: {p.product_id for p in h} for c, h in histories.items()}
    targets = {}
    for customer, products in test.groupby("customer_id")["product_id"]:
        if customer in bought:
            new = set(products) - bought[customer]
            if new:
                targets[customer] = new
    return Split(histories, bought, targets, train)


def purchases_by_customer(frame: pd.DataFrame) -> dict[str, list[Purchase]]:
    columns = ["customer_id", "product_id", "category", "product_type", "timestamp"]
    histories: dict[str, list[Purchase]] = {}
    for customer, pid, category, family, at in frame[columns].itertuples(index=False):
        histories.setdefault(customer, []).append(
            Purchase(pid, category, family, at.to_pydatetime().replace(tzinfo=UTC))
        )
    return histories


@dataclass(frozen=True)
class Outcomes:
    """What a ranker's top k scored, per customer with new products in the test (split order)."""

    hit5: np.ndarray  # 1.0 when one of the first 5 was bought new
    hit10: np.ndarray
    precision: np.ndarray  # hits / k
    ndcg: np.ndarray
    shown: frozenset[str]  # every product in some top k

    def summary(self) -> dict[str, float]:
        return {
            "customers": len(self.hit10),
            "hit_rate_at_5": float(self.hit5.mean()),
            "hit_rate_at_10": float(self.hit10.mean()),
            "precision_at_10": float(self.precision.mean()),
            "ndcg_at_10": float(self.ndcg.mean()),
            "items_shown": len(self.shown),
        }


def outcomes(split: Split, recommend: Recommender, k: int = 10) -> Outcomes:
    rows = []
    shown: set[str] = set()
    for customer, new in split.targets.items():
        picks = recommend(customer, split.histories[customer], split.bought[customer])[:k]
        shown.update(picks)
        hits = [p in new for p in picks]
        dcg = sum(1 / math.log2(rank + 2) for rank, hit in enumerate(hits) if hit)
        ideal = sum(1 / math.log2(rank + 2) for rank in range(min(len(new), k)))
        rows.append((any(hits[:5]), any(hits), sum(hits) / k, dcg / ideal))
    hit5, hit10, precision, ndcg = np.array(rows, dtype=float).reshape(-1, 4).T
    return Outcomes(hit5, hit10, precision, ndcg, frozenset(shown))


def metrics(split: Split, recommend: Recommender, k: int = 10) -> dict[str, float]:
    """Hit rate@5/@10, precision@10, NDCG@10 over customers with new products in the test."""
    return outcomes(split, recommend, k).summary()


def ratio_interval(
    model: np.ndarray, baseline: np.ndarray, *, draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95 % interval of mean(model) / mean(baseline) over the customers, by paired bootstrap
    (each draw resamples customers and scores both rankers on the same ones): how far the ratio
    could move with another sample of this many customers."""
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(model), size=(draws, len(model)))
    ratios = model[drawn].mean(axis=1) / np.maximum(baseline[drawn].mean(axis=1), 1e-12)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def compare(split: Split, recommend: Recommender) -> dict[str, Any]:
    """A ranker's figures beside both baselines' on the same split, its ratios to the better
    baseline and their 95 % intervals (`ratio_interval`)."""
    scored = outcomes(split, recommend)
    against = {
        "popularity": outcomes(split, popularity_recommender(split.train)),
        "category_popularity": outcomes(split, category_popularity_recommender(split.train)),
    }
    by_hits = max(against.values(), key=lambda rows: rows.hit10.mean())
    by_precision = max(against.values(), key=lambda rows: rows.precision.mean())
    return {
        "model": scored.summary(),
        **{name: rows.summary() for name, rows in against.items()},
        "hit_ratio": float(scored.hit10.mean() / by_hits.hit10.mean()),
        "precision_ratio": float(scored.precision.mean() / by_precision.precision.mean()),
        "hit_interval": ratio_interval(scored.hit10, by_hits.hit10),
        "precision_interval": ratio_interval(scored.precision, by_precision.precision),
    }


def describe(figures: dict[str, Any]) -> str:
    """`compare`'s figures on one line."""
    model, pop, cat = figures["model"], figures["popularity"], figures["category_popularity"]
    (hit_low, hit_high), (precision_low, precision_high) = (
        figures["hit_interval"],
        figures["precision_interval"],
    )
    return (
        f"HR@5 {model['hit_rate_at_5']:.3f} HR@10 {model['hit_rate_at_10']:.3f} "
        f"P@10 {model['precision_at_10']:.4f} NDCG@10 {model['ndcg_at_10']:.4f}; popularity "
        f"{pop['hit_rate_at_10']:.3f} / {pop['precision_at_10']:.4f}; category popularity "
        f"{cat['hit_rate_at_10']:.3f} / {cat['precision_at_10']:.4f}; "
        f"{figures['hit_ratio']:.2f}x / {figures['precision_ratio']:.2f}x the better baseline "
        f"(95 % intervals, paired bootstrap over the customers: {hit_low:.2f}-{hit_high:.2f}x / "
        f"{precision_low:.2f}-{precision_high:.2f}x)"
    )


def model_recommender(model: ModelSlice) -> Recommender:
    def recommend(_customer: str, history: Sequence[Purchase], _bought: set[str]) -> list[str]:
        return [c.product_id for c in score_new_items(model, history, limit=10)]

    return recommend


def by_buyers(train: pd.DataFrame) -> list[str]:
    """Products by distinct buyers, most first: what both baselines rank by."""
    buyers = train.groupby("product_id")["customer_id"].nunique()
    return list(buyers.sort_values(ascending=False, kind="stable").index)


def popularity_recommender(train: pd.DataFrame) -> Recommender:
    """Baseline: the most-bought products (distinct buyers) the customer has not bought."""
    order = by_buyers(train)

    def recommend(_customer: str, _history: Sequence[Purchase], bought: set[str]) -> list[str]:
        return _first_new(order, bought, 10)

    return recommend


def category_popularity_recommender(train: pd.DataFrame) -> Recommender:
    """Baseline: the most-bought products within the customer's categories, then overall."""
    order = by_buyers(train)
    category = train.drop_duplicates("product_id").set_index("product_id")["category"].to_dict()

    def recommend(_customer: str, history: Sequence[Purchase], bought: set[str]) -> list[str]:
        mine = {p.category for p in history}
        picks = _first_new([p for p in order if category[p] in mine], bought, 10)
        return picks + _first_new(order, bought | set(picks), 10 - len(picks))

    return recommend


def _first_new(order: Sequence[str], bought: set[str], k: int) -> list[str]:
    picks: list[str] = []
    for product_id in order:
        if len(picks) >= k:
            break
        if product_id not in bought:
            picks.append(product_id)
    return picks


@dataclass(frozen=True)
class MessagePicks:
    """Two messages a day apart per customer, picked through the serving rules (diversity,
    exploration, the 48-hour rule) as the journeys' messages are."""

    repeated: int  # products in both of a customer's messages
    picks: int
    products: frozenset[str]  # every product some message showed


def message_picks(model: ModelSlice, split: Split, k: int = 4) -> MessagePicks:
    repeated = total = 0
    products: set[str] = set()
    for customer in split.targets:
        candidates = score_new_items(model, split.histories[customer], limit=200)
        first = choose_picks(candidates, k, seed=f"{customer}:1")
        second = choose_picks(
            candidates, k, seed=f"{customer}:2", exclude={p.product_id for p in first}
        )
        shown = [p.product_id for p in (*first, *second)]
        repeated += len(shown) - len(set(shown))
        total += len(shown)
        products.update(shown)
    return MessagePicks(repeated, total, frozenset(products))
