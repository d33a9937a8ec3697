"""Issue #21, third attempt (not shipped; docs/recommendations.md has the figures): sequential
adoption signals for the re-ranker, and how far any non-personal ranking could go.

    nice python -m lab.recommendations.adoption   # ~1 h on the shared 2-core machine

- **adoption transitions**: T[i, j] counts the households that bought j for the first time
  (at least 4 weeks into their history, so that January's purchases are not taken for
  adoptions) while having bought i in the 4 weeks before; a customer's score for j sums T over
  what they bought in the last 12 weeks (raw, and divided by i's buyers + 10);
- **family adoption**: the customer's adoptions in the product's type, the distinct products of
  that type they bought, the product's share of its type's buyers, and adoption growth (first
  buyers in the last 8 weeks over the 8 before);
- **candidates**: the re-ranker's (300 popular, the linked products, the top 15 of the
  customer's categories) plus their 200 best by transitions and the top 10 of each product type
  they buy. No user-kNN: it needs every household's baskets at serving time.

Protocol (settings never chosen on September-October): the re-ranker is trained on three
stacked folds (features before 1 March, 1 April, 1 May; labels the two months after each) and
scored on the July-August fold to choose the feature set, depth and objective; the chosen
setting is trained on the folds cut 1 May, 1 June, 1 July (labels up to 31 August) and tested
once on features before 1 September, labels September-October. Baselines in the same run.
The **oracle** line ranks each tuning fold by how many households newly bought each product in
its labelled months (foresight no model has): an upper bound for any non-personal ranking.
"""

import time
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import typer
import xgboost as xgb

from lab.recommendations.baskets import DEFAULT_DATA, load_baskets
from lab.recommendations.evaluation import (
    Split,
    compare,
    describe,
    time_split,
)
from lab.recommendations.fitting import FitSettings
from lab.recommendations.rerank import log

SELECTION_TRAIN = (
    ("2017-03-01", "2017-05-01"),
    ("2017-04-01", "2017-06-01"),
    ("2017-05-01", "2017-07-01"),
)
SELECTION = ("2017-07-01", "2017-09-01")
TEST_TRAIN = (
    ("2017-05-01", "2017-07-01"),
    ("2017-06-01", "2017-08-01"),
    ("2017-07-01", "2017-09-01"),
)
TEST = ("2017-09-01", "2017-11-01")
BASE = (  # the re-ranker's features (lab.recommendations.rerank) without user-kNN
    "buyers",
    "buyers_4w",
    "adoption_8w",
    "recency_pop",
    "repeat_rate",
    "links",
    "category_share",
    "department_share",
    "family_count",
    "novelty_rate",
    "baskets",
    "days_since",
    "price_ratio",
)
ADOPTION = (
    "transitions",
    "transitions_cond",
    "adoptions",  # households that adopted it (after their first 4 weeks)
    "family_adoptions",
    "family_products",
    "in_family_share",
    "adoption_growth",
)
FEATURE_SETS = {"without adoption features": BASE, "with adoption features": BASE + ADOPTION}
DEPTHS = (3, 5)
OBJECTIVES = ("rank:ndcg", "binary:logistic")
ROUNDS = 150
BURN_IN_DAYS = 28
WINDOW_WEEKS = 4
HISTORY_WEEKS = 12
POPULAR, BY_TRANSITIONS, PER_FAMILY = 300, 200, 10

app = typer.Typer(help=__doc__.splitlines()[0])


