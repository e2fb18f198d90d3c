"""Hostile text never steers the analyst's terminal: control characters in posts, names and
quarantined excerpts are printed as symbols (ESC as ␛), and brackets in them are never read
as console markup (a name like ``[/bold]`` would otherwise end a style, or crash the print)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groundswell.cli.common import clean, shown
from groundswell.cli.main import main

ESC = "\x1b"
AUTHOR = "[/bold]mallory\x1b]0;pwned\x07"
TEXT = "hello \x1b[2J\x1b[8mhidden\x9b world [link=https://example.invalid]click[/link]"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_control_characters_become_symbols() -> None:
    assert clean("a\x1b[31mb\x07c\x00\x7f\x9bd") == "a␛[31mb␇c␀␡\ufffdd"
    assert clean("tab\tand\nnewline") == "tab\tand\nnewline"
    assert shown("[/bold]\x1b") == "\\[/bold]␛"


@pytest.fixture
def workspace(tmp_path: Path) -> str:
    f = tmp_path / "posts.jsonl"
    rows = [{"id": 1, "created_at": 1_580_000_000, "author": AUTHOR, "text": TEXT}]
    f.write_text(json.dumps(rows[0]) + "\n" + '{"id": 2, "text": "\x1b]0;broken\n')
    ws = str(tmp_path / "ws")
    assert main(["init", ws]) == 0
    assert main(["import", "jsonl", str(f), "--source", "f", "-w", ws]) == 0
    return ws


def test_search_prints_hostile_posts_as_text(
    workspace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, out, err = run(capsys, "search", "hello", "-w", workspace)
    assert code == 0, err
    assert ESC not in out and "\x07" not in out and "\x9b" not in out
    assert "␛[2J" in out and "[/bold]mallory␛]0;pwned␇" in out
    assert "[link=https://example.invalid]click[/link" in out  # (the snippet ends at a word)


def test_tables_print_quarantined_excerpts_as_text(
    workspace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, out, err = run(capsys, "quarantine", "-w", workspace)
    assert code == 0, err
    assert ESC not in out and "␛]0;broken" in out
