"""`groundswell actor` and `groundswell actors`: who posts, how much, when, and who comes back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import TextColumn, TimeElapsedColumn

from groundswell.actors import cohorts as cohorts_mod
from groundswell.actors import profiles, returns
from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    _delayed_bar,
    err,
    guard,
    human,
    open_ws,
    out,
    print_json,
    print_table,
    shown,
)
from groundswell.cli.trends import _when, series_rows
from groundswell.errors import QueryError, StoreBusyError
from groundswell.workspace import Workspace

EXAMPLES_ACTOR = """
Examples:

    groundswell actor quietfox                      # by name or author id, any case
    groundswell actor 55 --source "forum:Lantern Hall"
    groundswell actor quietfox --json
"""

EXAMPLES_ACTORS = """
Examples:

    groundswell actors                              # the 50 most active accounts
    groundswell actors --source "forum:Lantern Hall" --sort first_seen --limit 20
    groundswell actors --since 2020-03-01 --until 2020-04-01   # most posts in March 2020
    groundswell actors --returns                    # who came back after a long silence
    groundswell actors --cohorts --period month     # new members per month, and who stayed
    groundswell actors --concentration --period month   # share of the top 1/5/10%, Gini
    groundswell actors --rebuild                    # compute every profile anew

Profiles are brought up to date after imports by the first command that reads them. A return
is a gap between two posts of one account longer than [actors] dormant_days (180 by
default) in groundswell.toml. See docs/actors.md.
"""

BLOCKS = " ▁▂▃▄▅▆▇█"


def hour_bar(hours: list[int]) -> str:
    """24 posts-per-hour counts as one line of 24 block characters (the busiest hour full,
    an hour without posts a space)."""
    top = max(hours) if hours else 0
    if not top:
        return " " * len(hours)
    return "".join(BLOCKS[0 if h == 0 else max(1, round(h / top * 8))] for h in hours)


@contextmanager
def fresh_ws(path: Path | None, wait: float, *, rebuild: bool = False) -> Iterator[Workspace]:
    """The workspace with its profiles up to date: opened read-only, and read-write only
    when the profiles must be computed (after an import, or ``rebuild``); when another
    process holds the store, the stale profiles are used with a warning."""
    ws = open_ws(path, wait, read_only=True)
    if rebuild or profiles.stale(ws):
        ws.close()
        try:
            ws = open_ws(path, wait, read_only=False)
        except StoreBusyError:
            ws = open_ws(path, wait, read_only=True)
        if ws.store.read_only:
            err.print("[yellow]warning:[/yellow] actor profiles are out of date (store busy)")
        else:
            label = "computing actor profiles"
            with _delayed_bar(
                TextColumn("[bold]{task.description}"), TimeElapsedColumn(), label=label
            ) as bar:
                step = lambda s: bar(description=f"{label}: {s}")  # noqa: E731
                if rebuild:
                    n = profiles.rebuild(ws, progress=step)
                else:
                    n = profiles.update(ws, progress=step)
            if rebuild:
                err.print(f"rebuilt {n:,} actor profiles")
    try:
        yield ws
    finally:
        ws.close()


def _days(d: Any) -> str:
    return "" if d is None else f"{d:,.0f}"


def print_profile(p: dict[str, Any]) -> None:
    """One profile as the terminal shows it."""
    out.print(
        f"[bold]{shown(p['name'] or p['author_id'])}[/bold] on {shown(p['source_id'])}"
        f"  (author id {shown(p['author_id'])}, account {p['account']})"
    )
    lines = [
        ("first seen", human(p["first_seen"])),
        ("last seen", human(p["last_seen"])),
        ("posts", human(p["posts"])),
        ("active days", human(p["active_days"])),
        ("names", human(p["names"])),
        ("sections", human(p["sections"])),
        ("languages", human(p["languages"])),
        ("replies", f"{p['replies_given']:,} given, {p['replies_received']:,} received"),
        ("quotes", f"{p['quotes_given']:,} given, {p['quotes_received']:,} received"),
        ("indicators", f"{p['indicators']:,} posted outside quotes"),
    ]
    for label, value in lines:
        out.print(f"  {label:12s} {shown(value)}")
    out.print(f"  {'hours':12s} |{hour_bar(p['hours'])}|  (source's time, 0 to 23 h)")
    busiest = sorted(range(24), key=lambda h: (-p["hours"][h], h))[:3]
    out.print(
        f"  {'':12s} busiest: "
        + ", ".join(f"{h:02d}h ({p['hours'][h]:,})" for h in busiest if p["hours"][h])
    )
    for key, label in (("top_domains", "domains"), ("crypto", "crypto"), ("emails", "emails")):
        if p[key]:
            items = ", ".join(f"{i['value']} ({i['count']:,})" for i in p[key])
            out.print(f"  {label:12s} {shown(items)}")
    for r in p["returns"]:
        out.print(
            f"  {'returned':12s} {human(r['time'])} after {_days(r['gap_days'])} days away "
            f"(last post {human(r['previous'])}), in {shown(str(r['section']))}"
        )


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES_ACTOR)
    @guard
    def actor(
        who: Annotated[str, typer.Argument(help="Display name or author id (any case).")],
        source: Annotated[str | None, typer.Option(help="Only this source id.")] = None,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        json: JsonOpt = False,
    ) -> None:
        """Print the profile of an author: when first and last seen, posts, active days,
        sections, languages, usual hours, names used, replies and quotes given and
        received, the domains, crypto addresses and emails they posted, and their returns
        after long silences. A name used on several sources (or by several accounts) prints
        one profile each."""
        with fresh_ws(workspace, wait) as ws:
            found = profiles.profile(ws, who, source)
        if not found:
            where = f" on {source}" if source else ""
            raise QueryError(
                f"no author named {who!r}{where}",
                hint="names and ids match in any case; `groundswell actors` lists authors",
            )
        if json:
            print_json(found)
            return
        for i, p in enumerate(found):
            if i:
                out.print()
            print_profile(p)

    @app.command(epilog=EXAMPLES_ACTORS)
    @guard
    def actors(
        source: Annotated[str | None, typer.Option(help="Only this source id.")] = None,
        since: Annotated[
            str | None, typer.Option(help="Only authors who posted from this date (ISO).")
        ] = None,
        until: Annotated[
            str | None, typer.Option(help="... and before this date (ISO, exclusive).")
        ] = None,
        sort: Annotated[
            str,
            typer.Option(
                help="posts (in --since/--until when given), first_seen, last_seen, active_days."
            ),
        ] = "posts",
        limit: Annotated[int, typer.Option(help="How many rows to print.")] = 50,
        min_posts: Annotated[int, typer.Option(help="Only authors with this many posts.")] = 1,
        show_returns: Annotated[
            bool,
            typer.Option("--returns", help="List return events (latest first) instead."),
        ] = False,
        show_cohorts: Annotated[
            bool,
            typer.Option("--cohorts", help="New-member cohorts per --period and their retention."),
        ] = False,
        show_concentration: Annotated[
            bool,
            typer.Option(
                "--concentration",
                help="Share of posts by the top 1%, 5%, 10% of active authors per --period, "
                "and the Gini coefficient.",
            ),
        ] = False,
        period: Annotated[
            str, typer.Option(help="day, week, month, quarter or year (cohorts, concentration).")
        ] = "month",
        rebuild: Annotated[
            bool, typer.Option("--rebuild", help="Compute every profile and return anew first.")
        ] = False,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        json: JsonOpt = False,
    ) -> None:
        """List and rank authors (one row per author per source) from their profiles; or
        their returns after long silences, new-member cohorts, or the concentration of
        activity among them."""
        if sum([show_returns, show_cohorts, show_concentration]) > 1:
            raise QueryError("choose one of --returns, --cohorts and --concentration")
        a, b = _when(since, "--since"), _when(until, "--until")
        with fresh_ws(workspace, wait, rebuild=rebuild) as ws:
            if show_returns:
                rows = returns.events(ws, source=source, since=a, until=b, limit=limit)
                columns = ["time", "name", "source_id", "gap_days", "previous", "section"]
                title = f"Returns after more than {returns.dormant_days(ws):g} days away"
            elif show_cohorts:
                _cohorts(ws, period, source, limit, json)
                return
            elif show_concentration:
                series = cohorts_mod.concentration(ws, period)
                if json:
                    print_json(list(series.points()))
                else:
                    rows, columns = series_rows(series)
                    print_table(rows, columns, title=series.notes[0])
                return
            else:
                rows = profiles.ranked(
                    ws,
                    source=source,
                    since=a,
                    until=b,
                    sort=sort,
                    limit=limit,
                    min_posts=min_posts,
                )
                columns = [
                    "name",
                    "source_id",
                    "posts",
                    "first_seen",
                    "last_seen",
                    "active_days",
                    "sections",
                    "replies_received",
                    "quotes_received",
                ]
                title = "Authors"
        if json:
            print_json(rows)
            return
        for r in rows:
            if "sections" in r:
                r["sections"] = r["sections"][:3]
            if "gap_days" in r:
                r["gap_days"] = round(r["gap_days"])
        print_table(rows, columns, title=title, empty="no authors match")


def _cohorts(ws: Workspace, period: str, source: str | None, limit: int, json: bool) -> None:
    """Print the cohorts: size, then the share still active in each following period (up
    to 12 columns in the terminal; --json has every one, with the counts)."""
    rows = cohorts_mod.cohorts(ws, period, source)
    if json:
        print_json(rows)
        return
    fmt = {"week": "%G-W%V", "month": "%Y-%m", "quarter": "%Y-%m", "year": "%Y"}
    width = min(12, max((len(r["active"]) for r in rows), default=0))
    table = []
    for r in rows[-limit:]:
        row: dict[str, Any] = {
            "cohort": r["cohort"].strftime(fmt.get(period, "%Y-%m-%d")),
            "size": r["size"],
        }
        for k in range(1, width):
            if k < len(r["retention"]):
                row[f"+{k}"] = f"{r['retention'][k] * 100:.0f}%"
        table.append(row)
    columns = ["cohort", "size", *(f"+{k}" for k in range(1, width))]
    print_table(
        table,
        columns,
        title=f"New members per {period}: share active after",
        empty="no authors yet",
    )
