"""`journeyctl dormancy ...`: check the tiers and the still-active model against real data.

The check reads data tables and fits the model: pandas, scipy and scikit-learn (the optional
`[ml]` extra) are imported by the command, not by this module, which every `journeyctl` process
imports (the worker and the API among them)."""

from pathlib import Path
from typing import Annotated

import typer

from dormancy.settings import DormancySettings

app = typer.Typer(help="Dormancy tiers, reasons and the probability a customer is still active.")


@app.callback()
def _group() -> None:
    """Dormancy tiers, reasons and the probability a customer is still active."""


@app.command()
def validate(
    path: Annotated[
        Path | None,
        typer.Option(help="CDNOW_master.txt; default ../shared/data/ from the repository root"),
    ] = None,
) -> None:
    """Split CDNOW in half, tier customers at the split and compare with who came back."""
    from lab.dormancy.cdnow import default_cdnow_path, validate_cdnow

    path = path or default_cdnow_path()
    settings = DormancySettings()
    typer.echo(f"reading {path.resolve()} and fitting MBG/NBD on the first half ...")
    report = validate_cdnow(path, settings)
    typer.echo(
        f"{report.customers} customers, {report.transactions} transactions; "
        f"calibration {report.start} .. {report.split}, holdout to {report.end}"
    )
    p = report.params
    typer.echo(f"MBG/NBD (days): r={p.r:.4f} alpha={p.alpha:.2f} a={p.a:.4f} b={p.b:.4f}")

    typer.echo("\nreturn in the second half by tier at the split (days since last purchase)")
    typer.echo(f"{'tier':<8}{'customers':>10}{'any':>8}{'<=30d':>8}{'<=60d':>8}{'<=90d':>8}")
    for rate in report.tiers:
        within = "".join(f"{rate.returned_within_share[d]:>8.1%}" for d in (30, 60, 90))
        typer.echo(f"{rate.tier:<8}{rate.customers:>10}{rate.returned_share:>8.1%}{within}")
    verdict = "ordered as expected" if report.tiers_ordered else "NOT ordered as expected"
    typer.echo(f"tier return rates {verdict} (each heavier tier returns less)")

    tables = (
        ("P(still active)", report.calibration_by_alive),
        ("P(return in second half)", report.calibration_by_return),
    )
    for title, bins in tables:
        typer.echo(f"\ncalibration by {title} bin")
        typer.echo(f"{'bin':<12}{'customers':>10}{'P(alive)':>10}{'P(return)':>11}{'actual':>9}")
        for b in bins:
            typer.echo(
                f"{f'{b.low:.1f}-{b.high:.1f}':<12}{b.customers:>10}"
                f"{b.mean_probability_alive:>10.3f}{b.mean_predicted_return:>11.3f}"
                f"{b.actual_return:>9.3f}"
            )
    typer.echo(
        "actual = share who bought in the second half; P(return) = the model's probability of at "
        "least one purchase there, never above P(alive) (an active customer may not buy in time)."
    )
    typer.echo(
        f"overall: predicted return {report.mean_predicted_return:.3f}, "
        f"actual {report.actual_return:.3f}"
    )
    typer.echo(
        f"AUC for 'returned in second half': P(alive) {report.auc_probability_alive:.3f}, "
        f"P(return) {report.auc_predicted_return:.3f}, recency alone "
        f"{report.auc_recency:.3f}; Brier of P(return) {report.brier_predicted_return:.4f}"
    )


if __name__ == "__main__":
    app()
