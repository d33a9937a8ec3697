"""How journeyctl prints tables and the progress of long commands, through rich.

On a terminal a long command shows a live bar with its count, rate and time left; anywhere else
(CI, a pipe, a log file) it prints plain lines — one every `every` items and the last — that a
log keeps readable.
"""

import io
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

# Wide enough that a table written to a pipe or a log is never wrapped mid-cell.
PLAIN_WIDTH = 240


def render_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    table = Table(*header, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    out = io.StringIO()
    Console(file=out, width=PLAIN_WIDTH, color_system=None, soft_wrap=True).print(table)
    return "\n".join(line.rstrip() for line in out.getvalue().rstrip("\n").splitlines())


@contextmanager
def progress(
    description: str, total: int | None, *, every: int = 50, unit: str = "items"
) -> Iterator[Callable[..., None]]:
    """`with progress("replaying", total) as advance: ... advance(1)`; `advance(1, of=n)` sets
    a total learnt on the way."""
    if sys.stderr.isatty():
        columns = [
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
            task = bar.add_task(description, total=total, rate="")
            started = time.perf_counter()

            def advance_bar(count: int = 1, of: int | None = None) -> None:
                if of is not None:
                    bar.update(task, total=of)
                bar.advance(task, count)
                done = bar.tasks[0].completed
                rate = done / max(time.perf_counter() - started, 1e-9)
                bar.update(task, rate=f"{rate:,.1f} {unit}/s")

            yield advance_bar
        return
    done = 0
    started = time.perf_counter()

    printed = -1

    def line() -> None:
        nonlocal printed
        elapsed = time.perf_counter() - started
        out_of = f"/{total}" if total is not None else ""
        rate = done / max(elapsed, 1e-9)
        print(
            f"{description}: {done}{out_of} {unit} ({elapsed:.1f} s, {rate:,.1f} {unit}/s)",
            file=sys.stderr,
            flush=True,
        )
        printed = done

    def advance_lines(count: int = 1, of: int | None = None) -> None:
        nonlocal done, total
        total = of if of is not None else total
        before, done = done, done + count
        if done // every > before // every or done == total:
            line()

    yield advance_lines
    if printed != done:  # the last count, when the total was not known or not reached
        line()
