"""The learning-to-rank experiment of issue #21: an XGBoost re-ranker over the candidates of
popularity, item neighbours, user neighbours and category tops, on the same time split and
targets as `python -m lab.recommendations train`. Not shipped: docs/recommendations.md says why.

    nice python -m lab.recommendations.rerank   # 4 min on a quiet 2-core machine, 15-30 loaded

The ranker learns on a fold strictly before the test period: features from the baskets before
1 July, labels July-August; its settings are chosen on the fold before (features before 1 May,
labels May-June, ranker scored on the July-August fold). The test fits features on the baskets
before 1 September and scores September-October, baselines measured in the same run.
"""

import time
from dataclasses import dataclass
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
    by_buyers,
    compare,
    describe,
    time_split,
)
from lab.recommendations.fitting import FitSettings

FOLDS = {  # cut: end of the labelled months
    "select": ("2017-05-01", "2017-07-01"),
    "train": ("2017-07-01", "2017-09-01"),
    "test": ("2017-09-01", "2017-11-01"),
}
FEATURES = (
    "buyers",  # distinct buyers before the cut, per customer of the fold
    "buyers_4w",  # distinct buyers in the last four weeks
    "adoption_8w",  # customers who bought it for the first time in the last eight weeks
    "recency_pop",  # buyers weighted by how recently they last bought it (half-life 14 d)
    "repeat_rate",  # share of its buyers who bought it in two or more baskets
    "links",  # sum of shrunk-cosine links from the customer's products (15 per product)
    "user_knn",  # share of the customer's 30 nearest households (cosine) who bought it
    "category_share",  # the customer's share of purchases in its category
    "department_share",
    "family_count",  # the customer's purchases of its product type
    "novelty_rate",  # share of the customer's lines in the last 8 weeks that were first buys
    "baskets",  # the customer's baskets
    "days_since",  # days since the customer's last basket
    "price_ratio",  # log of its unit price over the customer's median unit price
)
GRID = {"max_depth": (3, 5), "rounds": (150,), "objective": ("binary:logistic", "rank:ndcg")}
POPULAR_CANDIDATES = 300
LINKS = FitSettings().links_per_item
USER_NEIGHBOURS = 30

app = typer.Typer(help=__doc__.splitlines()[0])


@dataclass(frozen=True)
class Fold:
    split: Split
    candidates: pd.DataFrame  # customer_id, product_id, FEATURES, label


def log(started: float, message: str) -> None:
    typer.echo(f"[{time.perf_counter() - started:5.0f} s] {message}")


@app.command()
def run() -> None:
    """Choose the ranker's settings on the selection fold, train it on the next, test it."""
    started = time.perf_counter()
    frame = load_baskets(DEFAULT_DATA)
    folds = {}
    for name, (cut, end) in FOLDS.items():
        folds[name] = fold = candidates(frame, cut, end)
        found = int(fold.candidates["label"].sum())
        wanted = sum(len(t) for t in fold.split.targets.values())
        log(
            started,
            f"{name} fold ({cut} to {end}): {len(fold.candidates):,} candidates, "
            f"{found / wanted:.1%} of the new products bought are among them",
        )
    scores = {}
    for depth, rounds, objective in product(*GRID.values()):
        settings = {"max_depth": depth, "rounds": rounds, "objective": objective}
        ranker = train_ranker(folds["select"].candidates, settings)
        figures = score(folds["train"], ranker)
        scores[(depth, rounds, objective)] = min(figures["hit_ratio"], figures["precision_ratio"])
        log(started, f"selection {settings}: {report(figures)}")
    depth, rounds, objective = max(scores, key=lambda key: scores[key])
    chosen = {"max_depth": depth, "rounds": rounds, "objective": objective}
    ranker = train_ranker(folds["train"].candidates, chosen)
    log(started, f"test, ranker {chosen} trained on the July-August labels:")
    log(started, report(score(folds["test"], ranker)))
    gains = ranker.get_score(importance_type="gain")
    ranked = sorted(((float(v), k) for k, v in gains.items()), reverse=True)  # type: ignore[arg-type]  # gain is one float per feature
    log(started, "gain: " + ", ".join(f"{FEATURES[int(k[1:])]} {v:.1f}" for v, k in ranked))


def report(figures: dict[str, Any]) -> str:
    return f"re-ranker {describe(figures)}"


