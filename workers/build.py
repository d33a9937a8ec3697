"""Which workflows and activities a worker runs, with which clients."""

from opentelemetry.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.alerts import AlertActivities
from activities.experiments import ExperimentActivities
from activities.facts import JourneyFactsActivities
from activities.profile import ProfileActivities
from activities.recommendations import RecommendationActivities
from activities.sending import SendActivities
from activities.webhooks import WebhookActivities
from channels.setup import build_channels
from channels.smtp import SmtpSender
from content.database_cache import DatabaseCopyCache
from profiles.segment_starts import SegmentStarter
from scoring.model import IntentModel
from scoring.settings import repo_path
from sending import SendPath
from sending.setup import build_send_path
from settings import Settings
from storage.database import autocommit
from telemetry.senders import instrument_senders
from telemetry.workflow_tasks import install_workflow_task_alert
from webhooks.completed import closed_journeys
from webhooks.delivery import WebhookSender
from workers.build_id import source_build_id
from workflows.alerts import AlertsWorkflow
from workflows.experiment_refresh import ExperimentRefreshWorkflow
from workflows.journey import JourneyWorkflow
from workflows.profile_scan import ProfileScanWorkflow
from workflows.recommendation_retrain import RecommendationRetrainWorkflow
from workflows.webhook_delivery import WebhookDeliveryWorkflow

# Pollers per task kind: the SDK's default of 5, not the CPU, bounds throughput (CONVENTIONS.md).
POLLERS = 20


def build_worker(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tracer_provider: TracerProvider | None = None,
    reads: async_sessionmaker[AsyncSession] | None = None,
) -> Worker:
    """Tracing of workflows and activities comes with the client (telemetry.tracing.traced_client);
    `tracer_provider` is for the span around each send (None: the process's global provider).
    `reads` serve the journeys' fact reads (storage.database.read_engine; default: `sessions`
    without transactions)."""
    install_workflow_task_alert()
    intent_model = IntentModel.load(repo_path(settings.scoring.model_path))
    facts = JourneyFactsActivities(
        sessions, reads or autocommit(sessions), intent_model, settings.scoring, settings.dormancy
    )
    sending = SendActivities(worker_send_path(settings, sessions, intent_model, tracer_provider))
    experiments = ExperimentActivities(sessions, settings.experiments.probability_best_draws)
    profile = ProfileActivities(sessions, SegmentStarter(sessions, client, settings.task_queue))
    # One HTTP client for the worker's life, made at the first delivery (webhooks/delivery.py).
    webhooks = WebhookActivities(
        WebhookSender(sessions, None, settings.webhooks, closed_journeys(client))
    )
    alerts = AlertActivities(
        sessions, settings.alerts, SmtpSender(settings) if settings.smtp_host else None
    )
    recommendations = RecommendationActivities(
        sessions, settings.recommendations, settings.data_dir / "recommendations", settings.alerts
    )
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[
            JourneyWorkflow,
            ExperimentRefreshWorkflow,
            ProfileScanWorkflow,
            WebhookDeliveryWorkflow,
            AlertsWorkflow,
            RecommendationRetrainWorkflow,
        ],
        activities=[
            sending.decide_and_deliver,
            # Runs from before the interpreter's third version decide and deliver apart.
            sending.prepare_message,
            sending.deliver_message,
            facts.admit,
            facts.customer_facts,
            # Runs from before the interpreter's fourth version admit in two reads.
            facts.enter_journey,
            experiments.refresh_experiments,
            profile.refresh_rfm_edges,
            profile.refresh_profile_page,
            profile.start_segment_entries,
            webhooks.deliver_webhooks,
            alerts.evaluate_alerts,
            recommendations.check_recommendation_outcomes,
            recommendations.retrain_recommendations,
        ],
        workflow_runner=workflow_runner(strict=settings.strict_workflow_sandbox),
        build_id=settings.worker_build_id or source_build_id(),
        max_concurrent_workflow_task_polls=POLLERS,
        max_concurrent_activity_task_polls=POLLERS,
    )


def worker_send_path(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    intent_model: IntentModel,
    tracer_provider: TracerProvider | None = None,
) -> SendPath:
    """The send path as the worker runs it: providers by settings (channels/setup.py: HTTP
    providers, SMTP, else the dev outbox), each send traced, copy cached in the database."""
    channels = build_channels(settings, sessions)
    channels.senders = instrument_senders(channels.senders, tracer_provider)
    return build_send_path(settings, sessions, intent_model, channels, DatabaseCopyCache(sessions))


def workflow_runner(strict: bool) -> WorkflowRunner:
    """The sandbox, re-importing the workflow code for every run, when `strict`; else none.

    Strict, a non-deterministic call in journey code (the clock, randomness, I/O) fails the run:
    the test suite runs so, which is where such a call would show. Not strict (production), the
    code runs as imported, shared by every run and not inspected: the sandbox's per-activation
    bookkeeping was a sixth of the worker's CPU per send (bench/send_bench.py). The
    interpreter keeps no module-level state, so sharing the module between runs is safe.
    """
    if strict:
        return SandboxedWorkflowRunner()
    return UnsandboxedWorkflowRunner()
