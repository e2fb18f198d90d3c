"""Shared fixtures: a fresh temp-dir workspace, and the path to the fixture files. The tests
keep compiled pattern databases in a cache of their own (inherited by the processes they
start), never in the user's."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from groundswell import Workspace

CASES = Path(__file__).parent / "cases"
os.environ["GROUNDSWELL_CACHE"] = tempfile.mkdtemp(prefix="groundswell-test-cache-")


@pytest.fixture
def cases() -> Path:
    return CASES


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A new, empty workspace in a temporary directory, closed after the test."""
    workspace = Workspace.init(tmp_path / "ws")
    yield workspace
    workspace.close()


def posts(ws: Workspace, where: str = "TRUE") -> list[dict]:
    """Posts as dicts ordered by source and native id (a helper for assertions)."""
    return ws.sql(
        f"SELECT * FROM posts WHERE {where} ORDER BY source_id, time, native_id"
    ).to_pylist()
