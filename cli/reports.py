"""`journeyctl reports ...` (KPIs, funnel, a signed page link) and the bandit commands that
`cli/main.py` hangs under `journeyctl experiments` (refresh, report)."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.durations import parse_duration
from offers.catalogue import load_catalogue
from recommendations.outcomes import attribute_orders
from reports.bandit_state import RefreshResult, refresh_all
from reports.experiment_results import ExperimentReport, ExperimentResult, experiment_report
from reports.funnel import Funnel, funnel
from reports.kpis import KpiReport, kpi_report
from reports.links import ReportQuery, link_secret, make_report_token
from reports.page import format_value
from reports.period import Period, resolve_period
from reports.pick_outcomes import PickOutcomes, pick_outcomes
from reports.registry import journey_kinds, registered_experiments
from reports.targets import Direction
from settings import Settings
from storage.database import create_engine, session_factory
from terminal.output import render_table

app = typer.Typer(no_args_is_help=True)
T = TypeVar("T")

SinceOption = Annotated[
    str | None,
    typer.Option(help="start: ISO time (UTC if no offset) or a duration back from now, e.g. 7d"),
]
UntilOption = Annotated[str | None, typer.Option(help="end (exclusive), as --since; default now")]


@app.callback()
def main() -> None:
    """Reports from our own records: KPIs against targets, the funnel, the report page."""


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.now(UTC) - parse_duration(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as err:
        raise typer.BadParameter(f"not a time or duration: {text!r}", param_hint=option) from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _period(settings: Settings, since: str | None, until: str | None) -> Period:
    try:
        return resolve_period(
            _moment(since, "--since"),
            _moment(until, "--until"),
            datetime.now(UTC),
            settings.reports.default_period,
            settings.reports.max_period,
        )
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--since") from err


def _with_sessions(
    settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    async def run() -> T:
        engine = create_engine(settings.resolved_database_url, settings.keyring())
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


@app.command()
def kpis(since: SinceOption = None, until: UntilOption = None) -> None:
    """The business KPIs of PRODUCT.md against their targets, with the counts behind each."""
    settings = Settings()
    period = _period(settings, since, until)
    offers = {offer.offer_id: offer for offer in load_catalogue().offers}

    async def work(sessions: async_sessionmaker[AsyncSession]) -> KpiReport:
        async with sessions() as session:
            return await kpi_report(session, period, datetime.now(UTC), settings.reports, offers)

    report = _with_sessions(settings, work)
    typer.echo(f"KPIs for {period.since:%Y-%m-%d %H:%M} – {period.until:%Y-%m-%d %H:%M} UTC")
    rows = []
    for kpi in report.kpis:
        value = "n/a" if kpi.value is None else format_value(kpi, kpi.value)
        word = ">=" if kpi.direction is Direction.AT_LEAST else "<="
        status = {True: "meets", False: "misses", None: "-"}[kpi.meets_target]
        counts = ", ".join(f"{k} {v:g}" for k, v in kpi.counts.items())
        if kpi.unavailable:
            counts = "not computable from our records (see the API's `unavailable`)"
        target = f"{word} {format_value(kpi, kpi.target)}"
        rows.append([kpi.key, value, target, status, str(kpi.open_windows), counts])
    typer.echo(render_table(["kpi", "value", "target", "status", "open", "counts"], rows))


@app.command("funnel")
def funnel_command(
    journey: Annotated[str | None, typer.Option(help="one journey kind")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Sent → delivered → opened → clicked → converted per journey, step, channel and arm."""
    settings = Settings()
    period = _period(settings, since, until)
    if journey is not None and journey not in journey_kinds():
        raise typer.BadParameter(f"unknown journey {journey!r}", param_hint="--journey")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Funnel:
        async with sessions() as session:
            return await funnel(
                session,
                period,
                registered_experiments(),
                settings.reports.conversion_window,
                journey,
            )

    report = _with_sessions(settings, work)
    columns = [
        "sent",
        "delivered",
        "opened",
        "clicked",
        "converted",
        "unsubscribed",
        "held_out",
        "held_out_converted",
    ]
    rows = [
        [row.journey, row.step, row.channel or "-", row.arm or "-"]
        + [str(getattr(row, c)) for c in columns]
        for row in report.rows
    ]
    typer.echo(render_table(["journey", "step", "channel", "arm", *columns], rows))


