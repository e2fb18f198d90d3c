"""`groundswell import` and `groundswell import-table`."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from groundswell.cli.common import (
    JsonOpt,
    WaitOpt,
    WorkspaceOpt,
    err,
    guard,
    import_progress,
    open_ws,
    out,
    print_json,
    print_table,
)
from groundswell.errors import GroundswellError, ImportError_
from groundswell.provenance import ImportResult
from groundswell.sources.base import ImportOptions, get_importer

RESULT_COLUMNS = [
    "import_id",
    "file",
    "status",
    "records_read",
    "records_new",
    "records_updated",
    "records_unchanged",
    "records_quarantined",
    "seconds",
]


def _mapping(pairs: list[str], mapping_file: Path | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    if mapping_file is not None:
        try:
            text = mapping_file.read_text(encoding="utf-8")
            data = json.loads(text) if mapping_file.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as e:
            raise ImportError_(
                f"cannot read the mapping file: {e}", path=str(mapping_file)
            ) from None
        data = data.get("mapping", data)
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ImportError_(
                'the mapping file must map column names to field names (e.g. text = "body")',
                path=str(mapping_file),
            )
        mapping.update(data)
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column or not field:
            raise ImportError_(f"--map takes COLUMN=FIELD, got {pair!r}")
        mapping[column.strip()] = field.strip()
    return mapping


def _covers(value: str | None) -> tuple[datetime, datetime] | None:
    if not value:
        return None
    start, sep, end = value.partition("..")
    try:
        if not sep:
            raise ValueError
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except ValueError:
        raise ImportError_(f"--covers takes FROM..TO in ISO dates, got {value!r}") from None
    a = a if a.tzinfo else a.replace(tzinfo=UTC)
    b = b if b.tzinfo else b.replace(tzinfo=UTC)
    if len(end) == 10:  # a date: cover the whole day
        b = b.replace(hour=23, minute=59, second=59, microsecond=999999)
    return a, b


def _row(r: ImportResult) -> dict[str, object]:
    d = r.as_dict()
    d["file"] = Path(r.path).name
    d["seconds"] = round(r.seconds, 2)
    if r.status == "skipped":
        d["status"] = f"skipped (same as #{r.same_as}; --force re-reads)"
    return d


def _report(results: list[ImportResult], as_json: bool) -> None:
    if as_json:
        print_json([r.as_dict() for r in results])
        return
    print_table([_row(r) for r in results], RESULT_COLUMNS)
    quarantined = sum(r.records_quarantined for r in results)
    if quarantined:
        ids = " ".join(str(r.import_id) for r in results if r.records_quarantined)
        err.print(
            f"[yellow]{quarantined:,} records quarantined[/yellow]: see "
            f"`groundswell quarantine --import {ids.split()[0]}`"
        )


def register(app: typer.Typer) -> None:
    @app.command("import")
    @guard
    def import_(
        format: Annotated[
            str, typer.Argument(help="Importer name; `groundswell formats` lists them.")
        ],
        paths: Annotated[
            list[Path],
            typer.Argument(
                help="Files to import (compressed files are recognised by their content)."
            ),
        ],
        source: Annotated[
            str | None,
            typer.Option(
                help="Source name, overriding what the file implies (e.g. a forum's name)."
            ),
        ] = None,
        platform: Annotated[
            str | None, typer.Option(help="Platform of a generic file (default: generic).")
        ] = None,
        url: Annotated[
            str | None,
            typer.Option(help="URL of the source (never fetched; an .onion host marks it as Tor)."),
        ] = None,
        network: Annotated[
            str | None, typer.Option(help="clearnet or tor (default: from --url).")
        ] = None,
        timezone: Annotated[
            str | None,
            typer.Option(help="IANA timezone for naive times in the file, e.g. Europe/Amsterdam."),
        ] = None,
        time_format: Annotated[
            str,
            typer.Option(
                help="auto, epoch_s, epoch_ms, iso, or a strptime pattern like '%d/%m/%Y %H:%M'."
            ),
        ] = "auto",
        map_: Annotated[
            list[str] | None,
            typer.Option(
                "--map",
                help="COLUMN=FIELD for generic "
                "formats, repeatable, e.g. --map "
                "text=body --map author_name=user.name.",
            ),
        ] = None,
        mapping: Annotated[
            Path | None, typer.Option(help="TOML or JSON file of COLUMN = FIELD pairs.")
        ] = None,
        retrieved_at: Annotated[
            str | None,
            typer.Option(help="ISO time the export was made, when the file does not say."),
        ] = None,
        covers: Annotated[
            str | None,
            typer.Option(
                help="FROM..TO: the period the file covers, "
                "declared (default: first to last record)."
            ),
        ] = None,
        strict: Annotated[
            bool, typer.Option(help="Fail at the first bad record and store nothing of that file.")
        ] = False,
        force: Annotated[bool, typer.Option(help="Re-read a file already imported.")] = False,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Import files of one FORMAT into the workspace.

        Re-importing a file adds nothing; a newer export adds its new records and updates
        edited ones. Bad records are quarantined with their line and reason (see
        `groundswell quarantine`) unless --strict.

        Examples:

            groundswell import reddit RC_2020-03.zst RS_2020-03.zst

            groundswell import forum scrape.jsonl --timezone Europe/Amsterdam

            groundswell import jsonl posts.jsonl --source myforum --map text=body --map time=ts
        """
        get_importer(format)  # fail on an unknown format before opening anything
        options = ImportOptions(
            source=source,
            platform=platform,
            url=url,
            network=network,
            timezone=timezone,
            time_format=time_format,
            mapping=_mapping(map_ or [], mapping),
            retrieved_at=retrieved_at,
        )
        span = _covers(covers)
        results: list[ImportResult] = []
        failed: GroundswellError | None = None
        with open_ws(workspace, wait, read_only=False) as ws:
            for path in paths:
                try:
                    with import_progress(path.name, enabled=not as_json) as progress:
                        results += ws.import_(
                            format,
                            [path],
                            options=options,
                            strict=strict,
                            force=force,
                            covers=span,
                            progress=progress,
                        )
                except GroundswellError as e:
                    failed = e
                    break
            last = ws.imports(limit=1)
        if failed is not None:
            if results:
                _report(results, as_json)
            if last and last[0]["status"] == "failed" and last[0]["records_new"]:
                err.print(
                    f"[yellow]{last[0]['records_new']:,} records read before the error "
                    "were kept[/yellow]; fix the file and import it again to complete it"
                )
            raise failed
        _report(results, as_json)

    @app.command("import-table")
    @guard
    def import_table(
        path: Annotated[Path, typer.Argument(help="CSV (plain, .gz or .zst) or Parquet file.")],
        name: Annotated[str, typer.Option(help="Table name; stored as ev_NAME.")],
        time_column: Annotated[str, typer.Option(help="The column that dates each row.")],
        timezone: Annotated[
            str, typer.Option(help="IANA timezone of naive times in the file.")
        ] = "UTC",
        time_format: Annotated[
            str | None, typer.Option(help="strptime pattern for the time column, if not ISO-like.")
        ] = None,
        key: Annotated[
            list[str] | None,
            typer.Option(help="Column(s) identifying a row; re-imports then update rows."),
        ] = None,
        force: Annotated[bool, typer.Option(help="Re-read a file already imported.")] = False,
        workspace: WorkspaceOpt = None,
        wait: WaitOpt = 0.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Import a CSV or Parquet file as its own typed event table (e.g. a 911 dispatch log).

        Naive timestamps are read in --timezone and stored in UTC; unreadable rows and rows with
        a missing or absurd time are quarantined.

        Example:

            groundswell import-table calls.csv --name calls --time-column queued_at
            --timezone America/Chicago --key call_id
        """
        with open_ws(workspace, wait, read_only=False) as ws:
            result = ws.import_table(
                path,
                name=name,
                time_column=time_column,
                timezone=timezone,
                time_format=time_format,
                key=key or [],
                force=force,
            )
        _report([result], as_json)
        if not as_json and result.status == "completed":
            out.print(
                f"Table [bold]ev_{name}[/bold] ready; query it with `groundswell export "
                f'"SELECT ... FROM ev_{name}" out.csv`'
            )
