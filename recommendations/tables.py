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


# A source's own facts (None for a sentinel), its links, and its targets' facts.
_Decoded = tuple[ItemInfo | None, list[Link], list[ItemInfo]]


class DecodedLists:
    """Neighbour lists already decoded, by version, load time and source: a loaded version's
    rows never change, so an entry never goes stale. The send path keeps one per process; the
    read still fetches the rows (the active version is checked on every lookup)."""

    def __init__(self, max_sources: int = 20_000) -> None:
        self._max_sources = max_sources
        self._lists: dict[tuple[str, datetime, str], _Decoded] = {}

    def decode(self, row: Row[Any]) -> _Decoded:
        key = (row.version, row.loaded_at, row.source)
        found = self._lists.get(key)
        if found is None:
            found = _decode(row.source, row.neighbours)
            if len(self._lists) >= self._max_sources:
                self._lists.clear()  # a new version replaced the old: start again
            self._lists[key] = found
        return found


def _decode(source: str, neighbours: str) -> _Decoded:
    packed = json.loads(neighbours)
    own = packed["self"]
    main = source.removeprefix(BUNDLE_PREFIX)
    info = ItemInfo(main, *own) if own is not None else None
    source_buyers = info.buyers if info is not None else 0
    links, targets = [], []
    for target, score, co_buyers, *facts in packed["links"]:
        targets.append(ItemInfo(target, *facts))
        links.append(Link(source, target, score, co_buyers, source_buyers))
    return info, links, targets


async def read_slice(
    session: AsyncSession,
    items: Sequence[str],
    sources: Iterable[str],
    decoded: DecodedLists | None = None,
) -> ModelSlice | None:
    """The part of the active model a ranking of `items` needs, in one query; None when no
    model is loaded."""
    rows = await store.read_neighbours(session, items, sources, CATEGORY_PREFIX)
    if not rows:
        return None
    return slice_from_rows(rows, decoded or DecodedLists())


def slice_from_rows(rows: Sequence[Row[Any]], decoded: DecodedLists) -> ModelSlice:
    first = rows[0]
    params = RankingParams(
        neighbour_weight=first.neighbour_weight, category_weight=first.category_weight
    )
    items: dict[str, ItemInfo] = {}
    links: dict[str, list[Link]] = {}
    for row in rows:
        own, found, targets = decoded.decode(row)
        if own is not None:
            items.setdefault(own.product_id, own)
        links[row.source] = found
        for info in targets:
            items.setdefault(info.product_id, info)
    return ModelSlice(first.version, params, links, items)