@app.command()
def run() -> None:
    """Oracle bound on the tuning folds, selection on July-August, one test on September-October."""
    started = time.perf_counter()
    frame = load_baskets(DEFAULT_DATA)
    codes = _Codes(frame)
    for cut, end in TEST_TRAIN:  # the three folds `python -m lab.recommendations train` tunes on
        split = time_split(frame, cut, end)
        log(started, f"oracle, fold {cut}: {describe(score_lists(split, oracle_lists(split)))}")
    built: dict[str, tuple[Split, pd.DataFrame]] = {}
    for cut, end in sorted({*SELECTION_TRAIN, SELECTION, *TEST_TRAIN, TEST}):
        split = time_split(frame, cut, end)
        built[cut] = (split, candidates(split, codes, pd.Timestamp(cut)))
        rows = built[cut][1]
        wanted = sum(len(t) for t in split.targets.values())
        log(
            started,
            f"fold {cut}: {len(rows):,} candidates, "
            f"{rows['label'].sum() / wanted:.1%} of the new products bought are among them",
        )
    scores = {}
    for (name, features), depth, objective in product(FEATURE_SETS.items(), DEPTHS, OBJECTIVES):
        ranker = train_ranker([built[c][1] for c, _ in SELECTION_TRAIN], features, depth, objective)
        figures = score_lists(
            built[SELECTION[0]][0], top_lists(built[SELECTION[0]][1], ranker, features)
        )
        scores[(name, depth, objective)] = min(figures["hit_ratio"], figures["precision_ratio"])
        log(started, f"selection, {name}, depth {depth}, {objective}: {describe(figures)}")
    name, depth, objective = max(scores, key=lambda key: scores[key])
    features = FEATURE_SETS[name]
    ranker = train_ranker([built[c][1] for c, _ in TEST_TRAIN], features, depth, objective)
    split, rows = built[TEST[0]]
    log(started, f"test, {name}, depth {depth}, {objective}:")
    log(started, describe(score_lists(split, top_lists(rows, ranker, features))))


def score_lists(split: Split, top: dict[str, list[str]]) -> dict[str, Any]:
    return compare(split, lambda customer, _history, _bought: top.get(customer, []))


def oracle_lists(split: Split) -> dict[str, list[str]]:
    """Each customer's 10 products, not bought by them, that most households newly bought in
    the labelled months (ties by product id, as the baselines)."""
    adopters = pd.Series([p for new in split.targets.values() for p in new]).value_counts()
    order = sorted(adopters.index, key=lambda p: (-adopters[p], p))
    return {
        customer: [p for p in order if p not in split.bought[customer]][:10]
        for customer in split.targets
    }


