"""`journeyctl experiments ...`: offline evaluation of the bandit on real experiment data."""

import time
from pathlib import Path
from typing import Annotated

import typer

from experiments.lift import INTERVAL_METHOD
from lab.experiments.evaluation import (
    BEST_IN_HINDSIGHT,
    EQUAL_SPLIT,
    THOMPSON,
    OfflineEvaluation,
    evaluate_offline,
)
from lab.experiments.hillstrom import REWARDS, hillstrom_csv, load_hillstrom
from settings import Settings
from terminal.output import progress

app = typer.Typer(no_args_is_help=True)


@app.callback()
def main() -> None:
    """Experiments: assignment, Thompson-sampling bandit, holdout lift."""


@app.command()
def evaluate(
    data: Annotated[
        Path | None,
        typer.Option(help="hillstrom.csv or its directory (default: settings data_dir)."),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="First seed (seeds run upwards); also draws the --rows subsample.")
    ] = 0,
    seeds: Annotated[int | None, typer.Option(help="How many seeds to average.")] = None,
    rows: Annotated[
        int | None, typer.Option(help="Replay a random subsample of this many rows.")
    ] = None,
    floor: Annotated[
        float | None, typer.Option(help="Exploration floor of the Thompson bandit.")
    ] = None,
) -> None:
    """Bandit vs equal split vs best arm, replayed on the Hillstrom e-mail experiment.

    Rejection-sampling replay (Li et al. 2011) of the three policies, rewarded by conversion and
    by visit, averaged over seeds; then each e-mail's lift over no e-mail with its 95 % interval.
    """
    settings = Settings().experiments
    path = hillstrom_csv(data if data is not None else settings.data_dir)
    seed_count = seeds if seeds is not None else settings.evaluation_seeds
    exploration_floor = floor if floor is not None else settings.evaluation_exploration_floor
    started = time.perf_counter()
    logged = load_hillstrom(path, sample=rows, seed=seed)
    typer.echo(f"loaded {len(logged):,} rows from {path}")
    typer.echo(
        f"replaying {seed_count} seed(s) from {seed}, exploration floor {exploration_floor:g}"
    )
    with progress("replaying", seed_count, every=1, unit="seeds") as advance:

        def replayed(line: str) -> None:
            typer.echo(line)
            advance(1)

        result = evaluate_offline(
            logged,
            seeds=range(seed, seed + seed_count),
            checkpoints=settings.evaluation_checkpoints,
            exploration_floor=exploration_floor,
            progress=replayed,
        )
    _print_curves(result)
    _print_lifts(result)
    typer.echo(f"\ndone in {time.perf_counter() - started:.1f} s")


def _print_curves(result: OfflineEvaluation) -> None:
    labels = {
        THOMPSON: "thompson bandit",
        EQUAL_SPLIT: "fixed equal split",
        BEST_IN_HINDSIGHT: "best arm in hindsight",
    }
    for reward in REWARDS:
        typer.echo(
            f"\ncumulative {reward}s after N replayed decisions "
            f"(mean of {len(result.seeds)} seeds; best arm: {result.best_arm[reward]})"
        )
        header = "".join(f"{f'N={n:,}':>12}" for n in result.checkpoints)
        typer.echo(f"{'policy':<24}{header}   arm share")
        for policy, label in labels.items():
            curve = result.curve(reward, policy)
            cells = "".join(
                f"{'-':>12}" if value is None else f"{value:>12.1f}"
                for value in curve.cumulative.values()
            )
            shares = ", ".join(f"{arm} {share:.0%}" for arm, share in curve.arm_share.items())
            typer.echo(f"{label:<24}{cells}   {shares}")


def _print_lifts(result: OfflineEvaluation) -> None:
    typer.echo(f"\nlift vs no_email (95 % interval, {INTERVAL_METHOD})")
    for item in result.lifts:
        lift = item.lift
        relative = "n/a" if lift.relative is None else f"{lift.relative:+.0%}"
        typer.echo(
            f"{item.arm:<14}{item.reward:<12}{lift.treated_rate:8.2%} vs {lift.holdout_rate:6.2%}"
            f"   diff {lift.difference:+.2%} [{lift.low:+.2%}, {lift.high:+.2%}]"
            f"   relative {relative}"
        )
