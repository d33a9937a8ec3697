"""Building the send path from the settings, once per worker (and per test or benchmark)."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog import CatalogClient
from channels.setup import ChannelClients
from content import CopyCache, LLMClient
from offers.catalogue import load_catalogue
from offers.uplift_model import load_uplift_model
from scoring.model import IntentModel
from sending.copy import Copywriter
from sending.decision import DecisionPoint
from sending.delivery import Delivery
from sending.path import SendPath
from sending.picks import PickStep
from sending.winback_offer import OfferBook
from settings import Settings


def build_send_path(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    intent_model: IntentModel | None,
    channels: ChannelClients,
    copy_cache: CopyCache,
) -> SendPath:
    """`channels` as channels.setup.build_channels makes them (the worker instruments the
    senders first); `copy_cache` keeps LLM copy for retries and replays."""
    offers = OfferBook(
        load_catalogue(settings.offers.catalogue_path),
        load_uplift_model(settings.offers.uplift_model_path),
    )
    catalog = CatalogClient(settings.catalog) if settings.catalog else None
    copywriter = Copywriter(
        settings.content,
        offers.catalogue,
        copy_cache,
        LLMClient(settings.content.llm) if settings.content.llm.base_url else None,
        catalog,
    )
    decisions = DecisionPoint(
        sessions,
        settings.guardrails,
        settings.scoring,
        intent_model,
        offers,
        settings.offers,
        settings.dormancy,
    )
    delivery = Delivery(
        sessions,
        channels.senders,
        channels.composer,
        channels.throttles,
        providers=channels.providers,
    )
    picks = PickStep(sessions, catalog, offers.catalogue)
    return SendPath(sessions, decisions, copywriter, delivery, picks)
