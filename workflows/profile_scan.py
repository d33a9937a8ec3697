"""The profile scan: the hourly batch of tags and the daily dormancy scan (Temporal Schedules
start it, workers/schedules.py), then the journeys of the segments customers entered.

Deterministic; the work is in activities, each resumable: the cursor over customers and the
count of entries left live in the workflow, so a worker that dies mid-scan hands the scan to
another at the page it was on, and the entries it had not started yet are still pending.
"""

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.profile import EdgesRequest, PageRequest, ProfileActivities, StartRequest
    from workflows.sending import ACTIVITY_RETRY

PAGE_TIMEOUT = timedelta(minutes=5)
# Long enough for a batch of starts at the slowest rate; the heartbeat shows it is alive.
START_TIMEOUT = timedelta(minutes=30)
START_HEARTBEAT = timedelta(seconds=60)
PAGES_PER_RUN = 200


class ScanInput(BaseModel):
    scan: Literal["on_change", "daily"] = "on_change"
    page_size: int = 200
    starts_per_second: float = 20.0
    starts_per_activity: int = 500
    # Carried over a continue-as-new.
    after: str | None = None
    customers: int = 0
    entries: int = 0
    pages_done: bool = False


class ScanResult(BaseModel):
    customers: int
    entries: int
    journeys: int
    pages_seconds: float = Field(description="recomputing every customer (this run's share)")
    starts_seconds: float = Field(description="starting the entries' journeys")


@workflow.defn(name="ProfileScan")
class ProfileScanWorkflow:
    @workflow.run
    async def run(self, scan: ScanInput) -> ScanResult:
        now = workflow.now()
        cause = f"{'scan' if scan.scan == 'daily' else 'batch'}:{workflow.info().workflow_id}"
        if not scan.pages_done:
            if scan.after is None and scan.customers == 0:
                await workflow.execute_activity_method(
                    ProfileActivities.refresh_rfm_edges,
                    EdgesRequest(now=now),
                    start_to_close_timeout=PAGE_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )
            for _ in range(PAGES_PER_RUN):
                page = await workflow.execute_activity_method(
                    ProfileActivities.refresh_profile_page,
                    PageRequest(
                        after=scan.after, limit=scan.page_size, now=now, cause=cause, scan=scan.scan
                    ),
                    start_to_close_timeout=PAGE_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )
                scan = scan.model_copy(
                    update={
                        "after": page.next_after,
                        "customers": scan.customers + page.customers,
                        "entries": scan.entries + page.entries,
                    }
                )
                if page.next_after is None:
                    scan = scan.model_copy(update={"pages_done": True})
                    break
            else:
                workflow.continue_as_new(scan)
        pages_seconds = (workflow.now() - now).total_seconds()
        journeys = 0
        while True:
            report = await workflow.execute_activity_method(
                ProfileActivities.start_segment_entries,
                StartRequest(limit=scan.starts_per_activity, per_second=scan.starts_per_second),
                start_to_close_timeout=START_TIMEOUT,
                heartbeat_timeout=START_HEARTBEAT,
                retry_policy=ACTIVITY_RETRY,
            )
            journeys += report.journeys
            if report.remaining == 0 or report.started == 0:
                break
        return ScanResult(
            customers=scan.customers,
            entries=scan.entries,
            journeys=journeys,
            pages_seconds=pages_seconds,
            starts_seconds=(workflow.now() - now).total_seconds() - pages_seconds,
        )
