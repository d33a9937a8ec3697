"""The database tables (SQLAlchemy 2). Migrations in storage/migrations follow this file."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy import event as orm_event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

from encryption.keyring import Keyring, normalise_email, normalise_phone


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _written_now() -> datetime:
    return datetime.now(UTC)


def keyring_of(dialect: Dialect) -> Keyring:
    """The keys of the engine the statement runs on (storage.database.create_engine)."""
    keyring = getattr(dialect, "journeys_keyring", None)
    if keyring is None:
        raise RuntimeError("engine without a keyring: create it with storage.database")
    return keyring


class EncryptedText(TypeDecorator[str]):
    """A contact detail, encrypted at rest under the engine's keyring (AES-GCM, the key's id in
    the stored text, bound to its column). Equality in SQL cannot work on it: find customers
    through the keyed hash columns (storage/contacts.py)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).seal_text(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).open_text(value, self.purpose)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, float: Float}


def table(row: type[Base]) -> Table:
    """The Core table of a mapped class, for statements built once with Core (`__table__` is
    only a FromClause to a type checker; the metadata holds it as the Table it is)."""
    return row.metadata.tables[row.__tablename__]


class CustomerRow(Base):
    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    # Contact details, encrypted at rest; email and phone also as keyed hashes, to look up by.
    email: Mapped[str | None] = mapped_column(EncryptedText("customers.email"))
    phone: Mapped[str | None] = mapped_column(EncryptedText("customers.phone"))
    push_token: Mapped[str | None] = mapped_column(EncryptedText("customers.push_token"))
    wechat_openid: Mapped[str | None] = mapped_column(EncryptedText("customers.wechat_openid"))
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    wechat_openid_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    consent: Mapped[dict[str, Any]]
    attributes: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Guardrail state that outlives the ledger window the decisions read.
    unsubscribed_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    silence_until: Mapped[datetime | None]
    blacklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped by every send decision: the row lock that serialises a customer's decisions.
    decision_seq: Mapped[int] = mapped_column(Integer, default=0)


@orm_event.listens_for(CustomerRow, "before_insert")
@orm_event.listens_for(CustomerRow, "before_update")
def _lookup_hashes(_mapper: Mapper[CustomerRow], connection: Connection, row: CustomerRow) -> None:
    keyring = keyring_of(connection.dialect)
    row.email_hash = keyring.lookup_hash(normalise_email(row.email)) if row.email else None
    row.phone_hash = keyring.lookup_hash(normalise_phone(row.phone)) if row.phone else None
    row.wechat_openid_hash = keyring.lookup_hash(row.wechat_openid) if row.wechat_openid else None


class CustomerInterestRow(Base):
    """The interest categories a customer chose at signup: the latest signup event's list."""

    __tablename__ = "customer_interests"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    categories: Mapped[list[str]] = mapped_column(JSON)
    # When the signup that set them happened: an older signup arriving late changes nothing.
    chosen_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EventRow(Base):
    """Every accepted event, stored before it is routed; `routed_at` stays empty until it is."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_customer_occurred", "customer_id", "occurred_at"),)

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    properties: Mapped[dict[str, Any]]
    routed_at: Mapped[datetime | None]
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class MessageRow(Base):
    """The contact ledger: one row per send a journey decided, unique on its idempotency key."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_customer_created", "customer_id", "created_at"),
        Index("ix_messages_workflow", "workflow_id"),
        Index("ix_messages_trigger", "customer_id", "trigger_event_id"),
        Index("ix_messages_provider_ref", "provider_ref"),
        Index("ix_messages_changed", "changed_at"),
    )

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(400), unique=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    journey: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(256))
    step: Mapped[str] = mapped_column(String(64))
    trigger_event_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str | None] = mapped_column(String(32))
    # Whose rule decided (business, customer), and for a message a deferral would have carried
    # past its deliver-by, the reason of the rule that held it (daily_cap, quiet_hours, ...).
    rule_source: Mapped[str | None] = mapped_column(String(16))
    blocked_by: Mapped[str | None] = mapped_column(String(32))
    deferred_until: Mapped[datetime | None]
    importance: Mapped[str] = mapped_column(String(16), default="normal")
    benefit_id: Mapped[str | None] = mapped_column(String(64))
    segment: Mapped[str | None] = mapped_column(String(8))
    # The experiment this send was part of and the arm it got ("holdout" for the holdout group).
    experiment_id: Mapped[str | None] = mapped_column(String(64))
    # Where delivery may fall over to after a final refusal, best first (passed the guardrails).
    fallback_channels: Mapped[list[str] | None] = mapped_column(JSON)
    arm_id: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Which path wrote the copy (llm, llm_retry, template) and the check failures on the way.
    content_path: Mapped[str | None] = mapped_column(String(16))
    content_notes: Mapped[str | None] = mapped_column(String(400))
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    cta: Mapped[str | None] = mapped_column(Text)
    disclaimers: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    delivery_started_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    provider_ref: Mapped[str | None] = mapped_column(String(256))
    opened_at: Mapped[datetime | None]
    clicked_at: Mapped[datetime | None]
    complained_at: Mapped[datetime | None]
    # Feedback from providers' receipts (storage/feedback.py): undeliverable after acceptance,
    # and the unsubscribe this message led to.
    bounced_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    # When the row was last written (decided, delivered, any feedback), by the writer's clock,
    # on every INSERT and UPDATE through SQLAlchemy: the webhooks' collector reads the rows
    # written since its last pass (the feedback columns hold when the customer acted, which a
    # provider may report hours later). NULL: last written a week or more before migration 0019.
    changed_at: Mapped[datetime | None] = mapped_column(default=_written_now, onupdate=_written_now)


