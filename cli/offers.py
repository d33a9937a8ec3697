"""`journeyctl offers ...`: evaluate the uplift estimator and the budgeted allocation, and
retrain the shipped uplift model.

Both commands read Hillstrom's table and fit models: pandas, scikit-learn and xgboost (the
optional `[ml]` extra) are imported by the command that runs, not by this module, which every
`journeyctl` process imports (the worker and the API among them)."""

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dormancy.settings import DormancySettings
from offers.catalogue import load_catalogue
from offers.settings import OfferSettings
from offers.uplift_model import SHIPPED_UPLIFT_MODEL, save_uplift_model

if TYPE_CHECKING:
    from lab.offers.evaluation import RepeatedSplits, UpliftEvaluation
    from lab.offers.simulation import SimulationReport

app = typer.Typer(help="Offer catalogue, uplift estimator and budgeted offer allocation.")

PathOption = Annotated[
    Path | None,
    typer.Option(help="hillstrom.csv; default ../shared/data/ from the repository root"),
]


def _print_evaluation(name: str, result: "UpliftEvaluation") -> None:
    low, high = result.qini_interval
    typer.echo(f"  {name}")
    typer.echo(
        f"    Qini coefficient {result.qini:+.3f} "
        f"(bootstrap 90 % interval {low:+.3f} .. {high:+.3f}; random targeting = 0)"
    )
    cells = ", ".join(
        f"top {k:.0%}: {lift * 100:+.2f} pp ({lift / result.average_treatment_effect:.2f}x)"
        for k, lift in result.uplift_at.items()
    )
    typer.echo(f"    uplift {cells}")
    typer.echo(f"    random targeting: {result.average_treatment_effect * 100:+.2f} pp at any k")


def _print_repeated(result: "RepeatedSplits") -> None:
    n = result.splits
    cells = ", ".join(
        f"top {k:.0%} {ratio:.2f}x ({result.uplift_above_random_at[k]}/{n})"
        for k, ratio in result.mean_uplift_ratio_at.items()
    )
    typer.echo(
        f"    over {n} random splits: mean Qini {result.mean_qini:+.3f}, above random in "
        f"{result.qini_above_random}/{n}; mean uplift vs random {cells}"
    )


def _print_simulation(report: "SimulationReport", settings: OfferSettings) -> None:
    typer.echo("\nsimulation assumptions:")
    for line in report.assumptions:
        typer.echo(f"  - {line}")
    typer.echo(
        f"\n{'strategy':<28}{'offered':>8}{'react.':>9}{'incr.':>8}{'cost CNY':>10}"
        f"{'CNY/react':>10}{'CNY/incr':>10}  budget"
    )
    for s in report.strategies:
        per_incremental = (
            f"{s.cost_per_incremental_cny:>10.2f}" if s.cost_per_incremental_cny else f"{'-':>10}"
        )
        budget = "held" if s.budget_held else "BROKEN"
        typer.echo(
            f"{s.name:<28}{s.offered:>8}{s.reactivations:>9.1f}{s.incremental_reactivations:>8.1f}"
            f"{s.incentive_cost_cny:>10.1f}{s.cost_per_reactivation_cny:>10.2f}{per_incremental}"
            f"  {budget}"
        )
    for s in report.strategies:
        if s.offer_mix:
            mix = ", ".join(f"{offer} {n}" for offer, n in s.offer_mix.items())
            typer.echo(f"  {s.name} offer mix: {mix}")
    typer.echo(f"  budget cap: {settings.max_cost_per_reactivation_cny:.2f} CNY per reactivation")
    o = report.observed
    typer.echo(
        "\nreal outcomes, held-out dormant customers: observed e-mail uplift in conversion among "
        f"those the allocation gives an offer {o.offered_observed_uplift * 100:+.2f} pp "
        f"(n={o.offered_customers}) vs the others {o.other_observed_uplift * 100:+.2f} pp "
        f"(n={o.other_customers})"
    )


