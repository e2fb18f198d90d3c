"""Write the CLI reference (docs/cli.md) from the commands' own --help texts."""

from __future__ import annotations

import os
import subprocess
import sys

COMMANDS = [
    "",
    "init",
    "formats",
    "import",
    "import-table",
    "sources",
    "imports",
    "quarantine",
    "stats",
    "export",
    "enrich",
    "indicators",
    "search",
    "index",
    "migrate",
    "metrics",
    "trend",
    "anomalies",
    "actor",
    "actors",
    "aliases",
    "alias",
    "creators",
    "coordination",
    "audit",
    "report",
    "reports",
    "generate",
    "demo",
]


def help_text(command: str) -> str:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}
    args = [sys.executable, "-m", "groundswell", *([command] if command else []), "--help"]
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    return "\n".join(line.rstrip() for line in out.strip("\n").splitlines())


def markdown() -> str:
    parts = [
        "# Command-line reference",
        "",
        "Generated from each command's `--help` by `make docs`; do not edit.",
        "",
    ]
    for c in COMMANDS:
        parts += [
            "## `groundswell`" if not c else f"## `groundswell {c}`",
            "",
            "```text",
            help_text(c),
            "```",
            "",
        ]
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(markdown())
