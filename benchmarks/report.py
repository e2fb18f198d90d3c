"""How long the demo's briefings take: computing each (every section through the metric,
anomaly, indicator and search engines) and writing each format, in a fresh process.

    .venv/bin/python benchmarks/report.py                        # the workspace `make demo` made
    .venv/bin/python benchmarks/report.py --workspace DIR --runs 5

The issue's bar: a demo briefing renders in under 30 seconds on this machine. Each briefing is
built and written --runs times (the first run of a process also loads WeasyPrint and the
chart renderer, so it is reported apart), and the figures printed are that first run and the
median of the others, per step and in total.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from groundswell import Workspace
from groundswell.report.render import write_report

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=ROOT / "demo-workspace" / "workspace")
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()
    if not (args.workspace / "groundswell.toml").exists():
        raise SystemExit(f"no workspace at {args.workspace}: run `make demo` first")
    print(f"Python {platform.python_version()} on {platform.machine()}, {args.workspace}")
    with Workspace.open(args.workspace, read_only=True) as ws, tempfile.TemporaryDirectory() as tmp:
        for name in ("weekly", "monthly"):
            runs: list[dict[str, float]] = []
            for _ in range(args.runs):
                times: dict[str, float] = {}
                t = time.perf_counter()
                doc = ws.report(name)
                times["build"] = time.perf_counter() - t
                for fmt in ("html", "pdf", "md"):
                    t = time.perf_counter()
                    write_report(doc, Path(tmp), [fmt])
                    times[fmt] = time.perf_counter() - t
                times["total"] = sum(times.values())
                runs.append(times)
            first, rest = runs[0], runs[1:] or runs
            print(f"\n{name}: {doc.title}, {doc.period}, {len(doc.blocks)} sections")
            print(f"  {'step':<8}{'first run':>12}{'median of rest':>16}")
            for step in ("build", "html", "pdf", "md", "total"):
                median = statistics.median(r[step] for r in rest)
                print(f"  {step:<8}{first[step]:>11.2f}s{median:>15.2f}s")


if __name__ == "__main__":
    main()
