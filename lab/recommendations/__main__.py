"""`python -m lab.recommendations train`: tune on a validation split, report on the test split
against both baselines, fit the shipped model on the whole file and write it with the demo
catalogue."""

import csv
import gzip
import hashlib
import json
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from lab.recommendations.baskets import DEFAULT_DATA, load_baskets
from lab.recommendations.evaluation import (
    Split,
    category_popularity_recommender,
    compare,
    message_picks,
    metrics,
    model_recommender,
    popularity_recommender,
    time_split,
)
from lab.recommendations.fitting import FitSettings, fit
from recommendations.history import HistoryError
from recommendations.model import SHIPPED_ARTIFACT, RankingParams, model_from_artifact
from terminal.output import progress

REPO = Path(__file__).resolve().parents[2]
DEMO_CATALOGUE = REPO / "catalog" / "demo_catalogue.csv"
# Validation: three rolling folds inside January-August (fit before the cut, score the two
# months after it); the setting with the best mean over the folds wins. Test: fit on
# January-August with it, score September-October. The shipped model: all ten months.
VALIDATION = (
    ("2017-05-01", "2017-07-01"),
    ("2017-06-01", "2017-08-01"),
    ("2017-07-01", "2017-09-01"),
)
TEST = ("2017-09-01", "2017-11-01")
HALF_LIVES = (7.0, 30.0, None)  # None: every buyer counts alike
WEIGHTS = ((1.0, 1.0), (2.0, 2.0), (1.0, 2.0), (2.0, 1.0))  # (links, category)

app = typer.Typer(help="Recommender lab: train, evaluate, ship.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Recommender lab (training and evaluation; never imported by the worker or the API)."""


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="Baskets CSV (relative: to the repo root).")] = (
        DEFAULT_DATA
    ),
    version: Annotated[str, typer.Option(help="Artefact version.")] = "recs-v1",
    output: Annotated[Path, typer.Option(help="Artefact path.")] = SHIPPED_ARTIFACT,
    catalogue: Annotated[
        Path, typer.Option(help="Demo catalogue to write (the scheduled retrain: a scratch file).")
    ] = DEMO_CATALOGUE,
) -> None:
    """Tune, evaluate against the baselines, print the figures, write the shipped artefact."""
    path = data if data.is_absolute() else REPO / data
    started = time.perf_counter()
    try:
        frame = load_baskets(path)
    except HistoryError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(
        f"data: {len(frame):,} purchase lines, {frame['basket_id'].nunique():,} baskets, "
        f"{frame['customer_id'].nunique()} customers, {frame['product_id'].nunique():,} products"
    )
    typer.echo(
        "[1/3] tuning on rolling folds (fit before the cut, score the next two months): "
        + ", ".join(cut for cut, _ in VALIDATION)
    )
    chosen, tuned = _tune([time_split(frame, *fold) for fold in VALIDATION])
    typer.echo(f"      chosen: {chosen}")
    test = time_split(frame, *TEST)
    typer.echo(
        f"[2/3] test: fit before {TEST[0]}, score {TEST[0]} to {TEST[1]} "
        f"({len(test.targets)} customers with new products)"
    )
    report = _evaluate(test, chosen)
    _print_report(report)
    typer.echo("[3/3] fitting the shipped model on the whole file")
    settings = FitSettings(half_life_days=chosen["half_life_days"])
    params = RankingParams(
        neighbour_weight=chosen["neighbour_weight"], category_weight=chosen["category_weight"]
    )
    artefact = fit(frame, params, version, settings)
    artefact["trained_on"] = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": len(frame),
        "from": str(frame["timestamp"].min()),
        "to": str(frame["timestamp"].max()),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    artefact["evaluation"] = {"validation": tuned, "test": report, "chosen": chosen}
    target = output if output.is_absolute() else REPO / output
    with gzip.GzipFile(target, "wb", mtime=0) as handle:
        handle.write(json.dumps(artefact, sort_keys=True, separators=(",", ":")).encode())
    links = sum(len(rows) for rows in cast(dict[str, list[Any]], artefact["links"]).values())
    typer.echo(
        f"wrote {target.relative_to(REPO) if target.is_relative_to(REPO) else target} "
        f"({target.stat().st_size / 1024:.0f} KB: {len(artefact['items']):,} items, "  # type: ignore[arg-type]  # the artefact is a JSON object of mixed values
        f"{links:,} links)"
    )
    _write_demo_catalogue(artefact["items"], catalogue)  # type: ignore[arg-type]  # the artefact is a JSON object of mixed values
    typer.echo(f"wrote {catalogue}; done in {time.perf_counter() - started:.0f} s")


