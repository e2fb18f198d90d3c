"""`groundswell demo` and `groundswell generate`: the synthetic scenario, end to end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from groundswell.analysis.indicators import IndicatorQuery
from groundswell.cli.common import err, guard, import_progress, out, print_table
from groundswell.cli.inspecting import print_sources, print_summary
from groundswell.config import CONFIG_NAME
from groundswell.sources.base import ImportOptions
from groundswell.workspace import Workspace

ScaleOpt = Annotated[
    float, typer.Option(help="Corpus size: 1.0 is a few hundred thousand records; 0.05 is quick.")
]
SeedOpt = Annotated[int, typer.Option(help="Random seed: the same seed gives the same corpus.")]


def register(app: typer.Typer) -> None:
    @app.command()
    @guard
    def generate(
        directory: Annotated[Path, typer.Argument(help="Where to write the corpus.")],
        scale: ScaleOpt = 1.0,
        seed: SeedOpt = 7,
    ) -> None:
        """Write the synthetic demo corpus in real export formats, with its ground truth."""
        from groundswell.demo import generate as make

        manifest = make(directory, seed=seed, scale=scale, progress=lambda m: err.print(m))
        out.print(
            f"Wrote {len(manifest.files)} files "
            f"({sum(f.records for f in manifest.files):,} records) to {directory}; "
            f"ground truth in {manifest.ground_truth_path}"
        )

    @app.command()
    @guard
    def demo(
        directory: Annotated[
            Path, typer.Argument(help="Folder for the corpus and the workspace.")
        ] = Path("demo-workspace"),
        scale: ScaleOpt = 1.0,
        seed: SeedOpt = 7,
    ) -> None:
        """Generate the demo corpus, import it into a workspace and summarise it.

        Running it again reuses the workspace: re-imports add nothing.
        """
        from groundswell.demo import generate as make
        from groundswell.demo.text import DEMO_LEXICONS

        started = time.monotonic()
        corpus, wsdir = directory / "corpus", directory / "workspace"
        err.print(f"Generating the demo corpus (scale {scale:g}, seed {seed}) in {corpus} ...")
        manifest = make(corpus, seed=seed, scale=scale, progress=lambda m: err.print(f"  {m}"))
        ws = (
            Workspace.open(wsdir)
            if (wsdir / CONFIG_NAME).exists()
            else Workspace.init(wsdir, name="demo", lexicons=DEMO_LEXICONS)
        )
        with ws:
            totals = {"read": 0, "new": 0, "quarantined": 0}
            for f in manifest.files:
                with import_progress(f"{f.format}: {f.path.name}") as progress:
                    if f.format == "table":
                        assert f.table is not None
                        results = [ws.import_table(f.path, **f.table)]
                    else:
                        results = ws.import_(
                            f.format,
                            [f.path],
                            options=ImportOptions(**f.options),
                            progress=progress,
                        )
                for r in results:
                    totals["read"] += r.records_read
                    totals["new"] += r.records_new
                    totals["quarantined"] += r.records_quarantined
            err.print(
                f"Imported {len(manifest.files)} files: {totals['read']:,} records read, "
                f"{totals['new']:,} new, {totals['quarantined']:,} quarantined "
                f"in {time.monotonic() - started:.1f} s"
            )
            print_summary(ws.stats())
            print_sources(ws.sources())
            out.print("\nIndicators extracted at import, by kind:")
            print_table(ws.indicators(IndicatorQuery(by="kind")), ["kind", "occurrences", "posts"])
            out.print("Top domains of links to .jpg files (outside quotes):")
            top = IndicatorQuery(kind="url", extension="jpg", by="domain", top=5)
            print_table(ws.indicators(top), ["domain", "occurrences", "posts", "first_seen"])
        out.print(
            f"\nWorkspace: {wsdir}\nGround truth: {manifest.ground_truth_path}\n"
            f"Try: groundswell stats -w {wsdir}\n"
            f"     groundswell indicators -w {wsdir} --kind lexicon --by subkind --per month"
        )
