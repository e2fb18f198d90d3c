"""What every command shares: the workspace options, output as tables or JSON, progress bars."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from groundswell.errors import GroundswellError
from groundswell.workspace import Workspace

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)
if not out.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
    out.width = 160

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace directory. Default: $GROUNDSWELL_WORKSPACE, "
        "else the current directory or the nearest parent that is a workspace.",
        show_default=False,
    ),
]
WaitOpt = Annotated[
    float, typer.Option("--wait", help="Seconds to wait for a store that another process holds.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]


def guard(func: Callable[..., None]) -> Callable[..., None]:
    """Turn Groundswell's user errors into a one-line message and their exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except GroundswellError as e:
            err.print(f"[bold red]error:[/bold red] {shown(e)}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err.print(
                "[yellow]interrupted[/yellow]: committed batches are kept; run the same "
                "command again to complete it"
            )
            raise typer.Exit(130) from None

    return wrapper


def open_ws(path: Path | None, wait: float, *, read_only: bool) -> Workspace:
    return Workspace.open(path, read_only=read_only, wait=wait)


def print_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2).decode() + "\n")


# Control characters in data could steer the terminal (move the cursor, retitle the window,
# hide text): each is shown as its symbol (ESC as ␛), C1 ones as U+FFFD; tab and newline stay.
_CONTROLS = {
    **{c: chr(0x2400 + c) for c in range(32) if c not in (9, 10)},
    0x7F: "\u2421",
    **dict.fromkeys(range(0x80, 0xA0), "\ufffd"),
}


def clean(value: Any) -> str:
    """Text from the data, safe for a terminal (see ``_CONTROLS``)."""
    return str(value).translate(_CONTROLS)


def shown(value: Any) -> str:
    """Text from the data to put inside console markup: cleaned, its brackets escaped."""
    return escape(clean(value))


def human(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return ", ".join(human(v) for v in value)
    return clean(value)


LABELS = {"import_id": "#", "records_quarantined": "quarant.", "records_unchanged": "unchanged"}
# Columns that may wrap on a narrow terminal; the others keep their values on one line.
WRAPPING = {
    "file", "reason", "excerpt", "error", "description", "covered", "source_id", "path",
    "explanation", "top_objects", "object", "value",
}  # fmt: skip


def print_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    title: str = "",
    empty: str = "nothing to show",
) -> None:
    if not rows:
        out.print(f"[dim]{empty}[/dim]")
        return
    table = Table(
        title=title or None,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for c in columns:
        numeric = all(isinstance(r.get(c), int | float) for r in rows if r.get(c) is not None)
        label = LABELS.get(c, c.removeprefix("records_").replace("_", " "))
        table.add_column(
            label,
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=c not in WRAPPING,
        )
    for r in rows:
        table.add_row(*(Text(human(r.get(c))) for c in columns))
    out.print(table)


class RateColumn(ProgressColumn):
    """Records so far, records/s and MB/s (from the compressed bytes read)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        records = int(task.fields.get("records", 0))
        if elapsed <= 0:
            return Text(f"{records:,} records")
        mb = (task.completed or 0) / 1e6 / elapsed
        return Text(
            f"{records:,} rec · {records / elapsed:,.0f}/s · {mb:,.1f} MB/s",
            no_wrap=True,
            overflow="ellipsis",
        )


@contextmanager
def _delayed_bar(*columns: Any, label: str = "", **fields: Any) -> Iterator[Callable[..., None]]:
    """A transient progress bar on stderr, shown only for work longer than a second; yields
    its update function (keywords of ``Progress.update``)."""
    progress = Progress(*columns, console=err, transient=True)
    task = progress.add_task(label, total=None, **fields)
    started = time.monotonic()
    shown = False

    def update(**kw: Any) -> None:
        nonlocal shown
        if not shown and time.monotonic() - started > 1.0:
            progress.start()
            shown = True
        progress.update(task, **kw)

    try:
        yield update
    finally:
        if shown:
            progress.stop()


@contextmanager
def import_progress(label: str, enabled: bool = True) -> Iterator[Any]:
    """A progress bar over bytes read, with record and byte rates; quiet when disabled."""
    if not enabled:
        yield lambda records, done, total: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with _delayed_bar(*columns, label=label, records=0) as bar:
        yield lambda records, done, total: bar(completed=done, total=total, records=records)


@contextmanager
def index_progress(enabled: bool = True) -> Iterator[Any]:
    """A progress bar over the posts being indexed for search; quiet when disabled."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]indexing for search"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with _delayed_bar(*columns) as bar:
        yield lambda done, total: bar(completed=done, total=total)
