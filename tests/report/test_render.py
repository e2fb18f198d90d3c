"""Writing a briefing to disk: every format of the sample in one folder, the CSV beside each
chart and table holding exactly its numbers, PNG charts for the Markdown, unknown formats
refused before anything is written, hostile names kept inside the folder, and no file ever
left half-written under its final name."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from groundswell.errors import GroundswellError
from groundswell.report import render
from groundswell.report.document import Block, Document
from groundswell.report.render import (
    FORMATS,
    chart_files,
    data_files,
    report_slug,
    safe_name,
    write_report,
)
from tests.report.sample import document

PNG = b"\x89PNG\r\n\x1a\n"


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[str]]:
    out = tmp_path_factory.mktemp("briefing") / "out"
    said: list[str] = []
    return out, write_report(document(), out, progress=said.append), said


def test_all_formats_are_written_in_order(written: tuple[Path, list[Path], list[str]]) -> None:
    out, paths, said = written
    names = [p.relative_to(out).as_posix() for p in paths]
    assert names == [
        "weekly-2020-W11-data/01-forum_posts.csv",
        "weekly-2020-W11-data/02-file_sharing_index.csv",
        "weekly-2020-W11.html",
        "weekly-2020-W11.pdf",
        "weekly-2020-W11-charts/01-posts-per-week.png",
        "weekly-2020-W11.md",
    ]
    assert said == [f"writing {n}" for n in names]
    assert files(out) == set(names)  # nothing else: no temporary file left behind
    assert (out / "weekly-2020-W11.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "weekly-2020-W11.html").read_text().startswith("<!DOCTYPE html>")
    markdown = (out / "weekly-2020-W11.md").read_text()
    assert "](weekly-2020-W11-charts/01-posts-per-week.png)" in markdown
    assert "](weekly-2020-W11-data/01-forum_posts.csv)" in markdown


def test_charts_are_png(written: tuple[Path, list[Path], list[str]]) -> None:
    _, paths, _ = written
    charts = [p for p in paths if p.suffix == ".png"]
    assert charts
    for chart in charts:
        data = chart.read_bytes()
        assert data.startswith(PNG)
        width = int.from_bytes(data[16:20], "big")
        assert width >= 1000  # 720 pixels wide at twice the size, for print


def test_each_csv_holds_its_blocks_numbers(written: tuple[Path, list[Path], list[str]]) -> None:
    out, _, _ = written
    doc = document()
    where = data_files(doc)
    checked = 0
    for i, block in enumerate(doc.blocks):
        for name, table in block.data.items():
            back = pacsv.read_csv(out / where[(i, name)])
            assert back.column_names == table.column_names
            for column in table.column_names:
                assert back.column(column).to_pylist() == table.column(column).to_pylist()
            checked += 1
    assert checked == 2
    text = (out / "weekly-2020-W11-data/01-forum_posts.csv").read_text().splitlines()
    assert text[0] == '"period","value","status","so_far"'
    assert text[1] == '"2020-01-06T00:00:00+00:00",100,"observed",'


def test_timestamps_keep_their_timezone_and_nested_values_are_json(tmp_path: Path) -> None:
    berlin = pa.timestamp("us", tz="Europe/Berlin")
    table = pa.table(
        {
            "period": pa.array([datetime(2020, 3, 8, 23, tzinfo=UTC), None], berlin),
            "hosts": pa.array([["a.example", "b.example"], []]),
            "value": [1.5, None],
        }
    )
    doc = document()
    doc.blocks = [Block("table", "Hosts", data={"hosts.csv": table})]
    (path,) = write_report(doc, tmp_path, [])
    lines = path.read_text().splitlines()
    assert lines[1] == '"2020-03-09T00:00:00+01:00","[""a.example"", ""b.example""]",1.5'
    assert lines[2] == ',"[]",'
    back = pacsv.read_csv(path)
    assert back.column("period").to_pylist() == table.column("period").to_pylist()


def test_unknown_format_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(GroundswellError, match="'docx'") as error:
        write_report(document(), out, ["md", "docx"])
    assert "html, pdf, md" in str(error.value)
    assert not out.exists()


def test_only_the_formats_asked_for(tmp_path: Path) -> None:
    paths = write_report(document(), tmp_path, ["md", "md"])
    assert [p.name for p in paths if p.suffix in (".md", ".html", ".pdf")] == ["weekly-2020-W11.md"]
    assert files(tmp_path) == {p.relative_to(tmp_path).as_posix() for p in paths}


def hostile() -> Document:
    doc = document()
    doc.slug = "../../../etc/passwd\\..\\x"
    chart = doc.blocks[0]
    chart.title = "../../../../tmp/evil/\x00.png"
    chart.data = {
        "../../escape.csv": chart.data["01-forum_posts.csv"],
        "/abs/escape.csv": pa.table({"a": [1]}),
        "..": pa.table({"a": [2]}),
        "CON.csv": pa.table({"a": [3]}),
    }
    doc.blocks[1].data = {"escape.csv": pa.table({"a": [4]})}  # taken by the first block
    return doc


def test_hostile_names_cannot_escape_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    doc = hostile()
    paths = write_report(doc, out, ["md"])
    assert files(tmp_path) == {f"out/{p.relative_to(out).as_posix()}" for p in paths}
    for path in paths:
        relative = path.relative_to(out)
        assert path.resolve().is_relative_to(out.resolve())
        assert len(relative.parts) <= 2
        assert all(part.isascii() and ".." not in part for part in relative.parts)
        assert not any(part.startswith((".", "-")) for part in relative.parts)
    slug = report_slug(doc)
    assert slug == "etc-passwd.x"
    assert sorted(p.relative_to(out).as_posix() for p in paths if p.suffix == ".csv") == [
        f"{slug}-data/01-data.csv",
        f"{slug}-data/CON-.csv",
        f"{slug}-data/abs-escape.csv",
        f"{slug}-data/escape-2.csv",
        f"{slug}-data/escape.csv",
    ]
    assert chart_files(doc) == {0: f"{slug}-charts/01-tmp-evil-png.png"}
    markdown = (out / f"{slug}.md").read_text()
    for relative in [*data_files(doc).values(), *chart_files(doc).values()]:
        assert f"]({relative})" in markdown


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("weekly-2020-W11", "weekly-2020-W11"),
        ("Café crème", "Cafe-creme"),
        ("../..", "report"),
        ("...hidden", "hidden"),
        ("a/b\\c:d", "a-b-c-d"),
        ("日本語", "report"),
        ("x" * 200, "x" * render.MAX_NAME),
        ("nul", "nul-"),
        ("a-.b._c--d", "a.b._c-d"),
    ],
)
def test_safe_name(text: str, name: str) -> None:
    assert safe_name(text, default="report") == name


def test_a_failed_write_leaves_nothing_under_the_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import groundswell.report.chart_files

    def half_then_crash(spec: object, path: Path) -> Path:
        path.write_bytes(PNG[:4])
        raise RuntimeError("renderer died")

    monkeypatch.setattr(groundswell.report.chart_files, "write_chart", half_then_crash)
    with pytest.raises(RuntimeError, match="renderer died"):
        write_report(document(), tmp_path, ["md"])
    assert files(tmp_path) == {
        "weekly-2020-W11-data/01-forum_posts.csv",
        "weekly-2020-W11-data/02-file_sharing_index.csv",
    }
    assert os.listdir(tmp_path / "weekly-2020-W11-charts") == []


def test_formats_are_the_three() -> None:
    assert FORMATS == ("html", "pdf", "md")
