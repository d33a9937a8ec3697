"""Purchase histories in the shape of the Complete Journey baskets file, read with the stdlib."""

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

COLUMNS = (
    "basket_id",
    "customer_id",
    "timestamp",
    "product_id",
    "department",
    "category",
    "product_type",
    "quantity",
    "sales_value",
)


class HistoryError(ValueError):
    """The history file is unreadable or lacks a column; the message says which."""


@dataclass(frozen=True, slots=True)
class Purchase:
    """One product in one basket: what the ranker needs of a customer's past."""

    product_id: str
    category: str
    family: str  # the product type: "no two picks of one family"
    bought_at: datetime | None = None


def read_history(path: Path) -> dict[str, list[Purchase]]:
    """Every customer's purchases in file order; rows with a zero quantity are returns/voids."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise HistoryError(f"{path}: missing column(s) {', '.join(missing)}")
            histories: dict[str, list[Purchase]] = defaultdict(list)
            for line, row in enumerate(reader, start=2):
                try:
                    if float(row["quantity"] or 0) <= 0:
                        continue
                    bought_at = datetime.fromisoformat(row["timestamp"])
                    if bought_at.tzinfo is None:  # the file's times carry no zone: UTC
                        bought_at = bought_at.replace(tzinfo=UTC)
                except ValueError as err:
                    raise HistoryError(f"{path}, line {line}: {err}") from err
                histories[row["customer_id"]].append(
                    Purchase(row["product_id"], row["category"], row["product_type"], bought_at)
                )
    except OSError as err:
        raise HistoryError(f"cannot read {path}: {err}") from err
    return dict(histories)
