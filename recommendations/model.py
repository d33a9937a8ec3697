"""The shipped model: item facts and link tables, as one artefact or as the slice a query reads.

A link says "customers who bought `source` also bought `target`", with the co-purchase figures
behind it. Sentinel sources hold the lists that are not about one item: the recently popular
items (`POPULAR`), the top items of each category (`category_source`) and each frequent main
item's bundle complement (`bundle_source`). The artefact, the database tables and the ranker all
use this one shape, so what `predict` ranks from the file is what the send path ranks from the
database.
"""

import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

SHIPPED_ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "recs-v1.json.gz"
POPULAR = "*popular"
CATEGORY_PREFIX = "*category:"
BUNDLE_PREFIX = "*bundle:"


def category_source(category: str) -> str:
    return f"{CATEGORY_PREFIX}{category}"


def bundle_source(product_id: str) -> str:
    return f"{BUNDLE_PREFIX}{product_id}"


class RankingParams(BaseModel):
    """The blend the lab tuned on its validation split (see docs/recommendations.md)."""

    model_config = ConfigDict(frozen=True)

    neighbour_weight: float = Field(1.0, ge=0, description="weight of co-purchase with history")
    category_weight: float = Field(2.0, ge=0, description="weight of the customer's categories")


class ItemInfo(NamedTuple):  # a tuple: thousands are built per read
    product_id: str
    department: str
    category: str
    family: str  # product type
    price: float  # median sales value per unit in the training baskets
    popularity: float  # recency-weighted buyers, 1.0 for the most popular item
    buyers: int  # distinct customers in the training baskets
    cycle_days: float | None  # repurchase cycle of a consumable; None when not one


class Link(NamedTuple):
    source: str
    target: str
    score: float  # shrunk cosine of the two items' buyer sets
    co_buyers: int  # customers who bought both
    source_buyers: int  # customers who bought the source (0 for sentinel sources)

    @property
    def share(self) -> float:
        """Share of the source's buyers who also bought the target."""
        return self.co_buyers / self.source_buyers if self.source_buyers else 0.0


@dataclass(frozen=True)
class ModelSlice:
    """Links by source and the facts of every item they name: a whole model or one query's rows."""

    version: str
    params: RankingParams
    links: Mapping[str, Sequence[Link]]
    items: Mapping[str, ItemInfo]


class ArtifactError(ValueError):
    """The artefact is missing or not in the format this code reads."""


def load_model(path: Path | None = None) -> ModelSlice:
    """The whole shipped model (or another artefact in the same format) in memory."""
    source = path or SHIPPED_ARTIFACT
    try:
        with gzip.open(source, "rt", encoding="utf-8") as handle:
            return model_from_artifact(json.load(handle))
    except (OSError, EOFError, KeyError, TypeError, ValueError) as err:
        raise ArtifactError(f"cannot read recommendation artefact {source}: {err}") from err


def model_from_artifact(data: Mapping[str, Any]) -> ModelSlice:
    """The model held in an artefact's decoded JSON (what the lab fits and ships)."""
    items = {
        pid: ItemInfo(pid, dept, cat, fam, price, pop, buyers, cycle)
        for pid, (dept, cat, fam, price, pop, buyers, cycle) in data["items"].items()
    }
    links = {
        src: [
            Link(src, target, score, co, _source_buyers(src, items)) for target, score, co in rows
        ]
        for src, rows in data["links"].items()
    }
    return ModelSlice(data["version"], RankingParams(**data["params"]), links, items)


def _source_buyers(source: str, items: Mapping[str, ItemInfo]) -> int:
    main = source.removeprefix(BUNDLE_PREFIX)
    return items[main].buyers if main in items else 0


def artifact_metadata(path: Path | None = None) -> dict[str, object]:
    """Everything in the artefact but the tables: version, training data, parameters, figures."""
    with gzip.open(path or SHIPPED_ARTIFACT, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return {key: value for key, value in data.items() if key not in ("items", "links")}
