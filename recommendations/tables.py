"""The model as database rows and back: what `journeyctl recommendations load` writes and the
send path's one query reads (storage/recommendations.py)."""

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recommendations.model import (
    BUNDLE_PREFIX,
    CATEGORY_PREFIX,
    ItemInfo,
    Link,
    ModelSlice,
    RankingParams,
    category_source,
    load_model,
)
from settings import Settings
from storage import recommendations as store
from storage.database import create_engine, session_factory


def neighbour_rows(model: ModelSlice) -> list[dict[str, Any]]:
    """One row per source: its neighbour list with each target's facts, and the source's own
    facts; every product has a row, with or without neighbours, so its facts (category,
    repurchase cycle) come back with a customer's history."""
    rows = []
    for source in [*model.links, *(pid for pid in model.items if pid not in model.links)]:
        own = model.items.get(source.removeprefix(BUNDLE_PREFIX))
        packed = {
            "self": _facts(own) if own is not None else None,
            "links": [
                [link.target, link.score, link.co_buyers, *_facts(model.items[link.target])]
                for link in model.links.get(source, ())
            ],
        }
        rows.append(
            {
                "source": source,
                "category": own.category if own is not None and source == own.product_id else None,
                "neighbours": json.dumps(packed, separators=(",", ":")),
            }
        )
    return rows


def _facts(info: ItemInfo) -> list[Any]:
    return [
        info.department,
        info.category,
        info.family,
        info.price,
        info.popularity,
        info.buyers,
        info.cycle_days,
    ]


async def load_model_tables(
    sessions: async_sessionmaker[AsyncSession],
    model: ModelSlice,
    now: datetime,
    progress: Any = lambda _done: None,
) -> tuple[bool, int]:
    """Load `model` as a new version and switch to it atomically: (switched, rows)."""
    rows = neighbour_rows(model)
    switched = await store.load_version(
        sessions, model.version, model.params.model_dump(), rows, now, progress
    )
    return switched, len(rows)


async def ensure_recommendations(settings: Settings) -> None:
    """Load the shipped model when the database has none active (first `journeyctl up`)."""
    engine = create_engine(settings.resolved_database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            if await store.active_version(session) is not None:
                return
        model = load_model()
        print(f"  loading recommendation model {model.version} (once) ...", flush=True)
        await load_model_tables(sessions, model, datetime.now(UTC))
    finally:
        await engine.dispose()


class DecodedLists:
    """The neighbour lists a process has read, decoded, by model version and load time: a
    loaded version's rows never change, so an entry never goes stale, and a lookup reads from
    the database only the lists it lacks (the active version is checked on every lookup). Every
    product's facts are held once per version, shared by all the lists that name it.

    The send path keeps one per process; without one (the API's preview) every list is read."""

    def __init__(self, max_sources: int = 20_000) -> None:
        self._max_sources = max_sources
        self._versions: dict[tuple[str, datetime], _Version] = {}

    def version(self, name: str, loaded_at: datetime, params: RankingParams) -> "_Version":
        key = (name, loaded_at)
        found = self._versions.get(key)
        if found is None:
            if sum(len(v.links) for v in self._versions.values()) >= self._max_sources:
                # Rebound, not cleared: a lookup still ranking holds the old dictionaries.
                self._versions = {}
            found = self._versions[key] = _Version(name, params)
        return found


class _Version:
    """One version's decoded lists (None: the version has no list for that source) and the
    facts of every product they name."""

    def __init__(self, name: str, params: RankingParams) -> None:
        self.name = name
        self.params = params
        self.links: dict[str, list[Link]] = {}  # empty: no list in this version
        self.items: dict[str, ItemInfo] = {}

    def add(self, source: str, neighbours: str) -> None:
        packed = json.loads(neighbours)
        own = packed["self"]
        main = source.removeprefix(BUNDLE_PREFIX)
        info = self._info(main, own) if own is not None else None
        source_buyers = info.buyers if info is not None else 0
        links = []
        for target, score, co_buyers, *facts in packed["links"]:
            self._info(target, facts)
            links.append(Link(source, target, score, co_buyers, source_buyers))
        self.links[source] = links

    def _info(self, product_id: str, facts: list[Any]) -> ItemInfo:
        found = self.items.get(product_id)
        if found is None:
            found = self.items[product_id] = ItemInfo(product_id, *facts)
        return found

    def category_sources(self, items: Sequence[str]) -> list[str]:
        """The category lists of `items` already read (their facts are known)."""
        return [category_source(self.items[pid].category) for pid in items if pid in self.items]


async def read_slice(
    session: AsyncSession,
    active: Row[Any] | None,
    items: Sequence[str],
    sources: Iterable[str],
    decoded: DecodedLists | None = None,
) -> ModelSlice | None:
    """The part of the `active` model (version, loaded_at and weights, as
    `storage.recommendations.lookup_state` returns it) a ranking of `items` needs; None when
    no model is loaded. Reads, in one query, only the lists `decoded` lacks: the items', the
    other `sources'` (popular list, bundles) and those of the items' categories."""
    if active is None:
        return None
    params = RankingParams(
        neighbour_weight=active.neighbour_weight, category_weight=active.category_weight
    )
    cached = (decoded or DecodedLists()).version(active.version, active.loaded_at, params)
    known = [pid for pid in items if pid in cached.links]
    unknown = [pid for pid in items if pid not in cached.links]
    wanted = dict.fromkeys([*items, *sources, *cached.category_sources(known)])
    missing = [source for source in wanted if source not in cached.links]
    if missing:
        rows = await store.read_neighbours(session, cached.name, missing, unknown, CATEGORY_PREFIX)
        for row in rows:
            if row.source not in cached.links:
                cached.add(row.source, row.neighbours)
        for source in missing:
            cached.links.setdefault(source, [])  # none in this version: not asked again
    return ModelSlice(cached.name, params, cached.links, cached.items)