@app.command()
def evaluate(
    path: PathOption = None,
    test_share: Annotated[float, typer.Option(help="held-out share")] = 0.3,
    seed: Annotated[int, typer.Option(help="seed of the split, bootstrap and reasons")] = 0,
    bootstrap: Annotated[
        int, typer.Option(min=1, help="bootstrap rounds for the Qini interval")
    ] = 200,
    splits: Annotated[int, typer.Option(min=1, help="further random splits for stability")] = 10,
    at: Annotated[
        datetime | None, typer.Option(help="UTC time for offer validity; default now")
    ] = None,
) -> None:
    """Qini and uplift-at-k of the T-learner on a held-out split, then the budgeted allocation
    against 'same coupon for all' in a simulation driven by it."""
    from lab.offers.evaluation import UpliftScorer, evaluate_uplift, repeated_splits
    from lab.offers.hillstrom import (
        default_hillstrom_path,
        feature_matrix,
        load_hillstrom,
        train_test_split_stratified,
    )
    from lab.offers.simulation import SimulationAssumptions, simulate
    from lab.offers.uplift_training import (
        fit_t_learner,
        logistic_t_learner_uplift,
        xgboost_t_learner_uplift,
    )

    path = path or default_hillstrom_path()
    now = at.replace(tzinfo=UTC) if at else datetime.now(UTC)
    settings = OfferSettings()
    catalogue = load_catalogue(settings.catalogue_path)
    typer.echo(f"reading {path.resolve()}")
    frame = load_hillstrom(path)
    train, test = train_test_split_stratified(frame, test_share, seed)
    typer.echo(
        f"{len(frame)} customers: train {len(train)}, held out {len(test)} (seed {seed}); "
        "treatment = any e-mail, control = no e-mail"
    )
    train_x, test_x = feature_matrix(train), feature_matrix(test)
    treatment = train["treatment"].to_numpy()
    test_treatment = test["treatment"].to_numpy()

    typer.echo("\nuplift estimators on the held-out split")
    estimators: list[tuple[str, str, UpliftScorer]] = [
        ("conversion", "logistic T-learner (shipped kind)", logistic_t_learner_uplift),
        ("conversion", "XGBoost T-learner (comparison)", xgboost_t_learner_uplift),
        ("visit", "logistic T-learner (shipped kind)", logistic_t_learner_uplift),
    ]
    for outcome, name, scorer in estimators:
        score = scorer(train_x, treatment, train[outcome].to_numpy(), test_x)
        result = evaluate_uplift(test[outcome].to_numpy(), test_treatment, score, bootstrap, seed)
        _print_evaluation(f"{outcome}: {name}", result)
        _print_repeated(repeated_splits(frame, outcome, scorer, splits, test_share, seed + 1))

    model = fit_t_learner(
        train_x,
        treatment,
        train["conversion"].to_numpy(),
        outcome_name="conversion",
        version="evaluation",
        data_source=str(path),
    )
    baseline, uplift = model.predict(test_x)
    report = simulate(
        train,
        test,
        baseline,
        uplift,
        catalogue,
        settings,
        DormancySettings(),
        SimulationAssumptions(seed=seed),
        now,
    )
    _print_simulation(report, settings)


@app.command("train-uplift")
def train_uplift(
    path: PathOption = None,
    output: Annotated[Path, typer.Option(help="model file to write")] = SHIPPED_UPLIFT_MODEL,
) -> None:
    """Fit the conversion T-learner on all of Hillstrom and write the model file (JSON)."""
    from lab.offers.hillstrom import default_hillstrom_path, feature_matrix, load_hillstrom
    from lab.offers.uplift_training import fit_t_learner

    path = path or default_hillstrom_path()
    frame = load_hillstrom(path)
    model = fit_t_learner(
        feature_matrix(frame),
        frame["treatment"].to_numpy(),
        frame["conversion"].to_numpy(),
        outcome_name="conversion",
        version=datetime.now(UTC).strftime("%Y-%m-%d"),
        data_source="hillstrom.csv: Kevin Hillstrom, MineThatData e-mail challenge (2008)",
    )
    save_uplift_model(model, output)
    baseline, uplift = model.predict(feature_matrix(frame))
    typer.echo(
        f"wrote {output} from {len(frame)} rows: mean baseline {baseline.mean():.4f}, "
        f"mean uplift {uplift.mean():+.4f}, uplift range {uplift.min():+.4f} .. {uplift.max():+.4f}"
    )


if __name__ == "__main__":
    app()