class CopyCacheRow(Base):
    """Generated copy per (template version, context hash): a retry or replay reuses it."""

    __tablename__ = "copy_cache"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    context_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class OutboxRow(Base):
    """What the dev outbox 'sent': the stand-in for channels with no provider configured."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("messages.message_id"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class DeliveryAttemptRow(Base):
    """Every call to a provider for a message and how it ended: the audit of retries and
    failovers behind the ledger row's final status."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_message", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(64), ForeignKey("messages.message_id"))
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))  # sent | retry | failed | unknown
    reason: Mapped[str] = mapped_column(String(64))
    provider_ref: Mapped[str | None] = mapped_column(String(256))
    # Who was called (twilio, tencent, gateway, fcm, ...; channels/setup.py): a channel's
    # provider changes with the settings. None: no provider was called (no address, no consent).
    provider: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]


class ReceiptRow(Base):
    """Each provider receipt (delivered, opened, clicked, bounced, complained, unsubscribed),
    kept once: a replayed receipt finds its key taken and changes nothing."""

    __tablename__ = "message_receipts"
    __table_args__ = (
        Index("ix_message_receipts_customer", "customer_id", "type"),
        Index("ix_message_receipts_received", "type", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    receipt_key: Mapped[str] = mapped_column(String(300), unique=True)  # <provider>:<receipt id>
    provider: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(64), ForeignKey("messages.message_id"))
    customer_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # The journey event (message_opened/message_clicked) it became, routed like any event.
    event_id: Mapped[str | None] = mapped_column(String(128))


class RefusedReceiptRow(Base):
    """A receipt that named a message its provider did not carry (an email provider's
    "unsubscribed" for an in-app message): refused, and kept here for whoever looks into it."""

    __tablename__ = "refused_receipts"
    __table_args__ = (Index("ix_refused_receipts_message", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(32))
    receipt_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(64))
    message_channel: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime]


class JourneyEntryRow(Base):
    """Each time a customer entered a journey, for its re-entry rule; one row per workflow chain
    (keyed by its first run), so a retried or replayed entry check records nothing twice."""

    __tablename__ = "journey_entries"
    __table_args__ = (
        Index("ix_journey_entries_customer", "customer_id", "journey", "entered_at"),
        Index("ix_journey_entries_recorded", "recorded_at"),
    )

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    journey: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(256))
    trigger_event_id: Mapped[str] = mapped_column(String(128))
    entered_at: Mapped[datetime]  # when the workflow asked
    # When written, which the webhooks' collector reads by (NULL: a week old at migration 0019).
    recorded_at: Mapped[datetime | None] = mapped_column(default=_written_now)


class ActiveJourneyRow(Base):
    """A journey that may be running for a customer: the API signals an ending or awaited event
    only to these (storage/active_journeys.py). Written before every start; a row outliving its
    run only costs one signal that finds nothing, after which it is removed."""

    __tablename__ = "active_journeys"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    journey: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_start_event_id: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class ExperimentArmRow(Base):
    """The bandit's state: each arm's Beta posterior as last recounted from the ledger's
    outcomes (reports/bandit_state.py), read at decision time."""

    __tablename__ = "experiment_arms"

    experiment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    arm_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    successes: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    # Sends whose metric window is still open: neither a success nor a failure yet.
    pending: Mapped[int] = mapped_column(Integer)
    prior_alpha: Mapped[float]
    prior_beta: Mapped[float]
    probability_best: Mapped[float | None]
    refreshed_at: Mapped[datetime]


class ExperimentWinnerRow(Base):
    """An experiment's promoted arm; the first promotion stays (a later refresh never demotes)."""

    __tablename__ = "experiment_winners"

    experiment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    arm_id: Mapped[str] = mapped_column(String(64))
    probability_best: Mapped[float]
    promoted_at: Mapped[datetime]


