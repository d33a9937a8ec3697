"""A workflow that breaks the determinism rule, for tests/test_workflow_sandbox.py.

A module of its own: the strict sandbox re-imports a workflow's module for every run, and a test
module's imports (HTTP clients, fixtures) are not for a sandbox."""

from datetime import datetime

from temporalio import workflow


@workflow.defn(name="ReadsTheWallClock")
class ReadsTheWallClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()  # what journey code must never do