@app.command("picks")
def picks_command(since: SinceOption = None, until: UntilOption = None) -> None:
    """Click-through and order rate of the recommended picks, per kind and explored or not."""
    settings = Settings()
    period = _period(settings, since, until)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[PickOutcomes]:
        async with sessions.begin() as session:
            await attribute_orders(session, period.since, period.until)
            return await pick_outcomes(session, period)

    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    rows = [
        [
            row.kind,
            "-" if row.explored is None else ("explored" if row.explored else "exploited"),
            str(row.shown),
            str(row.clicked),
            str(row.ordered),
            rate(row.click_through),
            rate(row.order_rate),
        ]
        for row in _with_sessions(settings, work)
    ]
    header = ["kind", "slot", "shown", "clicked", "ordered", "click-through", "order rate"]
    typer.echo(render_table(header, rows))


@app.command()
def link(
    base_url: Annotated[
        str, typer.Option(help="where the API is reached")
    ] = "http://127.0.0.1:8000",
    journey: Annotated[str | None, typer.Option(help="one journey kind")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    ttl: Annotated[str, typer.Option(help="life of the link, e.g. 15m, 2h")] = "15m",
) -> None:
    """Print a short-lived signed link to the report page, for a browser."""
    settings = Settings()
    try:
        life = parse_duration(ttl)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--ttl") from err
    if life > settings.reports.max_link_ttl:
        raise typer.BadParameter(f"at most {settings.reports.max_link_ttl}", param_hint="--ttl")
    query = ReportQuery(
        since=_moment(since, "--since"), until=_moment(until, "--until"), journey=journey
    )
    expires_at = datetime.now(UTC) + life
    token = make_report_token(query, link_secret(settings), expires_at)
    typer.echo(f"{base_url.rstrip('/')}/reports/{token}")
    typer.echo(f"valid until {expires_at:%Y-%m-%d %H:%M:%S} UTC")


def refresh() -> None:
    """Recount every experiment's arm posteriors from the ledger and promote winners."""
    settings = Settings()
    experiments = list(registered_experiments().values())
    typer.echo(f"refreshing {len(experiments)} experiment(s)")

    def show(result: RefreshResult) -> None:
        arms = ", ".join(
            f"{arm.arm_id} {arm.posterior.successes}/{arm.posterior.trials} "
            f"(mean {arm.posterior.mean:.3f}, P(best) {arm.probability_best or 0:.2f}, "
            f"{arm.pending} pending)"
            for arm in result.arms
        )
        promoted = ""
        if result.winner is not None:
            promoted = f"; winner {result.winner.arm_id}" + (
                " (promoted now)" if result.promoted_now else ""
            )
        typer.echo(f"{result.experiment_id}: {arms}{promoted}")

    _with_sessions(
        settings,
        lambda sessions: refresh_all(
            sessions,
            experiments,
            datetime.now(UTC),
            settings.experiments.probability_best_draws,
            progress=show,
        ),
    )


def report(since: SinceOption = None, until: UntilOption = None) -> None:
    """Each experiment's arms (stored posteriors, P(best), winner) and its holdout lift."""
    settings = Settings()
    period = _period(settings, since, until)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> ExperimentReport:
        async with sessions() as session:
            return await experiment_report(
                session, period, registered_experiments(), settings.reports.conversion_window
            )

    for result in _with_sessions(settings, work).experiments:
        _print_experiment(result)


def _print_experiment(result: ExperimentResult) -> None:
    typer.echo(f"\n{result.experiment_id} ({result.metric or 'not defined in any journey'})")
    treated, holdout = result.treated, result.holdout
    typer.echo(
        f"  treated {treated.converted}/{treated.customers}, "
        f"holdout {holdout.converted}/{holdout.customers}"
    )
    if result.lift is not None:
        lift = result.lift
        typer.echo(
            f"  lift {lift.difference:+.2%} [{lift.low:+.2%}, {lift.high:+.2%}] "
            f"({lift.confidence:.0%}, {lift.method})"
        )
    else:
        typer.echo(f"  lift n/a: {result.lift_unavailable}")
    rows = [
        [
            arm.arm_id,
            f"{arm.conversion.converted}/{arm.conversion.customers}",
            "-" if arm.posterior_mean is None else f"{arm.posterior_mean:.3f}",
            "-" if arm.probability_best is None else f"{arm.probability_best:.2f}",
        ]
        for arm in result.arms
    ]
    typer.echo(render_table(["arm", "converted", "posterior mean", "P(best)"], rows))
    if result.winner is not None:
        typer.echo(f"  promoted winner: {result.winner.arm_id}")