def train_ranker(rows: pd.DataFrame, settings: dict[str, Any]) -> xgb.Booster:
    rows = rows.sort_values("customer_id", kind="stable")
    matrix = xgb.DMatrix(rows[list(FEATURES)].to_numpy(np.float32), label=rows["label"])
    if settings["objective"].startswith("rank:"):
        matrix.set_group(rows.groupby("customer_id", sort=True).size().to_numpy())
    params = {
        "objective": settings["objective"],
        "max_depth": settings["max_depth"],
        "eta": 0.05,
        "subsample": 0.8,
        "min_child_weight": 5,
        "nthread": 1,
        "seed": 0,
    }
    return xgb.train(params, matrix, settings["rounds"])


def score(fold: Fold, ranker: xgb.Booster) -> dict[str, Any]:
    rows = fold.candidates
    predicted = ranker.predict(xgb.DMatrix(rows[list(FEATURES)].to_numpy(np.float32)))
    best = rows.assign(score=predicted).sort_values(
        ["customer_id", "score", "product_id"], ascending=[True, False, True]
    )
    top = best.groupby("customer_id")["product_id"].agg(lambda ids: list(ids)[:10]).to_dict()
    return compare(fold.split, lambda customer, _history, _bought: top.get(customer, []))


def candidates(frame: pd.DataFrame, cut: str, end: str) -> Fold:
    """Every customer's candidates (the 300 most popular products, the products linked to
    theirs, their 100 best by user neighbours, the top 15 of each of their categories), minus
    what they bought, with the features and whether they bought it new in [cut, end)."""
    split = time_split(frame, cut, end)
    train = split.train
    now = pd.Timestamp(cut)
    customers = sorted(train["customer_id"].unique())
    facts = train.drop_duplicates("product_id").set_index("product_id")
    buyers = train.groupby("product_id")["customer_id"].nunique()
    kept = buyers[buyers >= FitSettings().min_buyers].index.to_numpy()
    column = {p: i for i, p in enumerate(kept)}
    row = {c: i for i, c in enumerate(customers)}
    linked = train[train["product_id"].isin(column)]
    bought = sp.csr_matrix(
        (
            np.ones(len(linked), np.float32),
            (linked["customer_id"].map(row), linked["product_id"].map(column)),
        ),
        shape=(len(customers), len(kept)),
    )
    bought.data[:] = 1.0
    links = bought @ _item_links(bought)
    knn = _user_knn(bought)
    owned = bought.toarray() > 0

    order = by_buyers(train)
    category_tops: dict[str, list[str]] = {}
    for pid in order:
        if buyers[pid] >= FitSettings().min_buyers:
            tops = category_tops.setdefault(facts.at[pid, "category"], [])
            if len(tops) < FitSettings().per_category:
                tops.append(pid)
    pairs: list[tuple[str, str]] = []
    for customer in customers:
        mine = split.bought[customer]
        found = {p for p in order[: POPULAR_CANDIDATES + len(mine)]}
        i = row[customer]
        linked_here = links[i].toarray().ravel()
        found.update(kept[j] for j in np.flatnonzero(linked_here))
        found.update(kept[j] for j in np.argsort(-(knn[i] * ~owned[i]))[:100])
        for category in {p.category for p in split.histories[customer]}:
            found.update(category_tops.get(category, ()))
        pairs += [(customer, pid) for pid in sorted(found - mine)]
    rows = pd.DataFrame(pairs, columns=["customer_id", "product_id"])
    rows = _with_features(rows, train, now, facts, buyers, links, knn, row, column)
    rows["label"] = [
        pid in split.targets.get(customer, ())
        for customer, pid in zip(rows["customer_id"], rows["product_id"], strict=True)
    ]
    return Fold(split, rows)


def _item_links(bought: sp.csr_matrix) -> sp.csr_matrix:
    """Each product's best links by shrunk cosine, as in the shipped model's fit."""
    counts = np.asarray(bought.sum(axis=0)).ravel()
    co = (bought.T @ bought).tocoo()
    off = co.row != co.col
    r, c, together = co.row[off], co.col[off], co.data[off]
    scores = together / (np.sqrt(counts[r] * counts[c]) + FitSettings().shrink)
    order = np.lexsort((-scores, r))
    r, c, scores = r[order], c[order], scores[order]
    rank = np.arange(len(r)) - np.searchsorted(r, r)
    keep = rank < LINKS
    return sp.csr_matrix((scores[keep], (r[keep], c[keep])), shape=co.shape)


