"""Top-k new-to-customer picks for every customer of a history file, from the shipped model only
(no retraining, no network): what `journeyctl recommendations predict` writes."""

import csv
from collections.abc import Callable
from pathlib import Path

from recommendations.history import read_history
from recommendations.model import ModelSlice
from recommendations.ranker import score_new_items

OUTPUT_COLUMNS = ("customer_id", "rank", "product_id", "kind", "reason_code")


def predict_file(
    model: ModelSlice,
    history_path: Path,
    output_path: Path,
    k: int,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> int:
    """Write the picks; returns the number of customers ranked."""
    histories = read_history(history_path)
    with output_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        for done, (customer_id, history) in enumerate(sorted(histories.items()), start=1):
            for rank, candidate in enumerate(score_new_items(model, history, limit=k), start=1):
                writer.writerow(
                    [customer_id, rank, candidate.product_id, candidate.kind, candidate.reason]
                )
            progress(done, len(histories))
    return len(histories)
