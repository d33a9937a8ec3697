"""Which interpreter patches the open journey runs recorded: when a patch's old branch may go.

A run that records `workflow.patched(id)` also gets `id` in its `TemporalChangeVersion` search
attribute, so visibility can count, per patch, the open runs that take its new branch and those
that still need the old one (docs/patches.md). A run not yet woken by its first event has
recorded nothing and counts as lacking every patch until it is.
"""

from dataclasses import dataclass

from temporalio.client import Client

from ops.queries import journey_types_clause, literal
from workflows.journey import INTERPRETER_V2, INTERPRETER_V3, INTERPRETER_V4

# Each patch, and the patches whose record means a run takes its new branch: from v4 on a new
# run records v4 alone, which implies v2 and v3.
PATCHES: dict[str, tuple[str, ...]] = {
    INTERPRETER_V2: (INTERPRETER_V2, INTERPRETER_V4),
    INTERPRETER_V3: (INTERPRETER_V3, INTERPRETER_V4),
    INTERPRETER_V4: (INTERPRETER_V4,),
}


@dataclass(frozen=True)
class PatchCensus:
    patch: str
    recorded: int  # open runs that recorded this very patch
    lacking: int  # open runs that take its old branch

    @property
    def old_branch_may_go(self) -> bool:
        return self.lacking == 0


async def patch_census(client: Client, where: str | None = None) -> tuple[int, list[PatchCensus]]:
    """The open journey runs (matching `where`, a visibility clause, if given), and per patch
    how many recorded it and how many lack it."""
    open_runs = f"{journey_types_clause()} AND ExecutionStatus = 'Running'"
    if where:
        open_runs = f"{open_runs} AND ({where})"
    total = (await client.count_workflows(open_runs)).count
    census = []
    for patch, implied_by in PATCHES.items():
        recorded = await client.count_workflows(
            f"{open_runs} AND TemporalChangeVersion = {literal(patch)}"
        )
        newer = ", ".join(literal(p) for p in implied_by)
        taking_new = await client.count_workflows(
            f"{open_runs} AND TemporalChangeVersion IN ({newer})"
        )
        census.append(PatchCensus(patch, recorded.count, total - taking_new.count))
    return total, census
