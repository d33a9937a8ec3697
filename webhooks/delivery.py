"""One delivery pass for one endpoint: collect, send the replays asked for, then the events
after the endpoint's cursor in order, each signed, until one fails.

An event the endpoint does not take holds back the ones after it (each customer's events arrive
in order), retried by the workflow with backoff; after the retry period it is dead-lettered and
the next goes. The cursor moves after each event the endpoint took, so at most the one event
in flight when a worker dies is sent again — with the same `webhook-id`, which the receiver
dedupes on.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.webhooks import (
    DeadLetter,
    Endpoint,
    WebhookEvent,
    add_dead_letter,
    advance,
    events_after,
    events_by_seq,
    get_endpoint,
    list_dead_letters,
    mark_replayed,
    record_failure,
)
from webhooks.collect import collect_events
from webhooks.completed import ClosedJourneys
from webhooks.events import payload
from webhooks.settings import WebhookSettings
from webhooks.signing import signed_headers

log = structlog.get_logger()


@dataclass(frozen=True)
class PassResult:
    gone: bool = False  # the endpoint was deleted: its workflow ends
    delivered: int = 0
    failures: int = 0  # the head event's failed tries so far (0: not failing)
    wait_seconds: float = 0.0  # before the next pass: the poll, a backoff, or 0 (more to send)


class WebhookSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient | None,
        settings: WebhookSettings,
        closed: ClosedJourneys,
    ) -> None:
        """`http` None: the sender makes its client at its first delivery and keeps it, so its
        connections are reused across passes. Making one loads httpx's transport and the CA
        certificates, which a starting worker need not wait for (bench/cold_start.py)."""
        self._sessions = sessions
        self._closed = closed
        self._http = http
        self._settings = settings

    async def deliver_pass(self, endpoint_id: str, now: datetime) -> PassResult:
        """`now` is the workflow's time: the retry period is measured on it."""
        overlap = timedelta(minutes=self._settings.overlap_minutes)
        await collect_events(self._sessions, datetime.now(UTC), overlap, self._closed)
        async with self._sessions() as session:
            endpoint = await get_endpoint(session, endpoint_id)
            if endpoint is None:
                return PassResult(gone=True)
            replays = await list_dead_letters(session, endpoint_id, state="replay")
            replayed = await events_by_seq(session, [letter.seq for letter in replays])
            batch = await events_after(session, endpoint.cursor, self._settings.batch)
        for event in replayed:
            if await self._post(endpoint, event) is None:
                async with self._sessions.begin() as session:
                    await mark_replayed(session, endpoint_id, event.seq, now)
        delivered = 0
        failing_since, failures = endpoint.failing_since, endpoint.failures
        for event in batch:
            if event.type not in endpoint.event_types:
                continue
            error = await self._post(endpoint, event)
            if error is None:
                delivered += 1
                failing_since, failures = None, 0
                async with self._sessions.begin() as session:
                    await advance(session, endpoint_id, event.seq)
                continue
            failing_since, failures = failing_since or now, failures + 1
            if now - failing_since < timedelta(hours=self._settings.retry_hours):
                async with self._sessions.begin() as session:
                    await record_failure(session, endpoint_id, failing_since, failures, error)
                wait = backoff(failures, self._settings).total_seconds()
                return PassResult(delivered=delivered, failures=failures, wait_seconds=wait)
            log.warning("webhook dead-lettered", endpoint_id=endpoint_id, event_id=event.event_id)
            async with self._sessions.begin() as session:
                await add_dead_letter(
                    session,
                    DeadLetter(
                        endpoint_id,
                        event.seq,
                        event.event_id,
                        error[:200],
                        failures,
                        now,
                        "pending",
                        None,
                    ),
                )
                await advance(session, endpoint_id, event.seq)
            failing_since, failures = None, 0
        if batch:  # the events it does not subscribe to are passed too
            async with self._sessions.begin() as session:
                await advance(session, endpoint_id, batch[-1].seq)
        full = len(batch) == self._settings.batch
        return PassResult(
            delivered=delivered, wait_seconds=0 if full else self._settings.poll_seconds
        )

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(follow_redirects=False)
        return self._http

    async def _post(self, endpoint: Endpoint, event: WebhookEvent) -> str | None:
        """Send one event; None if the endpoint took it (2xx), else why not."""
        body = json.dumps(payload(event), separators=(",", ":"), default=str)
        # The attempt's own time: receivers check it against their clocks.
        headers = signed_headers(endpoint.secret, event.event_id, datetime.now(UTC), body)
        try:
            response = await self._client().post(
                endpoint.url,
                content=body.encode(),
                headers=headers,
                timeout=self._settings.timeout_seconds,
            )
        except httpx.HTTPError as err:
            return f"{type(err).__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"


def backoff(failures: int, settings: WebhookSettings) -> timedelta:
    """Wait after the `failures`th failed try of the head event: 5 s doubling, capped."""
    seconds = min(5.0 * 2 ** min(failures - 1, 20), settings.max_backoff_seconds)
    return timedelta(seconds=seconds)
