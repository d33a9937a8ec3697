"""The report page: KPIs against targets, the funnel, experiments, who wrote the copy —
server-rendered HTML with inline SVG charts, readable without JavaScript. Every value from the
records is escaped."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from string import Template

from sqlalchemy.ext.asyncio import AsyncSession

from experiments.definitions import Experiment
from experiments.lift import Lift
from offers.catalogue import Offer
from reports.copy_sources import CopySources, copy_sources
from reports.experiment_results import (
    ExperimentReport,
    ExperimentResult,
    GroupConversion,
    experiment_report,
)
from reports.funnel import Funnel, funnel
from reports.kpis import Kpi, KpiReport, kpi_report
from reports.period import Period
from reports.settings import ReportSettings
from reports.svg import funnel_chart, kpi_chart, lift_chart
from reports.targets import Direction, Unit
from reports.windows import describe

_TEMPLATE = Template((Path(__file__).parent / "templates" / "report.html").read_text("utf-8"))
DASH = "—"


def render_report_page(
    kpis: KpiReport, funnel_report: Funnel, experiments: ExperimentReport, copy: CopySources
) -> str:
    journey = (
        f"&middot; journey <b>{escape(funnel_report.journey)}</b>" if funnel_report.journey else ""
    )
    return _TEMPLATE.substitute(
        period_title=escape(f"{_date(kpis.since)} – {_date(kpis.until)}"),
        since=escape(_time(kpis.since)),
        until=escape(_time(kpis.until)),
        computed_at=escape(_time(kpis.computed_at)),
        journey_note=journey,
        kpi_chart=kpi_chart(kpis.kpis, format_value),
        kpi_table=_kpi_table(kpis.kpis),
        conversion_window=escape(describe(funnel_report.default_conversion_window)),
        funnel_chart=funnel_chart(funnel_report.journeys)
        if funnel_report.journeys
        else "<p>No message sent in the period.</p>",
        funnel_table=_funnel_table(funnel_report),
        experiments="".join(_experiment(result) for result in experiments.experiments)
        or "<p>No experiment defined or recorded.</p>",
        copy_sources=_copy_sources(copy),
    )


def format_value(kpi: Kpi, value: float) -> str:
    return f"{value:.2f} CNY" if kpi.unit is Unit.CNY else f"{value:.1%}"


def _kpi_table(kpis: Sequence[Kpi]) -> str:
    rows = []
    for kpi in kpis:
        word = "≥" if kpi.direction is Direction.AT_LEAST else "≤"
        if kpi.meets_target is None:
            status = '<span class="unknown">no data</span>'
        elif kpi.meets_target:
            status = '<span class="meets">meets</span>'
        else:
            status = '<span class="misses">misses</span>'
        value = DASH if kpi.value is None else format_value(kpi, kpi.value)
        counts = ", ".join(f"{k.replace('_', ' ')} {_count(v)}" for k, v in kpi.counts.items())
        definition = escape(kpi.definition)
        if kpi.unavailable:
            definition += f"<br><b>Not computable:</b> {escape(kpi.unavailable)}"
        rows.append(
            f'<tr data-kpi="{escape(kpi.key)}"><td>{escape(kpi.label)}</td>'
            f'<td class="num value">{value}</td>'
            f'<td class="num">{word} {format_value(kpi, kpi.target)}</td>'
            f'<td class="num">{format_value(kpi, kpi.baseline)}</td><td>{status}</td>'
            f"<td>{escape(counts) or DASH}</td><td class='num'>{kpi.open_windows}</td>"
            f'<td class="definition">{definition}</td></tr>'
        )
    return _table(
        "kpi-table",
        ["KPI", "Value", "Target", "Baseline", "Status", "Computed from", "Open windows", "How"],
        rows,
    )


def _funnel_table(funnel: Funnel) -> str:
    rows = []
    for row in funnel.rows:
        cells = [row.journey, row.step, row.channel or DASH, row.experiment_id or DASH]
        cells.append(row.arm or DASH)
        numbers = [
            row.sent,
            row.held_out,
            row.delivered,
            row.opened,
            row.clicked,
            row.converted,
            row.held_out_converted,
            row.unsubscribed,
            row.complained,
            row.bounced,
        ]
        rates = [
            _rate(row.clicked, row.sent),
            _rate(row.converted, row.sent),
            _rate(row.held_out_converted, row.held_out),
        ]
        rows.append(
            "<tr>"
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + "".join(f'<td class="num">{n}</td>' for n in numbers)
            + "".join(f'<td class="num">{r}</td>' for r in rates)
            + "</tr>"
        )
    total = funnel.total
    return _table(
        "funnel-table",
        [
            "Journey",
            "Step",
            "Channel",
            "Experiment",
            "Arm",
            "Sent",
            "Held out",
            "Delivered",
            "Opened",
            "Clicked",
            "Converted",
            "Held out, converted",
            "Unsubscribed",
            "Complained",
            "Bounced",
            "CTR",
            "Conversion",
            "Held-out conversion",
        ],
        rows,
        footer=f"Total: {total.sent} sent, {total.delivered} delivered, {total.opened} opened, "
        f"{total.clicked} clicked, {total.converted} converted; {total.held_out} held out, "
        f"{total.held_out_converted} of them converted.",
    )


def _copy_sources(copy: CopySources) -> str:
    rows = [
        f'<tr data-journey="{escape(row.journey)}" data-channel="{escape(row.channel or "")}">'
        f"<td>{escape(row.journey)}</td><td>{escape(row.channel or DASH)}</td>"
        f'<td class="num">{row.written}</td><td class="num">{row.llm}</td>'
        f'<td class="num">{row.llm_retry}</td><td class="num">{row.template}</td>'
        f'<td class="num fallback-rate">{_share(row.fallback_rate)}</td></tr>'
        for row in copy.rows
    ]
    total = copy.total
    table = _table(
        "copy-table",
        ["Journey", "Channel", "Written", "LLM", "LLM after a retry", "Template", "Fallback rate"],
        rows,
    )
    reasons = _table(
        "fallback-reasons",
        ["Why the template was used", "Messages"],
        [
            f'<tr data-reason="{escape(reason)}"><td><code>{escape(reason)}</code></td>'
            f'<td class="num">{count}</td></tr>'
            for reason, count in copy.fallback_reasons.items()
        ],
    )
    return (
        f'<p class="lift" id="fallback-rate">Fallback rate <b>{_share(total.fallback_rate)}</b>: '
        f"{total.template} of {total.written} messages from the template, {total.llm} from the "
        f"LLM on its first try, {total.llm_retry} after a retry.</p>{table}{reasons}"
    )


def _experiment(result: ExperimentResult) -> str:
    facts = [f"metric {result.metric}" if result.metric else "not defined in any journey"]
    if result.journey:
        facts.insert(0, f"journey {result.journey}, step {result.step}")
    if result.allocation:
        facts.append(f"allocation {result.allocation}")
    if result.holdout_share is not None:
        facts.append(f"holdout {result.holdout_share:.0%}")
    refreshed = _time(result.refreshed_at) if result.refreshed_at else "never"
    facts.append(f"posteriors refreshed {refreshed}")
    winner = (
        f'<p class="winner">Promoted winner: <b>{escape(result.winner.arm_id)}</b> '
        f"(P(best) {result.winner.probability_best:.1%} at {_time(result.winner.promoted_at)})</p>"
        if result.winner
        else ""
    )
    arms = []
    for arm in result.arms:
        trials = (
            DASH
            if arm.successes is None or arm.failures is None
            else f"{arm.successes} / {arm.successes + arm.failures}"
        )
        arms.append(
            f'<tr data-arm="{escape(arm.arm_id)}"><td>{escape(arm.arm_id)}</td>'
            f"{_conversion_cells(arm.conversion)}"
            f'<td class="num">{_lift_text(arm.lift)}</td><td class="num">{trials}</td>'
            f'<td class="num">{DASH if arm.pending is None else arm.pending}</td>'
            f'<td class="num posterior-mean">{_share(arm.posterior_mean)}</td>'
            f'<td class="num p-best">{_share(arm.probability_best)}</td></tr>'
        )
    arm_table = _table(
        f"arms-{result.experiment_id}",
        [
            "Arm",
            "Customers",
            "Converted",
            "Conversion",
            "Lift vs holdout",
            "Successes / trials",
            "Pending",
            "Posterior mean",
            "P(best)",
        ],
        arms,
    )
    lift = (
        f'<p class="lift">Treated {_group(result.treated)} vs holdout {_group(result.holdout)}: '
        f"lift <b>{_lift_text(result.lift)}</b></p><figure>{lift_chart(result.lift)}</figure>"
        if result.lift
        else f'<p class="lift">Lift not measurable: {escape(result.lift_unavailable or "")} '
        f"(treated {_group(result.treated)}, holdout {_group(result.holdout)}).</p>"
    )
    return (
        f'<section class="experiment" id="experiment-{escape(result.experiment_id)}">'
        f"<h3>{escape(result.experiment_id)}</h3><p class='meta'>{escape('; '.join(facts))}</p>"
        f"{winner}{lift}{arm_table}</section>"
    )


def _conversion_cells(conversion: GroupConversion) -> str:
    return (
        f'<td class="num">{conversion.customers}</td><td class="num">{conversion.converted}</td>'
        f'<td class="num">{_share(conversion.rate)}</td>'
    )


def _group(conversion: GroupConversion) -> str:
    return f"{conversion.converted}/{conversion.customers} ({_share(conversion.rate)})"


def _lift_text(measured: Lift | None) -> str:
    if measured is None:
        return DASH
    return (
        f"{measured.difference * 100:+.1f} pt "
        f"[{measured.low * 100:+.1f}, {measured.high * 100:+.1f}]"
    )


def _table(table_id: str, headers: Sequence[str], rows: list[str], footer: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(rows) or f'<tr><td colspan="{len(headers)}">none</td></tr>'
    caption = f'<p class="note">{escape(footer)}</p>' if footer else ""
    return (
        f'<div class="scroll"><table id="{escape(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>{caption}"
    )


def _rate(numerator: int, denominator: int) -> str:
    return _share(numerator / denominator if denominator else None)


def _share(value: float | None) -> str:
    return DASH if value is None else f"{value:.1%}"


def _count(value: float) -> str:
    return f"{value:.2f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _date(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


async def build_report_page(
    session: AsyncSession,
    period: Period,
    journey: str | None,
    now: datetime,
    settings: ReportSettings,
    experiments: Mapping[str, Experiment],
    offers: Mapping[str, Offer],
) -> str:
    """Compute the reports over `period` and render them as one page."""
    return render_report_page(
        await kpi_report(session, period, now, settings, offers),
        await funnel(session, period, experiments, settings.conversion_window, journey),
        await experiment_report(session, period, experiments, settings.conversion_window),
        await copy_sources(session, period, journey),
    )