def _user_knn(bought: sp.csr_matrix) -> np.ndarray:
    """Per customer and product: the cosine-weighted share of their nearest households who
    bought it."""
    norms = np.sqrt(np.asarray(bought.sum(axis=1)).ravel()) + 1e-9
    similar = (bought @ bought.T).toarray() / norms[:, None] / norms[None, :]
    np.fill_diagonal(similar, 0.0)
    nearest = np.argsort(-similar, axis=1)[:, :USER_NEIGHBOURS]
    weights = np.zeros_like(similar)
    np.put_along_axis(weights, nearest, np.take_along_axis(similar, nearest, axis=1), axis=1)
    return (weights @ bought.toarray()) / (weights.sum(axis=1, keepdims=True) + 1e-9)


def _with_features(
    rows: pd.DataFrame,
    train: pd.DataFrame,
    now: pd.Timestamp,
    facts: pd.DataFrame,
    buyers: pd.Series,
    links: sp.csr_matrix,
    knn: np.ndarray,
    row: dict[str, int],
    column: dict[str, int],
) -> pd.DataFrame:
    customers = len(row)
    first = train.groupby(["customer_id", "product_id"])["timestamp"].min()
    last = train.groupby(["customer_id", "product_id"])["timestamp"].max()
    adopted = first[first >= now - pd.Timedelta(weeks=8)].groupby(level=1).size()
    recent = train[train["timestamp"] >= now - pd.Timedelta(weeks=4)]
    age_days = (now - last).dt.total_seconds() / 86_400
    recency = (0.5 ** (age_days / 14)).groupby(level=1).sum()
    baskets = train.groupby(["product_id", "customer_id"])["basket_id"].nunique()
    unit = train["sales_value"] / train["quantity"]
    price = unit.groupby(train["product_id"]).median()
    usual = unit.groupby(train["customer_id"]).median().clip(lower=0.01)
    lines = train.groupby("customer_id").size()
    with_first = train.join(first.rename("first"), on=["customer_id", "product_id"])
    late = with_first[with_first["timestamp"] >= now - pd.Timedelta(weeks=8)]
    novelty = (late["timestamp"] == late["first"]).groupby(late["customer_id"]).mean()

    def share(by: str) -> pd.Series:
        counts = train.groupby(["customer_id", by]).size()
        return counts / lines.reindex(counts.index.get_level_values(0)).to_numpy()

    def per_pair(values: pd.Series, by: str) -> np.ndarray:
        keys = pd.MultiIndex.from_arrays([rows["customer_id"], rows["product_id"].map(facts[by])])
        return values.reindex(keys).fillna(0.0).to_numpy()

    pid, cid = rows["product_id"], rows["customer_id"]
    j = pid.map(column)
    known = j.notna().to_numpy()
    j = j.fillna(0).astype(int).to_numpy()
    i = cid.map(row).to_numpy()
    linked = np.asarray(links[i, j]).ravel()
    return rows.assign(
        buyers=pid.map(buyers).fillna(0).to_numpy() / customers,
        buyers_4w=pid.map(recent.groupby("product_id")["customer_id"].nunique()).fillna(0)
        / customers,
        adoption_8w=pid.map(adopted).fillna(0) / customers,
        recency_pop=pid.map(recency).fillna(0) / customers,
        repeat_rate=pid.map((baskets >= 2).groupby(level=0).mean()).fillna(0),
        links=np.where(known, linked, 0.0),
        user_knn=np.where(known, knn[i, j], 0.0),
        category_share=per_pair(share("category"), "category"),
        department_share=per_pair(share("department"), "department"),
        family_count=per_pair(
            train.groupby(["customer_id", "product_type"]).size(), "product_type"
        ),
        novelty_rate=cid.map(novelty).fillna(0),
        baskets=cid.map(train.groupby("customer_id")["basket_id"].nunique()),
        days_since=cid.map((now - train.groupby("customer_id")["timestamp"].max()).dt.days),
        price_ratio=np.log(pid.map(price).fillna(1.0).clip(lower=0.01) / cid.map(usual)),
    )


if __name__ == "__main__":
    app()
