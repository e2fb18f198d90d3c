"""`groundswell audit`: how much of an entity's buzz is coordinated, new, templated or paid."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Filled in by the audit CLI."""
