"""`groundswell search` and `groundswell index`: full-text search over the workspace."""

from __future__ import annotations

from typing import Annotated

import typer

from groundswell.analysis.metrics import Filter, Metric
from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    guard,
    index_progress,
    open_ws,
    out,
    print_json,
    print_table,
    shown,
)
from groundswell.cli.trends import _when, series_rows
from groundswell.errors import QueryError
from groundswell.search.index import folder
from groundswell.search.results import SearchFilters, SearchResults

EXAMPLES = """
Examples:

    groundswell search covid                              # every post with the word
    groundswell search '"stay at home" -vaccine' --sort newest
    groundswell search '疫情' --since 2020-01-01 --until 2020-04-01
    groundswell search 'vacc* AND (lang:nl OR lang:de)' --source "forum:Polder Makers"
    groundswell search --indicator example.com            # posts linking to a domain
    groundswell search --has crypto --lexicon covid --json
    groundswell search covid --trend week                 # matching posts per week
    groundswell search covid --trend month --normalise    # ... as a share of all posts

Syntax: words (all required), OR, NOT or -word, "exact phrase", prefix*, (groups), and
author: source: section: lang: tag: lexicon: has: indicator: qualifiers. See docs/search.md.
"""


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    @guard
    def search(
        query: Annotated[str, typer.Argument(help="The search query (empty: every post).")] = "",
        source: Annotated[
            list[str] | None, typer.Option(help="Source id (repeatable: any of them).")
        ] = None,
        section: Annotated[
            list[str] | None, typer.Option(help="Board, subforum or channel.")
        ] = None,
        author: Annotated[list[str] | None, typer.Option(help="Author id or name.")] = None,
        lang: Annotated[list[str] | None, typer.Option(help="Language (ISO 639-1).")] = None,
        has: Annotated[
            list[str] | None,
            typer.Option(
                help="An indicator kind: url, email, crypto, handle, hashtag, money "
                "(or kind:subkind)."
            ),
        ] = None,
        indicator: Annotated[
            list[str] | None,
            typer.Option(
                help="An indicator value: a crypto address, email, handle, URL host or "
                "registrable domain."
            ),
        ] = None,
        lexicon: Annotated[list[str] | None, typer.Option(help="A lexicon with a hit.")] = None,
        tag: Annotated[list[str] | None, typer.Option(help="A tag or flair.")] = None,
        since: Annotated[str | None, typer.Option(help="From this date or time.")] = None,
        until: Annotated[
            str | None, typer.Option(help="Up to this date or time (excluded).")
        ] = None,
        sort: Annotated[
            str, typer.Option(help="relevance, newest (or time) or oldest.")
        ] = "relevance",
        limit: Annotated[int, typer.Option(help="Hits per page.")] = 20,
        offset: Annotated[int, typer.Option(help="Skip this many hits (the next page).")] = 0,
        trend: Annotated[
            str | None,
            typer.Option(
                help="Instead of hits: matching posts per hour, day, week, month, quarter or year."
            ),
        ] = None,
        normalise: Annotated[
            bool,
            typer.Option(
                "--normalise", help="With --trend: as a share of all posts of the same sources."
            ),
        ] = False,
        by_source: Annotated[
            bool, typer.Option("--by-source", help="With --trend: one series per source.")
        ] = False,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Search the posts: hits with highlighted snippets and counts by source, language,
        month and author; or, with --trend, the attention over time."""
        qualifiers = _qualifiers(
            source=source, section=section, author=author, lang=lang, has=has,
            indicator=indicator, lexicon=lexicon, tag=tag,
        )  # fmt: skip
        a, b = _when(since, "--since"), _when(until, "--until")
        with open_ws(workspace, wait, read_only=True) as ws:
            if trend is not None:
                # normalised: the share of the posts that the filters keep which match
                text = [f"({query})"] if query.strip() else []
                full = " ".join(text + qualifiers)
                kept = _search(" ".join(qualifiers))
                metric = Metric(
                    period=trend,
                    where=kept if normalise else _search(full),
                    share=_search(" ".join(text)) if normalise else (),
                    by=("source_id",) if by_source else (),
                    description=f"posts matching {full or 'anything'}",
                ).check()
                series = ws.trend(metric, since=a, until=b)
                if as_json:
                    print_json({"query": full, "unit": series.unit, "period": series.period,
                                "timezone": series.timezone, "notes": series.notes,
                                "points": list(series.points())})  # fmt: skip
                    return
                rows, columns = series_rows(series)
                print_table(
                    rows,
                    columns,
                    title=f"{series.name} ({series.unit}, per {series.period}, {series.timezone})",
                )
                return
            filters = SearchFilters(
                since=a, until=b, sources=tuple(source or ()), sections=tuple(section or ()),
                authors=tuple(author or ()), languages=tuple(lang or ()), has=tuple(has or ()),
                indicators=tuple(indicator or ()), lexicons=tuple(lexicon or ()),
                tags=tuple(tag or ()),
            )  # fmt: skip
            results = ws.search(query, filters, sort=sort, limit=limit, offset=offset)
        if as_json:
            print_json(results.to_dict())
            return
        _print(results)

    @app.command()
    @guard
    def index(
        rebuild: Annotated[
            bool, typer.Option("--rebuild", help="Index every post again, from the store.")
        ] = False,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Bring the search index in step with the store (imports do this themselves), or
        rebuild it; then say what it holds: documents, the months it covers (an index each,
        in index/YYYY-MM), any month indexed again because its count was wrong, and size."""
        with open_ws(workspace, wait, read_only=True) as ws, index_progress(not as_json) as update:
            done = ws.rebuild_index(progress=update) if rebuild else ws.sync_index(progress=update)
            months = [folder(m) for m in ws.index.months()]
            state = {
                "documents": ws.index.documents,
                "months": len(months),
                "from": months[0] if months else None,
                "to": months[-1] if months else None,
                "posts": int(ws.sql("SELECT count(*) AS n FROM posts").column("n")[0].as_py()),
                "indexed_now": done.added,
                "rebuilt": done.rebuilt,
                "repaired": ", ".join(done.repaired or []) or None,
                "seconds": round(done.seconds, 1),
                "size_mb": round(ws.index.size_bytes / 1e6, 1),
            }
        if as_json:
            print_json(state)
        else:
            print_table([state], list(state), title="search index")


def _search(query: str) -> tuple[Filter, ...]:
    return (Filter("search", "=", query),) if query.strip() else ()


def _qualifiers(**values: list[str] | None) -> list[str]:
    """Filters as query qualifiers (``source:"forum:Lantern Hall"``), for --trend."""
    out_: list[str] = []
    for name, vs in values.items():
        if not vs:
            continue
        for v in vs:
            if '"' in v:
                raise QueryError(f"--{name} values cannot hold a double quote: {v!r}")
        alts = [f'{name}:"{v}"' for v in vs]
        out_.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    return out_


def _print(results: SearchResults) -> None:
    print_hits(results)
    for name, counts in results.facets.items():
        rows = [{name: v, "posts": n} for v, n in counts[:10]]
        print_table(rows, [name, "posts"], title=f"by {name}")


def print_hits(results: SearchResults) -> None:
    """The page of hits: when, where, who, the title and the snippet (markup escaped,
    control characters shown as symbols)."""
    page = (
        f"{results.offset + 1:,}-{results.offset + len(results.hits):,} of " if results.hits else ""
    )
    out.print(
        f"[bold]{page}{results.total:,} posts[/bold] match "
        f"{shown(results.query) or 'anything'} (sorted by {results.sort})\n"
    )
    for h in results.hits:
        who = f" · {shown(h.author)}" if h.author else ""
        where = f" · {shown(h.section)}" if h.section else ""
        out.print(
            f"[cyan]{h.time:%Y-%m-%d %H:%M}[/cyan] [bold]{shown(h.source_id)}[/bold]"
            f"{where}{who}  [dim]uid {h.uid}[/dim]"
        )
        if h.title:
            out.print(f"  [bold]{shown(h.title)}[/bold]")
        text = "".join(
            f"[bold yellow]{shown(t)}[/bold yellow]" if on else shown(t) for t, on in h.snippet
        )
        out.print("  " + text.replace("\n", " ") + "\n")
