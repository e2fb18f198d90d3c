"""`groundswell coordination`: accounts that shared the same objects within minutes.

A thin layer over :meth:`Workspace.coordination`: the options become its ``Settings`` and
``Scope`` (``--query`` narrows the posts to a search's hits), and the result is shown as a
one-line summary and a table of clusters, one cluster in full (``--cluster N``: members,
objects, and every co-share behind its edges), JSON, or files (``--export DIR``)::

    groundswell coordination -t crypto --query 'indicator:0x302d…' --window 10m \\
        --min-weight 1 --min-participation 1 --cluster 1
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from groundswell.cli.actors import fresh_ws
from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    err,
    guard,
    human,
    out,
    print_json,
    print_table,
    shown,
)
from groundswell.cli.trends import _when
from groundswell.coordination import export
from groundswell.coordination import traces as traces_mod
from groundswell.coordination.detect import Coordination
from groundswell.coordination.network import PRESETS, WEIGHTS, Settings, in_words, seconds
from groundswell.coordination.traces import Scope
from groundswell.errors import QueryError
from groundswell.search.results import SearchFilters
from groundswell.workspace import Workspace

DEFAULT_TRACES: tuple[str, ...] = tuple(
    inspect.signature(Workspace.coordination).parameters["traces"].default
)
# characters of an object shown in the objects table, the co-shares, the clusters table
OBJECT_WIDTH, EVIDENCE_WIDTH, TOP_WIDTH = 80, 44, 44  # (an EVM address has 42)
CLUSTER_COLUMNS = [
    "cluster", "accounts", "edges", "weight", "first", "last", "span", "traces", "top_objects",
]  # fmt: skip
MEMBER_COLUMNS = [
    "name", "source_id", "author_id", "first_seen", "posts", "active_days", "community",
    "degree", "strength",
]  # fmt: skip
EVIDENCE_COLUMNS = ["time", "account", "then", "other account", "seconds", "trace", "object"]

EXAMPLES = f"""
Examples:

    groundswell coordination                        # {", ".join(DEFAULT_TRACES)} within 60 s
    groundswell coordination -t url,hashtag --window 10m --since 2024-03-01 --until 2024-04-01
    groundswell coordination --cluster 1            # its members, objects and co-shares
    groundswell coordination --quantile 0.9 --fast-window 10s   # the heaviest 10% of edges
    groundswell coordination --export nova/ --format gexf,csv   # open nova/network.gexf in Gephi
    groundswell coordination --json > coordination.json

Which accounts posted the NOVA contract within minutes of each other? Narrow the posts to
those naming it (--query takes the search syntax of `groundswell search`), pair the accounts on
the address, and accept a single shared object per pair (one address can only give weight 1):

    groundswell coordination -t crypto --window 10m --min-weight 1 --min-participation 1 \\
        --query 'indicator:0x302DFaF2CDbE51a18d97186A7384e87CF599877D'
    groundswell coordination -t crypto,similar --query 'NOVA' --window 10m --cluster 1

Two accounts co-share when both post the same object (a link, an address, a near-identical
text ...) at most --window apart, bounds included; an edge joins two accounts that co-shared
at least --min-weight distinct objects (or co-shares, with --weight pairs), and a cluster is a
group of accounts joined by edges. Traces: {", ".join(traces_mod.TRACES)}. The exact
semantics, parameter guidance and how each option maps onto CooRTweet, CooRnet and the
coordination-network-toolkit: docs/coordination.md.
"""

AUTO_WINDOW_WARNING = 3600  # seconds: an automatic window longer than this is flagged


def duration(text: str, option: str) -> int:
    """Seconds from ``90``, ``90s``, ``10m``, ``2h`` or ``1d``; an error names ``option``."""
    try:
        return seconds(text)
    except QueryError as e:
        raise QueryError(f"{option}: {e.message}", hint=e.hint) from None


def as_option(seconds: int) -> str:
    """A duration as an option value: ``600`` -> ``10m``."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def counted(n: int, thing: str) -> str:
    """``1 cluster``, ``2 clusters``."""
    return f"{n:,} {thing}" if n == 1 else f"{n:,} {thing}s"


