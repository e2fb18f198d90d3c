"""`groundswell enrich`, `groundswell indicators` and `groundswell migrate`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from groundswell.analysis.indicators import GROUPS, KINDS, PERIODS, IndicatorQuery
from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    guard,
    import_progress,
    open_ws,
    out,
    print_json,
    print_table,
)
from groundswell.errors import QueryError


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        d = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{option}: not an ISO date or time: {value!r}") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def register(app: typer.Typer) -> None:
    @app.command()
    @guard
    def enrich(
        rebuild: Annotated[
            bool,
            typer.Option(
                "--rebuild", help="Re-enrich every post, not only those with an older version."
            ),
        ] = False,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    ) -> None:
        """Enrich stored posts again: after upgrading Groundswell or changing a lexicon.

        Imports enrich every post as it arrives (language, indicators, lexicon hits, hashes);
        this brings the posts enriched by an older version up to date, idempotently. An
        interrupted run resumes where it stopped.
        """
        with (
            open_ws(workspace, wait, read_only=False) as ws,
            import_progress("enriching", progress) as bar,
        ):
            result = ws.enrich(rebuild=rebuild, progress=lambda done, total: bar(done, done, total))
        if not result.posts:
            out.print(f"All posts are enriched with version {result.version}; nothing to do.")
            return
        rate = result.posts / result.seconds if result.seconds else 0
        out.print(
            f"Enriched {result.posts:,} posts ({result.indicators:,} indicators) in "
            f"{result.seconds:,.1f} s ({rate:,.0f} posts/s); version {result.version}"
        )

    @app.command()
    @guard
    def indicators(
        kind: Annotated[
            str | None, typer.Option(help=f"Only this kind: {', '.join(KINDS)}.")
        ] = None,
        subkind: Annotated[
            str | None,
            typer.Option(help="Lexicon name, currency code, address type (btc-p2pkh, evm ...)."),
        ] = None,
        value: Annotated[str | None, typer.Option(help="Exactly this normalised value.")] = None,
        domain: Annotated[
            str | None, typer.Option(help="Links to this registrable domain.")
        ] = None,
        host: Annotated[str | None, typer.Option(help="Links to this host.")] = None,
        extension: Annotated[
            str | None, typer.Option(help="Links to files with this extension (jpg, zip ...).")
        ] = None,
        network: Annotated[str | None, typer.Option(help="clearnet, tor or i2p.")] = None,
        source: Annotated[
            str | None,
            typer.Option(help="Only this source id, or a platform with a colon (forum:)."),
        ] = None,
        since: Annotated[
            str | None, typer.Option(help="From this date or time (ISO, UTC unless given).")
        ] = None,
        until: Annotated[str | None, typer.Option(help="Before this date or time.")] = None,
        by: Annotated[str, typer.Option(help=f"Group by: {', '.join(GROUPS)}.")] = "value",
        per: Annotated[
            str | None,
            typer.Option(help=f"Count per period: {', '.join(PERIODS)} (workspace timezone)."),
        ] = None,
        top: Annotated[int, typer.Option(help="Groups to show (per period).")] = 20,
        include_quoted: Annotated[
            bool,
            typer.Option(help="Also count indicators that only appear inside quoted posts."),
        ] = False,
        list_: Annotated[
            bool, typer.Option("--list", help="List occurrences (newest first), not counts.")
        ] = False,
        limit: Annotated[int, typer.Option(help="Occurrences to list with --list.")] = 50,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Count or list the indicators extracted from posts.

        Examples:

        groundswell indicators --kind url --extension jpg --by domain --per month --top 5

        groundswell indicators --kind lexicon --by subkind --per week

        groundswell indicators --kind crypto --list --limit 20
        """
        q = IndicatorQuery(
            kind=kind,
            subkind=subkind,
            value=value,
            domain=domain,
            host=host,
            extension=extension,
            network=network,
            source=source,
            since=_when(since, "--since"),
            until=_when(until, "--until"),
            include_quoted=include_quoted,
            by=by,
            per=per,
            top=top,
            list=list_,
            limit=limit,
        )
        with open_ws(workspace, wait, read_only=True) as ws:
            rows = ws.indicators(q)
        if as_json:
            print_json(rows)
            return
        empty = "no indicators match (is the workspace enriched? see `groundswell enrich`)"
        if list_:
            cols = ["time", "source_id", "native_id", "kind", "value", "raw", "in_quote"]
        else:
            cols = ["period"] if per else []
            cols += [by, "occurrences", "posts", "first_seen", "last_seen"]
        print_table(rows, cols, empty=empty)

    @app.command()
    @guard
    def migrate(workspace: WorkspaceOpt = None, wait: WaitOpt = 0.0) -> None:
        """Upgrade a workspace made by an older Groundswell (then run `groundswell enrich`)."""
        with open_ws(workspace, wait, read_only=False) as ws:
            n = ws.stale_posts()
        out.print("The workspace is up to date with this Groundswell's schema.")
        if n:
            out.print(f"{n:,} posts need enrichment: run `groundswell enrich`.")
