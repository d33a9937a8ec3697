"""The kill switches per journey and per channel, for `journeyctl switches` (cli/switches.py)
and the API (docs/alerts.md).

Paused, every send the switch covers is held (deferred with reason `paused`) and decided again
every few minutes; resumed, they go out. Each change is audited, as through the API.
"""

from datetime import UTC, datetime

from journeys.registry import JOURNEYS
from models.channels import Channel
from ops.audit import audited_command, cli_actor
from settings import Settings
from storage.database import create_engine, session_factory
from storage.switches import Switch, list_switches, set_switch, switch_id

KINDS = ("journey", "channel")


class UnknownSwitch(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def checked_switch_id(kind: str, name: str) -> str:
    """`journey:<kind>` or `channel:<channel>` for a journey or channel that exists."""
    if kind not in KINDS:
        raise UnknownSwitch("kind", f"unknown switch kind; one of: {', '.join(KINDS)}")
    if kind == "journey" and name not in {spec.kind for spec in JOURNEYS}:
        known = ", ".join(spec.kind for spec in JOURNEYS)
        raise UnknownSwitch("name", f"unknown journey; one of: {known}")
    if kind == "channel" and name not in {channel.value for channel in Channel}:
        raise UnknownSwitch("name", f"unknown channel; one of: {', '.join(Channel)}")
    return switch_id(kind, name)


async def change_switch(
    settings: Settings, kind: str, name: str, paused: bool, reason: str
) -> None:
    key = checked_switch_id(kind, name)
    switch = Switch(key, paused, reason, cli_actor(), datetime.now(UTC))
    action = "switch.pause" if paused else "switch.resume"
    async with audited_command(settings, action, key) as entry:
        entry.detail = {"reason": reason} if reason else {}
        engine = create_engine(settings.resolved_database_url, settings.keyring())
        try:
            async with session_factory(engine).begin() as session:
                await set_switch(session, switch)
        finally:
            await engine.dispose()


async def show_switches(settings: Settings) -> list[dict[str, object]]:
    engine = create_engine(settings.resolved_database_url, settings.keyring())
    try:
        async with session_factory(engine)() as session:
            found = await list_switches(session)
    finally:
        await engine.dispose()
    return [{**s.__dict__, "changed_at": s.changed_at.isoformat()} for s in found]
