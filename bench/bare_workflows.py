"""The bare side of the side-by-side benchmarks: the least a Temporal workflow can do.

In a module of its own (not a script's __main__) so the workflow sandbox can import it.
"""

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def bare_activity(n: int) -> int:
    return n


@workflow.defn
class BareOneActivity:
    @workflow.run
    async def run(self, n: int) -> int:
        return await workflow.execute_activity(
            bare_activity, n, start_to_close_timeout=timedelta(seconds=30)
        )
