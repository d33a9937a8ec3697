"""`journeyctl guardrails ...`: the rule table and one decision explained."""

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import AwareDatetime, BaseModel

from guardrails.decision_point import decide
from guardrails.decisions import Reason, Rule
from guardrails.feedback import feedback_state
from guardrails.inputs import ContactRecord, CustomerSnapshot, SendRequest
from guardrails.settings import GuardrailSettings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def main() -> None:
    """Guardrails: caps, quiet hours, silence, suppression and one-click unsubscribe."""


def rule_table(rules: GuardrailSettings) -> list[tuple[Rule, str, str, tuple[Reason, ...]]]:
    """(rule, outcome, limit with these settings, reason codes), in evaluation order."""
    quiet = f"{rules.quiet_hours_start:%H:%M}-{rules.quiet_hours_end:%H:%M} local"
    morning = f"{rules.quiet_hours_end:%H:%M}"
    interruptive = "/".join(sorted(rules.interruptive_channels))
    winback = (
        f"light {rules.winback_light_weekly_cap}, medium {rules.winback_medium_weekly_cap}, "
        f"heavy {rules.winback_heavy_weekly_cap} per local week"
    )
    return [
        (
            Rule.BLACKLIST,
            "suppress",
            f"{rules.complaints_for_blacklist} complaints, permanent",
            (Reason.BLACKLISTED,),
        ),
        (Rule.DEDUPE, "suppress", "1 message per trigger event", (Reason.DUPLICATE_TRIGGER,)),
        (
            Rule.ORDER_STATUS,
            "suppress",
            "nothing about a paid cart",
            (Reason.DISCOUNT_ON_PAID_CART, Reason.CART_ALREADY_PAID),
        ),
        (
            Rule.BENEFIT_FREQUENCY,
            "suppress",
            f"same benefit once per {rules.benefit_repeat_days:g} days",
            (Reason.BENEFIT_REPEATED,),
        ),
        (Rule.CONSENT, "next channel, else suppress", "consent per channel", (Reason.NO_CONSENT,)),
        (
            Rule.UNSUBSCRIBE,
            "next channel, else suppress",
            "unsubscribed channels",
            (Reason.UNSUBSCRIBED,),
        ),
        (
            Rule.CHANNEL_PREFERENCE,
            "next channel, else suppress",
            "channels the customer turned off",
            (Reason.CHANNEL_OFF,),
        ),
        (
            Rule.SILENCE,
            "next channel, else defer",
            f"{rules.silence_days:g} days on {interruptive} after "
            f"{rules.unopened_streak_for_silence} unopened ({rules.unopened_after_hours:g} h), "
            "a complaint or an unsubscribe",
            (Reason.SILENCE_UNOPENED, Reason.SILENCE_COMPLAINT, Reason.SILENCE_STORED),
        ),
        (
            Rule.SMS_WEEKLY_CAP,
            "next channel, else defer",
            f"{rules.sms_weekly_cap} SMS per local week",
            (Reason.SMS_WEEKLY_CAP,),
        ),
        (
            Rule.WEEKLY_CAP,
            f"defer to Monday {morning}",
            f"{rules.weekly_cap} per local ISO week",
            (Reason.WEEKLY_CAP,),
        ),
        (
            Rule.DAILY_CAP,
            f"defer to next day {morning}",
            f"{rules.daily_cap} per local day",
            (Reason.DAILY_CAP,),
        ),
        (
            Rule.WINBACK_WEEKLY_CAP,
            f"defer to Monday {morning}",
            winback,
            (Reason.WINBACK_WEEKLY_CAP,),
        ),
        (
            Rule.CROSS_SELL_WEEKLY_CAP,
            f"defer to Monday {morning}",
            f"{rules.cross_sell_weekly_cap} touches of the journey per local week",
            (Reason.CROSS_SELL_WEEKLY_CAP,),
        ),
        (
            Rule.CROSS_SELL_IMPORTANT_GAP,
            "defer",
            f"{rules.cross_sell_important_gap_hours:g} h between important touches",
            (Reason.CROSS_SELL_IMPORTANT_GAP,),
        ),
        (
            Rule.CROSS_SELL_JOURNEY_GAP,
            "defer",
            f"{rules.cross_sell_journey_gap_hours:g} h between touches of the journey",
            (Reason.CROSS_SELL_JOURNEY_GAP,),
        ),
        (Rule.QUIET_HOURS, f"defer to {morning}", quiet, (Reason.QUIET_HOURS,)),
        (
            Rule.DELIVER_BY,
            "suppress",
            "a deferral past the request's deliver_by",
            (Reason.PAST_DELIVER_BY,),
        ),
    ]


@app.command()
def rules(
    markdown: Annotated[bool, typer.Option(help="Print a Markdown table for a README.")] = False,
) -> None:
    """Print every rule in evaluation order with its default limit and reason codes."""
    table = rule_table(GuardrailSettings())
    if markdown:
        typer.echo("| # | rule | outcome | default | reason codes |")
        typer.echo("| --- | --- | --- | --- | --- |")
    for number, (rule, outcome, limit, reasons) in enumerate(table, start=1):
        codes = ", ".join(f"`{r}`" if markdown else r for r in reasons)
        if markdown:
            typer.echo(f"| {number} | `{rule}` | {outcome} | {limit} | {codes} |")
        else:
            typer.echo(f"{number:2d}. {rule:<26} {outcome:<28} {limit}  [{codes}]")
    typer.echo(f"{len(table)} rules")


class DecisionCase(BaseModel):
    """The input of `guardrails decide`: one request as the ledger transaction would see it."""

    request: SendRequest
    customer: CustomerSnapshot
    history: list[ContactRecord] = []
    now: AwareDatetime


@app.command(name="decide")
def decide_command(
    case_file: Annotated[
        Path, typer.Argument(help="JSON with request, customer, history and now.", exists=True)
    ],
) -> None:
    """Decide one send from a JSON case file and print the decision with the feedback state."""
    case = DecisionCase.model_validate_json(case_file.read_text())
    rules = GuardrailSettings()
    contacts = sum(1 for r in case.history if r.is_contact)
    typer.echo(f"history: {len(case.history)} records, {contacts} contacts")
    state = feedback_state(case.history, case.now, rules)
    typer.echo(f"feedback: {state.model_dump_json()}")
    decision = decide(case.request, case.customer, case.history, case.now, rules)
    typer.echo(json.dumps(decision.model_dump(mode="json"), indent=2))