class AuditRow(Base):
    """Every operator action (API routes of the `ops` scope, codec server calls, data-subject
    requests, `journeyctl ops` commands): who (an API key's name, never the key, or the CLI
    user), what, on what, when, and how it ended."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(256))
    outcome: Mapped[str] = mapped_column(String(256))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# The customer profile (profiles/, docs/profile.md): identities, tags, scores, segments.


class CustomerIdentityRow(Base):
    """An identifier a customer was seen with. `key` is a keyed hash (storage/identity.py): the
    email, phone, openid or device id itself is never stored here."""

    __tablename__ = "customer_identities"
    __table_args__ = (Index("ix_customer_identities_customer", "customer_id"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    linked_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(128))  # the event id (or "profile") that linked it


class IdentityMergeRow(Base):
    """A merge of an anonymous customer into another, or one refused, with its reason."""

    __tablename__ = "identity_merges"
    __table_args__ = (
        Index("ix_identity_merges_into", "into_id"),
        Index("ix_identity_merges_merged", "merged_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merged_id: Mapped[str] = mapped_column(String(128))
    into_id: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))  # merged | refused
    reason: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(128))  # the event id that caused it
    # What moved (row counts) and the anonymous customer's journeys to move over.
    detail: Mapped[dict[str, Any]]
    at: Mapped[datetime]
    journeys_moved_at: Mapped[datetime | None]


class CustomerTagRow(Base):
    """A tag a customer holds now, with the change that set it."""

    __tablename__ = "customer_tags"
    __table_args__ = (Index("ix_customer_tags_tag", "tag"),)

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(160))
    changed_at: Mapped[datetime]


class TagChangeRow(Base):
    """Every change of a customer's tag: old and new value (None: not held) and its cause."""

    __tablename__ = "tag_changes"
    __table_args__ = (
        Index("ix_tag_changes_customer", "customer_id", "at"),
        Index("ix_tag_changes_recorded", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    tag: Mapped[str] = mapped_column(String(64))
    old: Mapped[Any | None] = mapped_column(JSON)
    new: Mapped[Any | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(160))
    at: Mapped[datetime]  # the refresh's time: a scan's run stamps all its changes with one
    # When written, which the webhooks' collector reads by (NULL: a week old at migration 0019).
    recorded_at: Mapped[datetime | None] = mapped_column(default=_written_now)


class CustomerScoreRow(Base):
    """The numbers behind the tags: health score with its parts, RFM and CLV."""

    __tablename__ = "customer_scores"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    health_score: Mapped[float]
    health_parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    stage: Mapped[str] = mapped_column(String(24))
    rfm: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    clv: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    config_version: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(160))
    computed_at: Mapped[datetime]


class ProfileQueueRow(Base):
    """A customer whose core tags are due: written by a trigger on `events` (migration 0014), in
    the event's own statement; removed once the update landed (a failed one stays, and is
    retried)."""

    __tablename__ = "profile_queue"
    __table_args__ = (Index("ix_profile_queue_due", "due_at"),)

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    cause: Mapped[str] = mapped_column(String(128))
    queued_at: Mapped[datetime]
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SegmentMemberRow(Base):
    """A customer inside a segment now (leaving it deletes the row)."""

    __tablename__ = "segment_members"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    segment: Mapped[str] = mapped_column(String(64), primary_key=True)
    since: Mapped[datetime]


class SegmentEntryRow(Base):
    """A customer's entry into a segment: the event that starts its journeys, keyed by that
    event's id; `started_at` is set once it was routed."""

    __tablename__ = "segment_entries"
    __table_args__ = (
        Index("ix_segment_entries_pending", "started_at", "entry_id"),
        Index("ix_segment_entries_customer", "customer_id"),
    )

    entry_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime]
    cause: Mapped[str] = mapped_column(String(160))
    started_at: Mapped[datetime | None]


class ProfileConfigRow(Base):
    """Every version of the business's profile configuration (health weights and thresholds,
    lifecycle rules): append-only, so it is its own audit log; the highest version is in force."""

    __tablename__ = "profile_config"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    config: Mapped[dict[str, Any]]
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))


class ProfileStatRow(Base):
    """Population figures the batch computes for per-customer updates (the RFM quintile edges)."""

    __tablename__ = "profile_stats"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime]