def summary_line(result: Coordination) -> str:
    read = result.shares_read
    per_trace = ", ".join(f"{t} {n:,}" for t, n in read.items())
    found = ", ".join(
        counted(getattr(result, f"{t}s").num_rows, t) for t in ("account", "edge", "cluster")
    )
    return (
        f"{counted(sum(read.values()), 'share')} read ({per_trace}): {found}; "
        f"{result.settings.describe()}"
    )


def traces_option(
    given: Sequence[str] | None, default: Sequence[str] = DEFAULT_TRACES
) -> tuple[str, ...]:
    """The traces of repeated or comma-separated ``--trace`` options, checked."""
    if not given:
        return tuple(default)
    return traces_mod.check([t.strip().lower() for g in given for t in g.split(",") if t.strip()])


@contextmanager
def spinner(enabled: bool, message: str) -> Iterator[None]:
    """A spinner on stderr saying ``message`` while the work runs (on a terminal only)."""
    if not enabled or not err.is_terminal:
        yield
        return
    with err.status(message):
        yield


def register(app: typer.Typer) -> None:
    @app.command(epilog=EXAMPLES)
    @guard
    def coordination(
        trace: Annotated[
            list[str] | None,
            typer.Option(
                "--trace",
                "-t",
                help="What two accounts share (repeatable or comma-separated): "
                f"{', '.join(traces_mod.TRACES)}. Default: {','.join(DEFAULT_TRACES)}.",
                show_default=False,
            ),
        ] = None,
        window: Annotated[
            str,
            typer.Option(
                help="Most time between two shares of an object: 90, 90s, 10m, 2h, 1d; or auto "
                "(CooRnet's estimate from the shares)."
            ),
        ] = f"{Settings.window}s",
        like: Annotated[
            str | None,
            typer.Option(
                help=f"Use the semantics of an established tool: {', '.join(PRESETS)} "
                "(docs/coordination.md)."
            ),
        ] = None,
        bins: Annotated[
            bool,
            typer.Option(help="CooRnet's fixed bins of --window seconds, not a sliding window."),
        ] = False,
        min_participation: Annotated[
            int,
            typer.Option(
                help="Accounts need this many shares, and a co-share one account with this many "
                "shares in co-shared posts (CooRTweet's rule)."
            ),
        ] = Settings.min_participation,
        min_weight: Annotated[
            int, typer.Option(help="Keep edges of at least this weight.")
        ] = Settings.min_weight,
        quantile: Annotated[
            float | None,
            typer.Option(help="Also keep only edges at or above this quantile of weights (0-1)."),
        ] = None,
        fast_window: Annotated[
            str | None,
            typer.Option(help="Count, per edge, the objects co-shared within this shorter time."),
        ] = None,
        weight: Annotated[
            str,
            typer.Option(help=f"What an edge's weight counts: {' or '.join(WEIGHTS)}."),
        ] = Settings.weight,
        bits: Annotated[
            int, typer.Option(help="similar: most differing bits of two texts' SimHashes (0-15).")
        ] = 6,
        min_chars: Annotated[
            int, typer.Option(help="text, similar: only texts of at least this many characters.")
        ] = 30,
        since: Annotated[str | None, typer.Option(help="Only posts from this time (ISO).")] = None,
        until: Annotated[
            str | None, typer.Option(help="... and before this time (ISO, exclusive).")
        ] = None,
        source: Annotated[
            list[str] | None, typer.Option(help="Only posts of this source id (repeatable).")
        ] = None,
        query: Annotated[
            str | None,
            typer.Option(help="Only posts matching this search query (as in groundswell search)."),
        ] = None,
        export_dir: Annotated[
            Path | None,
            typer.Option(
                "--export", help="Write the tables and the network into this folder (made)."
            ),
        ] = None,
        formats: Annotated[
            str, typer.Option("--format", help="Export formats, comma-separated.")
        ] = ",".join(export.FORMATS),
        cluster: Annotated[
            int | None,
            typer.Option(help="Show this cluster: members, objects and the co-shares behind it."),
        ] = None,
        limit: Annotated[
            int, typer.Option(help="With --cluster: show at most this many co-shares.")
        ] = 50,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Find accounts that acted together: they posted the same links, addresses, hashtags
        or near-identical texts within seconds or minutes of each other, again and again.

        Shows the clusters of such accounts with their time span and what they shared; one
        cluster in full with --cluster N (its members' profiles and every co-share with both
        posts); everything as JSON with --json; CSV, Parquet, GEXF and GraphML with --export.
        Times are UTC."""
        traces = traces_option(trace)
        auto = window.strip().lower() == "auto"
        settings = Settings(
            window=Settings.window if auto else duration(window, "--window"),
            bins=bins,
            min_participation=min_participation,
            min_weight=min_weight,
            quantile=quantile,
            fast_window=None if fast_window is None else duration(fast_window, "--fast-window"),
            weight=weight.strip().lower(),
        ).check()
        if like is not None:
            settings = settings.like(like.strip().lower()).check()
        wanted = export.check(formats.split(",")) if export_dir is not None else ()
        if limit < 0:
            raise QueryError("--limit must be 0 or more")
        a, b = _when(since, "--since"), _when(until, "--until")
        with fresh_ws(workspace, wait) as ws:
            posts = None
            if query is not None:
                posts = tuple(ws.search_uids(query, SearchFilters(since=a, until=b)))
            scope = Scope(since=a, until=b, sources=tuple(source or ()), posts=posts)
            with spinner(not as_json, "finding accounts that shared the same objects ..."):
                result = ws.coordination(
                    traces, settings, scope, bits=bits, min_chars=min_chars, auto_window=auto
                )
            if cluster is not None and result.clusters.num_rows:
                _check_cluster(result, cluster)
        if auto and result.settings.window > AUTO_WINDOW_WARNING:
            err.print(
                f"[yellow]note:[/yellow] the automatic window is "
                f"{in_words(result.settings.window)} (CooRnet's estimate from these shares): "
                "shares that far apart say little about coordination; try --window 10m, or "
                "a shorter period",
                soft_wrap=True,
            )
        written = export.write(result, export_dir, wanted) if export_dir is not None else []
        if as_json:
            data = _json(result, cluster, limit)
            if export_dir is not None:
                data["written"] = [str(p) for p in written]
            print_json(data)
            return
        out.print(summary_line(result))
        if not result.clusters.num_rows:
            _print_empty(result, query)
        elif cluster is not None:
            _print_cluster(result, cluster, limit)
        else:
            _print_clusters(result)
        if written:
            err.print(
                f"wrote {len(written)} files to {export_dir} ({', '.join(wanted)}, settings.json)",
                soft_wrap=True,
            )


# -- one cluster -----------------------------------------------------------------------------
def _check_cluster(result: Coordination, cluster: int) -> None:
    n = result.clusters.num_rows
    if not 1 <= cluster <= n:
        raise QueryError(
            f"no cluster {cluster}: there {'is 1 cluster' if n == 1 else f'are {n} clusters'}",
            hint="clusters are numbered from 1, the largest first",
        )


def _rows(table: Any, cluster: int) -> list[dict[str, Any]]:
    return [r for r in table.to_pylist() if r["cluster"] == cluster]


def _cluster_objects(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per object of a cluster's co-shares, the most accounts first."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for e in evidence:
        o = found.setdefault(
            (e["trace"], e["object"]),
            {"trace": e["trace"], "object": e["object"], "co_shares": 0, "accounts": set(),
             "first": e["time_a"], "last": e["time_b"]},
        )  # fmt: skip
        o["co_shares"] += 1
        o["accounts"].update((e["a"], e["b"]))
        o["first"] = min(o["first"], e["time_a"], e["time_b"])
        o["last"] = max(o["last"], e["time_a"], e["time_b"])
    rows = [{**o, "accounts": len(o["accounts"])} for o in found.values()]
    return sorted(rows, key=lambda o: (-o["accounts"], -o["co_shares"], o["first"], o["trace"]))


def _cluster_data(result: Coordination, cluster: int) -> dict[str, Any]:
    evidence = _rows(result.evidence, cluster)
    return {
        "cluster": _rows(result.clusters, cluster)[0],
        "accounts": _rows(result.accounts, cluster),
        "edges": _rows(result.edges, cluster),
        "objects": _cluster_objects(evidence),
        "evidence": evidence,
    }


def _print_cluster(result: Coordination, cluster: int, limit: int) -> None:
    data = _cluster_data(result, cluster)
    c = data["cluster"]
    out.print(
        f"\n[bold]Cluster {cluster}[/bold]: {c['accounts']:,} accounts, {c['edges']:,} edges, "
        f"weight {c['weight']:,}, {human(c['first'])} to {human(c['last'])} UTC "
        f"({in_words((c['last'] - c['first']).total_seconds())}), "
        f"{c['communities']:,} {'community' if c['communities'] == 1 else 'communities'}"
    )
    print_table(data["accounts"], MEMBER_COLUMNS, title="Members")
    objects = [
        {**o, "object": _shown(result, o["trace"], o["object"], OBJECT_WIDTH)}
        for o in data["objects"]
    ]
    print_table(
        objects, ["trace", "object", "accounts", "co_shares", "first", "last"], title="Objects"
    )
    names = {r["account"]: r["name"] or r["author_id"] for r in data["accounts"]}
    evidence = data["evidence"]
    rows = [
        {
            "time": _second(e["time_a"]),
            "account": names.get(e["a"], e["a"]),
            "then": _second(e["time_b"]),
            "other account": names.get(e["b"], e["b"]),
            "seconds": e["delta"],
            "trace": e["trace"],
            "object": _shown(result, e["trace"], e["object"], EVIDENCE_WIDTH),
        }
        for e in evidence[:limit]
    ]
    print_table(
        rows,
        EVIDENCE_COLUMNS,
        title=f"Co-shares ({min(limit, len(evidence)):,} of {len(evidence):,})",
    )
    if len(evidence) > limit:
        out.print(
            f"[dim]{len(evidence) - limit:,} more: raise --limit, or --export DIR for every "
            "co-share with both posts' uids[/dim]"
        )


# -- every cluster ---------------------------------------------------------------------------
def _print_clusters(result: Coordination) -> None:
    rows = []
    for c in result.clusters.to_pylist():
        top = [o if len(o) <= TOP_WIDTH else o[: TOP_WIDTH - 1] + "…" for o in c["top_objects"][:3]]
        rows.append(
            {
                **c,
                "span": in_words((c["last"] - c["first"]).total_seconds()),
                "traces": ", ".join(c["traces"]),
                "top_objects": "\n".join(top),  # one a line
            }
        )
    print_table(
        rows,
        CLUSTER_COLUMNS,
        title="Clusters (times UTC)",
    )
    out.print(
        "[dim]See one cluster (members, objects, every co-share): add --cluster N. "
        "Write the tables and the network for Gephi: add --export DIR.[/dim]"
    )


def _print_empty(result: Coordination, query: str | None) -> None:
    s = result.settings
    if not sum(result.shares_read.values()):
        if result.scope.posts == ():
            out.print(f"No coordination found: no posts match the query {shown(repr(query))}.")
            return
        where = f"the posts matching {shown(repr(query))}" if query is not None else "these posts"
        *others, last = result.traces
        traces = f"{', '.join(others)} or {last}" if others else last
        out.print(
            f"No coordination found: {where} hold no {traces}. Try other traces "
            f"(-t {','.join(traces_mod.TRACES)}) or a wider period."
        )
        return
    unit = "objects" if s.weight == "objects" else "co-shares"
    out.print(
        f"No coordination found: no two accounts shared {s.min_weight} or more {unit} within "
        f"{in_words(s.window)} of each other. Try a wider window (--window "
        f"{as_option(max(s.window * 10, 600))}), a lower --min-weight or --min-participation, "
        "or more traces."
    )


# -- shared ----------------------------------------------------------------------------------
def _second(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _shown(result: Coordination, trace: str, value: str, width: int) -> str:
    """An object as the terminal shows it: a text trace's excerpt, cut to ``width``."""
    shown = result.shown(trace, value)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _json(result: Coordination, cluster: int | None, limit: int) -> dict[str, Any]:
    data: dict[str, Any] = {"summary": result.summary()}
    if cluster is not None and result.clusters.num_rows:
        one = _cluster_data(result, cluster)
        one["evidence_total"] = len(one["evidence"])
        one["evidence"] = one["evidence"][:limit]
        data.update(one)
        return data
    for name in export.TABLES:
        data[name] = getattr(result, name).to_pylist()
    return data
