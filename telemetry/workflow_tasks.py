"""The alert for a wedged journey, raised by the worker that sees its workflow task fail.

The SDK logs every failed workflow activation (a payload it cannot decode, a non-determinism
error, an exception in workflow code) as a warning and retries the task for ever. This handler
turns each of those records into the counter `journey_workflow_task_failures_total` and an
error line naming the run, so an alert rule on either fires within one task attempt
(docs/wedged-journeys.md).
"""

import logging

import structlog

from telemetry import metrics

log = structlog.get_logger()
# Where the SDK logs a failed activation, and the mark it puts on those records.
SDK_LOGGER = "temporalio.worker._workflow_instance"
_MARK = "WorkflowTaskFailure"


class WorkflowTaskFailures(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "__temporal_error_identifier", None) != _MARK:
            return
        details = getattr(record, "temporal_workflow", None) or {}
        workflow_type = str(details.get("workflow_type", "unknown"))
        metrics.workflow_task_failures.labels(workflow_type).inc()
        error = record.exc_info[1] if record.exc_info else None
        log.error(
            "workflow task failed: the journey does nothing until it is repaired "
            "(journeyctl ops wedged)",
            workflow_id=details.get("workflow_id"),
            run_id=details.get("run_id"),
            workflow_type=workflow_type,
            error=(str(error).splitlines() or [""])[0][:300] if error else record.getMessage(),
            error_type=type(error).__name__ if error else None,
        )


def install_workflow_task_alert() -> None:
    """Once per process (a second worker in the same process adds nothing)."""
    logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(h, WorkflowTaskFailures) for h in logger.handlers):
        logger.addHandler(WorkflowTaskFailures())