def _tune(folds: list[Split]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The setting with the best mean over the folds of min(hit-rate ratio, precision ratio) to
    the fold's better baseline."""
    results: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    settings = len(folds) * len(HALF_LIVES) * len(WEIGHTS)
    with progress("tuning", settings, every=1, unit="settings") as advance:
        for fold in folds:
            baselines = _baselines(fold)
            best_hit = max(b["hit_rate_at_10"] for b in baselines.values())
            best_precision = max(b["precision_at_10"] for b in baselines.values())
            for half_life in HALF_LIVES:
                fitted = fit(
                    fold.train, RankingParams(), "tuning", FitSettings(half_life_days=half_life)
                )
                for weight_n, weight_c in WEIGHTS:
                    fitted["params"] = {"neighbour_weight": weight_n, "category_weight": weight_c}
                    figures = metrics(fold, model_recommender(model_from_artifact(fitted)))
                    figures["hit_ratio"] = figures["hit_rate_at_10"] / best_hit
                    figures["precision_ratio"] = figures["precision_at_10"] / best_precision
                    results.setdefault((half_life, weight_n, weight_c), []).append(figures)
                    advance(1)
    rows = []
    for (half_life, weight_n, weight_c), per_fold in results.items():
        hit = sum(f["hit_ratio"] for f in per_fold) / len(per_fold)
        precision = sum(f["precision_ratio"] for f in per_fold) / len(per_fold)
        rows.append(
            {
                "half_life_days": half_life,
                "neighbour_weight": weight_n,
                "category_weight": weight_c,
                "hit_ratio": hit,
                "precision_ratio": precision,
                "min_ratio": min(hit, precision),
            }
        )
        life = "none" if half_life is None else f"{half_life:.0f} d"
        typer.echo(
            f"      half-life {life:>5}, w_links {weight_n:.1f}, w_category {weight_c:.1f}: "
            f"HR@10 {hit:.3f}x, P@10 {precision:.3f}x the better baseline (mean of folds)"
        )
    best = max(rows, key=lambda r: r["min_ratio"])
    chosen = {k: best[k] for k in ("half_life_days", "neighbour_weight", "category_weight")}
    return chosen, rows


def _baselines(split: Split) -> dict[str, dict[str, float]]:
    return {
        "popularity": metrics(split, popularity_recommender(split.train)),
        "category_popularity": metrics(split, category_popularity_recommender(split.train)),
    }


def _evaluate(split: Split, chosen: dict[str, Any]) -> dict[str, object]:
    params = RankingParams(
        neighbour_weight=chosen["neighbour_weight"], category_weight=chosen["category_weight"]
    )
    fitted = fit(split.train, params, "test", FitSettings(half_life_days=chosen["half_life_days"]))
    model = model_from_artifact(fitted)
    comparison = compare(split, model_recommender(model))
    figures = comparison["model"]
    baselines = {name: comparison[name] for name in ("popularity", "category_popularity")}
    # Each goal's ratio to the better baseline and its 95 % interval.
    ratios = {
        "hit_rate_at_10": (comparison["hit_ratio"], *comparison["hit_interval"]),
        "precision_at_10": (comparison["precision_ratio"], *comparison["precision_interval"]),
    }
    messages = message_picks(model, split)
    return {
        "model": figures,
        "baselines": baselines,
        "ratios": ratios,
        "coverage": figures["items_shown"] / len(model.items),
        "coverage_in_messages": len(messages.products) / len(model.items),
        "catalogue_items": len(model.items),
        "repeats_within_48h": messages.repeated / messages.picks if messages.picks else 0.0,
        "picks_in_repeat_check": messages.picks,
    }


def _print_report(report: dict[str, object]) -> None:
    model: dict[str, float] = report["model"]  # type: ignore[assignment]  # the report is a JSON object of mixed values
    baselines: dict[str, dict[str, float]] = report["baselines"]  # type: ignore[assignment]  # the report is a JSON object of mixed values
    typer.echo("      ranker                      HR@5    HR@10   P@10     NDCG@10")
    for name, figures in [("model (blend)", model), *baselines.items()]:
        typer.echo(
            f"      {name:<26}  {figures['hit_rate_at_5']:.3f}   {figures['hit_rate_at_10']:.3f}"
            f"   {figures['precision_at_10']:.4f}   {figures['ndcg_at_10']:.4f}"
        )
    ratios: dict[str, tuple[float, float, float]] = report["ratios"]  # type: ignore[assignment]  # the report is a JSON object of mixed values
    for key, label in [("hit_rate_at_10", "HR@10"), ("precision_at_10", "P@10")]:
        ratio, low, high = ratios[key]
        verdict = "meets" if ratio >= 1.2 else "MISSES"
        typer.echo(
            f"      {label}: {ratio:.2f}x the better baseline ({verdict} the 1.2x goal); 95 % "
            f"interval {low:.2f}x to {high:.2f}x (paired bootstrap over the {model['customers']} "
            "customers)"
        )
    typer.echo(
        f"      coverage: {report['coverage']:.1%} of {report['catalogue_items']:,} items in some "
        f"top 10, {report['coverage_in_messages']:.1%} in some message (two a day apart per "
        f"customer, through the serving rules); repeats within 48 h: "
        f"{report['repeats_within_48h']:.1%} of {report['picks_in_repeat_check']:,} picks"
    )


def _write_demo_catalogue(items: dict[str, list[object]], path: Path) -> None:
    """The demo catalogue: real products and unit prices; stock is made up (the baskets have
    none), deterministic per product, with about 3 % out of stock so substitution shows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["product_id", "department", "category", "product_type", "price", "stock"])
        for pid in sorted(items):
            department, category, family, price = items[pid][:4]
            draw = zlib.crc32(pid.encode()) % 100
            stock = 0 if draw < 3 else 5 + draw
            writer.writerow([pid, department, category, family, f"{price:.2f}", stock])


if __name__ == "__main__":
    app()
