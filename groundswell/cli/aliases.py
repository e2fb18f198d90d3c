"""`groundswell aliases` and `groundswell alias`: alias candidates across sources with their
evidence, and the analyst's decisions on them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from groundswell.actors import aliases
from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    guard,
    open_ws,
    out,
    print_json,
    print_table,
    shown,
)
from groundswell.errors import QueryError

EXAMPLES = """
Examples:

    groundswell aliases quietfox                         # candidates on other sources
    groundswell aliases quietfox --source "forum:Lantern Hall" --limit 5 --json
    groundswell aliases 1234                              # an account number
    groundswell aliases --decisions                       # every decision taken

Each candidate shows its evidence and the points each piece adds: identical_name (3),
normalised_name (2.5), base_name (2, trailing digits dropped) or fuzzy_name (up to 2; names
count once), shared_indicators (rare crypto, emails, URLs, domains: 4/k each, 4 at most),
active_hours (up to 2) and style (up to 4). A score only ranks: nothing is merged until you
confirm it with `groundswell alias confirm`.
"""

ALIAS_EXAMPLES = """
Examples:

    groundswell alias confirm "forum:Lantern Hall:quietfox" "forum:Harbour Lights:quiet_fox" \\
        --note "same crypto address, same hours"
    groundswell alias reject 12 4711
    groundswell alias undo 12 4711

A and B are account numbers or source_id:author_id. Confirmed accounts are one person in
distinct-author counts (`groundswell trend --measure distinct --column author_id`).
"""

Account = Annotated[str, typer.Argument(help="An account number or source_id:author_id.")]


def _value(value: Any) -> str:
    if isinstance(value, list):  # shared indicators
        return ", ".join(f"{v['kind']} {v['value']} ({v['accounts']} accounts)" for v in value)
    return str(value)


def evidence_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per piece of evidence, the candidate named on its first."""
    rows: list[dict[str, Any]] = []
    for c in found:
        head = {
            "score": c["score"], "account": c["account"],
            "candidate": _label(c), "posts": c["posts"],
            "last_seen": c["last_seen"].date() if c["last_seen"] else None,
            "decision": c["decision"],
        }  # fmt: skip
        for i, e in enumerate(c["evidence"]):
            row = dict(head) if i == 0 else {}
            row.update(evidence=e["name"], value=_value(e["value"]), points=f"+{e['points']:g}")
            rows.append(row)
    return rows


def register(app: typer.Typer) -> None:
    @app.command("aliases", epilog=EXAMPLES)
    @guard
    def aliases_(
        name: Annotated[
            str | None,
            typer.Argument(
                help="The actor: author id, display name, source_id:author_id or account number."
            ),
        ] = None,
        source: Annotated[
            str | None, typer.Option(help="The actor's source, when the name is on several.")
        ] = None,
        limit: Annotated[int, typer.Option(help="Candidates to show.")] = 10,
        decisions: Annotated[
            bool, typer.Option("--decisions", help="List the decisions taken instead.")
        ] = False,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Accounts on other sources (closed ones too) that may be the same person, best
        first, with every piece of evidence and its points."""
        if decisions:
            with open_ws(workspace, wait, read_only=True) as ws:
                rows = aliases.decisions(ws)
            if as_json:
                print_json(rows)
                return
            for r in rows:
                r["a"] = f"{r['account_a']} {r['source_a']}:{r['author_a']}"
                r["b"] = f"{r['account_b']} {r['source_b']}:{r['author_b']}"
            print_table(
                rows, ["status", "a", "b", "score", "note", "decided_at"],
                title="alias decisions", empty="no decisions yet",
            )  # fmt: skip
            return
        if name is None:
            raise QueryError("name an actor", hint="groundswell aliases NAME, or --decisions")
        with open_ws(workspace, wait, read_only=True) as ws:
            found = aliases.candidates(ws, name, source=source, limit=limit)
        rows = [c.to_dict() for c in found]
        if as_json:
            print_json(rows)
            return
        print_table(
            evidence_rows(rows),
            ["score", "account", "candidate", "posts", "last_seen"]
            + (["decision"] if any(c.decision for c in found) else [])
            + ["evidence", "value", "points"],
            title=f"alias candidates of {name}",
            empty="no candidates on other sources",
        )

    alias = typer.Typer(
        help="Decide on alias candidates: confirm, reject or undo.", epilog=ALIAS_EXAMPLES
    )
    app.add_typer(alias, name="alias")

    def _decide(a: str, b: str, status: str, note: str, workspace: Any, wait: float,
                as_json: bool) -> None:  # fmt: skip
        with open_ws(workspace, wait, read_only=False) as ws:
            d = aliases.decide(ws, a, b, status, note)
        if as_json:
            print_json(d)
            return
        out.print(
            f"{status}: {d['account_a']} {shown(d['source_a'])}:{shown(d['author_a'])} and "
            f"{d['account_b']} {shown(d['source_b'])}:{shown(d['author_b'])} "
            f"(score {d['score']:g})"
        )
        if d.get("warning"):
            out.print(f"[yellow]note:[/yellow] {shown(d['warning'])}")

    @alias.command("confirm", epilog=ALIAS_EXAMPLES)
    @guard
    def confirm(
        a: Account,
        b: Account,
        note: Annotated[str, typer.Option(help="Why: kept with the decision.")] = "",
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Confirm that two accounts are one person: distinct-author counts count them once."""
        _decide(a, b, "confirmed", note, workspace, wait, as_json)

    @alias.command("reject", epilog=ALIAS_EXAMPLES)
    @guard
    def reject(
        a: Account,
        b: Account,
        note: Annotated[str, typer.Option(help="Why: kept with the decision.")] = "",
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Record that two accounts are not the same person (replaces a confirmation)."""
        _decide(a, b, "rejected", note, workspace, wait, as_json)

    @alias.command("undo", epilog=ALIAS_EXAMPLES)
    @guard
    def undo(
        a: Account,
        b: Account,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Remove the decision on two accounts; counts follow the remaining confirmations."""
        with open_ws(workspace, wait, read_only=False) as ws:
            d = aliases.undo(ws, a, b)
        if as_json:
            print_json(d)
            return
        out.print(f"undone: {d['status']} {shown(d['account_a'])} and {shown(d['account_b'])}")


def _label(c: dict[str, Any]) -> str:
    """``source:author_id``, with the display name when it says more (``forum:X:38 quiet_fox``)."""
    label = f"{c['source_id']}:{c['author_id']}"
    name = c.get("name")
    return f"{label} {name}" if name and name != c["author_id"] else label