class RecommendationModelRow(Base):
    """A recommendation model version loaded from its artefact (storage/recommendations.py)."""

    __tablename__ = "recommendation_models"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    sources: Mapped[int] = mapped_column(Integer)
    # The ranking blend of this version (recommendations.model.RankingParams).
    neighbour_weight: Mapped[float]
    category_weight: Mapped[float]
    loaded_at: Mapped[datetime]
    # True for the one version the send path reads; switched in one transaction.
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class RecommendationNeighboursRow(Base):
    """One source's neighbour list in a model version: "bought `source`, also bought ..." with
    the co-purchase figures and each neighbour's facts, packed as JSON so that a customer's
    candidates come back in one query of a few dozen rows. Sources are products (their own
    facts in the columns) or the sentinels of recommendations.model (popular items, a category's
    top items, a product's bundle complement)."""

    __tablename__ = "recommendation_neighbours"
    # The read looks sources up across versions and joins the active one; the key, version
    # first, serves loading and dropping a version.
    __table_args__ = (Index("ix_recommendation_neighbours_source", "source", "version"),)

    version: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("recommendation_models.version", ondelete="CASCADE"),
        primary_key=True,
    )
    source: Mapped[str] = mapped_column(String(160), primary_key=True)
    # The source product's category (None for sentinels): the read finds category lists by it.
    category: Mapped[str | None] = mapped_column(String(128))
    # {"self": facts of the source product (or a bundle's main item), or null,
    #  "links": [[target, score, co_buyers, *facts of the target], ...] best first}, where
    # facts are [department, category, family, price, popularity, buyers, cycle_days].
    neighbours: Mapped[str] = mapped_column(Text)


class RecommendedItemRow(Base):
    """What a message recommended, one row per pick: the 48-hour no-repeat rule across journeys
    and channels reads it, and its outcomes (first click on the pick's link, an order of the
    item within the attribution window) are recorded on it."""

    __tablename__ = "recommended_items"
    __table_args__ = (
        Index("ix_recommended_items_customer", "customer_id", "recommended_at"),
        Index("ix_recommended_items_recommended_at", "recommended_at"),
    )

    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    rank: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    reason_code: Mapped[str] = mapped_column(String(32))
    explored: Mapped[bool] = mapped_column(Boolean)
    model_version: Mapped[str] = mapped_column(String(64))
    recommended_at: Mapped[datetime]
    clicked_at: Mapped[datetime | None]
    ordered_at: Mapped[datetime | None]
    order_id: Mapped[str | None] = mapped_column(String(128))


class RecommendationPreferenceRow(Base):
    """A customer's own switch for personalised recommendations (absent: on)."""

    __tablename__ = "recommendation_preferences"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    personalised: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class SwitchRow(Base):
    """A kill switch: `journey:<name>` or `channel:<channel>`; while paused, the decision defers
    the sends it covers with reason `paused` (sending/decision.py)."""

    __tablename__ = "switches"

    switch_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(200))
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime]


class WebhookEndpointRow(Base):
    """A customer's system subscribed to events; `cursor` is the last event (webhook_events.seq)
    handed over or dead-lettered, in order."""

    __tablename__ = "webhook_endpoints"

    endpoint_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(EncryptedText("webhook_endpoints.secret"))
    description: Mapped[str] = mapped_column(String(200))
    cursor: Mapped[int] = mapped_column(Integer)
    # The head event's first failed attempt (workflow time): dead-lettered 24 h after it.
    failing_since: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class WebhookEventRow(Base):
    """The webhooks' outbox: each event once (its id names its source row and type), numbered
    in the order collected, which keeps each customer's events in the order they happened."""

    __tablename__ = "webhook_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class WebhookLockRow(Base):
    """One row per serialised writer of webhook_events: taking it (an UPDATE) makes the events'
    numbers commit in order, so an endpoint's cursor never passes one still uncommitted."""

    __tablename__ = "webhook_locks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    taken_at: Mapped[datetime]


class WebhookDeadLetterRow(Base):
    """An event an endpoint did not take within the retry period; replayed from the console."""

    __tablename__ = "webhook_dead_letters"

    endpoint_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120))
    error: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer)
    dead_at: Mapped[datetime]
    # pending | replay (asked for, the delivery workflow sends it next) | replayed
    state: Mapped[str] = mapped_column(String(16))
    replayed_at: Mapped[datetime | None]


class AlertRow(Base):
    """A threshold breach: raised when the rate crossed it, cleared when it recovered."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_key_open", "key", "cleared_at"),)

    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(
        String(200)
    )  # <threshold>:<scope>, e.g. complaint_rate:welcome/email
    threshold: Mapped[str] = mapped_column(String(40))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    value: Mapped[float] = mapped_column(Float)
    limit: Mapped[float] = mapped_column(Float)
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    action: Mapped[str | None] = mapped_column(String(80))  # what it did besides notify


class CustomerPreferenceRow(Base):
    """The customer's own contact preferences (models.preferences.CustomerPreferences as JSON;
    absent: none). The send decision reads them with the customer's row, in the same statement."""

    __tablename__ = "customer_preferences"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    preferences: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