class _Codes:
    """Dense indices of the file's households and products, and each product's groups."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.customers = np.array(sorted(frame["customer_id"].unique()))
        self.products = np.array(sorted(frame["product_id"].unique()))
        facts = frame.drop_duplicates("product_id").set_index("product_id").loc[self.products]
        self.family = pd.factorize(facts["product_type"])[0]
        self.category = pd.factorize(facts["category"])[0]
        self.department = pd.factorize(facts["department"])[0]

    def coded(self, frame: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
        return frame.assign(
            h=np.searchsorted(self.customers, frame["customer_id"]),
            p=np.searchsorted(self.products, frame["product_id"]),
            day=(frame["timestamp"] - cut).dt.total_seconds() / 86_400,  # negative: before the cut
        )


def transitions(train: pd.DataFrame, shape: tuple[int, int]) -> sp.csr_matrix:
    """T[i, j]: households that adopted j while having bought i in the weeks before."""
    households, products = shape
    first = train.groupby(["h", "p"])["day"].min().reset_index()
    start = train.groupby("h")["day"].min()
    adopted = first[first["day"] >= first["h"].map(start) + BURN_IN_DAYS]
    adopted_week = np.floor(adopted["day"].to_numpy() / 7).astype(int)
    bought_week = np.floor(train["day"].to_numpy() / 7).astype(int)
    total = sp.csr_matrix((products, products), dtype=np.float32)
    for week in np.unique(adopted_week):
        now = adopted_week == week
        adoptions = _indicator(adopted["h"].to_numpy()[now], adopted["p"].to_numpy()[now], shape)
        before = (bought_week >= week - WINDOW_WEEKS) & (bought_week < week)
        recent = _indicator(train["h"].to_numpy()[before], train["p"].to_numpy()[before], shape)
        total = total + recent.T @ adoptions
    return total.tocsr()


def _indicator(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, columns)), shape=shape)
    matrix.data[:] = 1.0  # duplicates summed by the constructor: back to bought / not bought
    return matrix


def _item_links(bought: sp.csr_matrix) -> sp.csr_matrix:
    """Each product's best links by shrunk cosine, as in the shipped model's fit."""
    settings = FitSettings()
    counts = np.asarray(bought.sum(axis=0)).ravel()
    co = (bought.T @ bought).tocoo()
    off = co.row != co.col
    r, c, together = co.row[off], co.col[off], co.data[off]
    scores = together / (np.sqrt(counts[r] * counts[c]) + settings.shrink)
    order = np.lexsort((-scores, r))
    r, c, scores = r[order], c[order], scores[order]
    rank = np.arange(len(r)) - np.searchsorted(r, r)
    keep = rank < settings.links_per_item
    return sp.csr_matrix((scores[keep], (r[keep], c[keep])), shape=co.shape)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    chosen = np.zeros(scores.shape, bool)
    np.put_along_axis(chosen, np.argpartition(-scores, n, axis=1)[:, :n], True, axis=1)
    return chosen & (scores > 0)


def _per_group(
    groups: np.ndarray, rows: np.ndarray, values: np.ndarray, households: int
) -> np.ndarray:
    table = np.zeros((households, groups.max() + 1))
    np.add.at(table, (rows, groups[values]), 1)
    return table


def candidates(split: Split, codes: _Codes, cut: pd.Timestamp) -> pd.DataFrame:
    """Every customer's candidates minus what they bought, with the features and whether they
    bought it new in the labelled months (h, p: dense indices)."""
    train = codes.coded(split.train, cut)
    households, products = len(codes.customers), len(codes.products)
    shape = (households, products)
    h, p = train["h"].to_numpy(), train["p"].to_numpy()
    bought = _indicator(h, p, shape)
    owned = bought.toarray() > 0
    buyers = owned.sum(axis=0).astype(float)

    def count_items(rows: pd.DataFrame, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(rows["p"], weights=weights, minlength=products).astype(float)

    first = train.groupby(["h", "p"])["day"].min().reset_index()
    last = train.groupby(["h", "p"])["day"].max().reset_index()
    start = train.groupby("h")["day"].min()
    adopted = first[first["day"] >= first["h"].map(start) + BURN_IN_DAYS]
    recent_8w = first[first["day"] >= -56]
    baskets_per_pair = train.groupby(["h", "p"])["basket_id"].nunique().reset_index()
    links = (bought @ _item_links(bought)).toarray()
    moves = transitions(train, shape)
    conditional = sp.diags(1 / (buyers + 10)) @ moves
    lately = _indicator(
        h[train["day"] >= -7 * HISTORY_WEEKS], p[train["day"] >= -7 * HISTORY_WEEKS], shape
    )
    moved = (lately @ moves).toarray()
    moved_conditional = (lately @ conditional).toarray()
    family = _per_group(codes.family, h, p, households)
    category = _per_group(codes.category, h, p, households)
    department = _per_group(codes.department, h, p, households)
    family_adoptions = _per_group(
        codes.family, adopted["h"].to_numpy(), adopted["p"].to_numpy(), households
    )
    family_products = _per_group(
        codes.family, first["h"].to_numpy(), first["p"].to_numpy(), households
    )
    family_buyers = np.bincount(codes.family, weights=buyers)
    unit = train["sales_value"] / train["quantity"]
    price = unit.groupby(train["p"]).median().reindex(range(products)).fillna(1.0).clip(lower=0.01)
    usual = (
        unit.groupby(train["h"]).median().reindex(range(households)).fillna(1.0).clip(lower=0.01)
    )
    lines = np.bincount(h, minlength=households).astype(float)
    late_lines = np.bincount(h[train["day"] >= -56], minlength=households)

    chosen = np.zeros(shape, bool)
    chosen[:, np.argsort(-buyers, kind="stable")[:POPULAR]] = True
    chosen |= links > 0
    chosen |= _top(moved, BY_TRANSITIONS)
    by_buyers = pd.Series(buyers)
    family_top = by_buyers.groupby(codes.family).rank(ascending=False, method="first") <= PER_FAMILY
    chosen |= (family[:, codes.family] > 0) & (family_top.to_numpy() & (buyers >= 2))[None, :]
    category_top = by_buyers.groupby(codes.category).rank(ascending=False, method="first")
    top_here = (category_top.to_numpy() <= FitSettings().per_category) & (
        buyers >= FitSettings().min_buyers
    )
    chosen |= (category[:, codes.category] > 0) & top_here[None, :]
    chosen &= ~owned
    chosen[lines == 0] = False
    i, j = np.nonzero(chosen)

    targets = np.zeros(shape, bool)
    for customer, new in split.targets.items():
        row = np.searchsorted(codes.customers, customer)
        targets[row, np.searchsorted(codes.products, list(new))] = True
    features = {
        "buyers": buyers[j] / households,
        "buyers_4w": count_items(train[train["day"] >= -28].drop_duplicates(["h", "p"]))[j]
        / households,
        "adoption_8w": count_items(recent_8w)[j] / households,
        "recency_pop": count_items(last, 0.5 ** (-last["day"].to_numpy() / 14))[j] / households,
        "repeat_rate": count_items(
            baskets_per_pair, (baskets_per_pair["basket_id"] >= 2).to_numpy()
        )[j]
        / np.maximum(buyers[j], 1),
        "links": links[i, j],
        "category_share": category[i, codes.category[j]] / lines[i],
        "department_share": department[i, codes.department[j]] / lines[i],
        "family_count": family[i, codes.family[j]],
        "novelty_rate": np.bincount(recent_8w["h"], minlength=households)[i]
        / np.maximum(late_lines[i], 1),
        "baskets": train.groupby("h")["basket_id"]
        .nunique()
        .reindex(range(households))
        .fillna(0)
        .to_numpy()[i],
        "days_since": -train.groupby("h")["day"]
        .max()
        .reindex(range(households))
        .fillna(-999)
        .to_numpy()[i],
        "price_ratio": np.log(price.to_numpy()[j] / usual.to_numpy()[i]),
        "transitions": moved[i, j],
        "transitions_cond": moved_conditional[i, j],
        "adoptions": count_items(adopted)[j] / households,
        "family_adoptions": family_adoptions[i, codes.family[j]],
        "family_products": family_products[i, codes.family[j]],
        "in_family_share": buyers[j] / np.maximum(family_buyers[codes.family[j]], 1),
        "adoption_growth": (count_items(recent_8w)[j] + 1)
        / (count_items(first[(first["day"] >= -112) & (first["day"] < -56)])[j] + 1),
    }
    rows = pd.DataFrame(features).astype(np.float32)
    return rows.assign(
        h=i, p=j, customer=codes.customers[i], product=codes.products[j], label=targets[i, j]
    )


def train_ranker(
    folds: list[pd.DataFrame], features: tuple[str, ...], depth: int, objective: str
) -> xgb.Booster:
    """One ranker over the stacked folds; a customer's rows form one query per fold."""
    rows = pd.concat(
        [fold.assign(query=fold["h"] + n * 1_000_000) for n, fold in enumerate(folds)],
        ignore_index=True,
    ).sort_values("query", kind="stable")
    matrix = xgb.DMatrix(rows[list(features)].to_numpy(np.float32), label=rows["label"])
    if objective.startswith("rank:"):
        matrix.set_group(rows.groupby("query", sort=True).size().to_numpy())
    params = {
        "objective": objective,
        "max_depth": depth,
        "eta": 0.05,
        "subsample": 0.8,
        "min_child_weight": 5,
        "nthread": 1,
        "seed": 0,
    }
    return xgb.train(params, matrix, ROUNDS)


def top_lists(
    rows: pd.DataFrame, ranker: xgb.Booster, features: tuple[str, ...]
) -> dict[str, list[str]]:
    predicted = ranker.predict(xgb.DMatrix(rows[list(features)].to_numpy(np.float32)))
    best = rows.assign(score=predicted).sort_values(
        ["customer", "score", "product"], ascending=[True, False, True]
    )
    return best.groupby("customer")["product"].agg(lambda ids: list(ids)[:10]).to_dict()


if __name__ == "__main__":
    app()
