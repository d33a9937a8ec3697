"""Application counters (prometheus_client), served on the API's and the worker's /metrics.

Increment them where the thing happens, once per thing: an activity that is retried or finds
its decision already recorded must not count it again.
"""

from prometheus_client import Counter, Gauge, Histogram

messages_decided = Counter(
    "journey_messages_decided",
    "Message decisions newly recorded in the contact ledger, by outcome (the status: "
    "pending, deferred, suppressed, failed) and reason",
    ["outcome", "reason"],
)
sends = Counter(
    "journey_sends",
    "Calls to a channel sender, by channel and result: sent, refused (final provider error), "
    "failed (retryable provider error) or unknown (cut off; may have been delivered)",
    ["channel", "result"],
)
llm_fallbacks = Counter(
    "journey_llm_fallbacks",
    "Copy written by the deterministic template instead of the LLM, by reason "
    "(e.g. unavailable, invalid_output, check_failed)",
    ["reason"],
)
llm_requests = Histogram(
    "journey_llm_request_seconds",
    "Calls to the LLM endpoint, by outcome (ok, format_rejected, llm_timeout, llm_http_error, "
    "llm_unavailable, llm_bad_response, llm_truncated): seconds until the answer was complete",
    ["outcome"],
    buckets=(0.25, 0.5, 1, 2, 4, 8, 16),
)
llm_copy = Counter(
    "journey_llm_copy",
    "Answers of the LLM judged by the checks: passed, or the reason of the first failed check",
    ["result"],
)
guardrail_deferrals = Counter(
    "journey_guardrail_deferrals",
    "Sends deferred by a guardrail (e.g. quiet_hours, daily_cap), by reason",
    ["reason"],
)
events_received = Counter(
    "journey_events_received",
    "Business events accepted by the API, by type and whether they were new or a duplicate",
    ["type", "duplicate"],
)
receipts_refused = Counter(
    "journey_receipts_refused",
    "Provider receipts refused because they named a message that provider did not carry",
    ["provider"],
)
workflow_task_failures = Counter(
    "journey_workflow_task_failures",
    "Workflow tasks that failed in this worker (undecodable payload, non-determinism): each "
    "one leaves its journey stuck until repaired; alert on any increase",
    ["workflow_type"],
)
wedged_journeys = Gauge(
    "journey_wedged_runs",
    "Running journeys Temporal marks with workflow task problems (TemporalReportedProblems), "
    "counted when the API's /metrics is scraped",
)
