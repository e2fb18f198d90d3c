"""`groundswell coordination`: accounts that shared the same objects within minutes."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Filled in by the coordination CLI."""
