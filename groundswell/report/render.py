"""Writing a briefing to disk: the CSV of every chart and table, then each format asked for.

:func:`write_report` lays out, in the folder ``out``::

    SLUG-data/NAME.csv         the numbers behind every chart and table (block.data)
    SLUG.html                  self-contained page (groundswell.report.html)
    SLUG.pdf                   paged, for print (groundswell.report.pdf)
    SLUG-charts/NN-TITLE.png   the charts of the Markdown, at twice the pixel size
    SLUG.md                    GitHub-flavoured Markdown (groundswell.report.markdown)

Every file name comes from the document (its slug, block titles, data names), so each is
made safe here, once, for every format that links to it (:func:`data_files`,
:func:`chart_files`): ASCII letters, digits, ``-``, ``_`` and single dots only, never a path
separator or ``..``, at most :data:`MAX_NAME` characters. Every file is written under a
temporary name in its folder and renamed when complete, so a crash never leaves a
half-written file under the final name.

Example::

    paths = write_report(doc, Path("briefings"), ("html", "md"), progress=print)
    # writing weekly-2020-W11-data/01-forum_posts.csv
    # writing weekly-2020-W11.html
    # writing weekly-2020-W11-charts/01-posts-per-week.png
    # writing weekly-2020-W11.md
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from groundswell.csvfile import write_csv
from groundswell.errors import GroundswellError
from groundswell.report.document import Document

FORMATS = ("html", "pdf", "md")
MAX_NAME = 80  # characters in one file name, before its extension
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}


def safe_name(text: str, *, default: str, words: bool = False, max_len: int = MAX_NAME) -> str:
    """``text`` as one file name (without extension): accents dropped, anything but ASCII
    letters, digits, ``_``, ``-`` and ``.`` turned into ``-``, no two dots or dashes in a row,
    nothing but a letter or digit at either end, at most ``max_len`` characters; ``default`` when
    nothing is left. ``words``: lower-case letters and digits joined by ``-`` only (a title).

    >>> safe_name("../../Café <x>.csv", default="report")
    'Cafe-x.csv'
    >>> safe_name("Posts per week (v1.2)", default="chart", words=True)
    'posts-per-week-v1-2'
    """
    name = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if words:
        name = re.sub(r"[^a-z0-9]+", "-", name.lower())
    # a run of dots and dashes is one dot if it has one (never ".."), else one dash
    name = re.sub(r"[-.]{2,}", lambda m: "." if "." in m.group() else "-", _UNSAFE.sub("-", name))
    name = name[:max_len].strip("-._")
    if not name:
        return default
    return f"{name}-" if name.split(".")[0].upper() in _RESERVED else name


def report_slug(doc: Document) -> str:
    """The stem of every file of the report: ``doc.slug`` made safe."""
    return safe_name(doc.slug, default="report")


def data_files(doc: Document) -> dict[tuple[int, str], str]:
    """Where each table of ``block.data`` is written, relative to the output folder:
    (block index, data name) -> ``SLUG-data/NAME.csv``, one distinct file per table (a
    name that is taken after sanitising gets ``-2``, ``-3``...)."""
    folder = f"{report_slug(doc)}-data"
    paths: dict[tuple[int, str], str] = {}
    taken: set[str] = set()
    for i, block in enumerate(doc.blocks):
        for name in block.data:
            stem = name[:-4] if name.lower().endswith(".csv") else name
            stem = safe_name(stem, default=f"{i + 1:02d}-data")
            file, n = f"{stem}.csv", 1
            while file.lower() in taken:
                n += 1
                file = f"{stem}-{n}.csv"
            taken.add(file.lower())
            paths[(i, name)] = f"{folder}/{file}"
    return paths


def chart_files(doc: Document) -> dict[int, str]:
    """Where the PNG of each chart block goes, relative to the output folder: block index ->
    ``SLUG-charts/NN-TITLE.png`` (NN the block's position, from 01)."""
    folder = f"{report_slug(doc)}-charts"
    return {
        i: f"{folder}/{i + 1:02d}-{safe_name(block.title, default='chart', words=True)}.png"
        for i, block in enumerate(doc.blocks)
        if block.chart is not None
    }


def write_report(
    doc: Document,
    out: Path,
    formats: Sequence[str] = FORMATS,
    *,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write ``doc`` into the folder ``out`` (created if needed) in each of ``formats``, after
    the CSV of every table in ``block.data``; returns every path written, in order. An
    unknown format is refused before anything is written."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise GroundswellError(
            f"unknown report format {', '.join(map(repr, unknown))}",
            hint=f"use one of {', '.join(FORMATS)}",
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    slug = report_slug(doc)
    written: list[Path] = []

    @contextmanager
    def step(relative: str) -> Iterator[Path]:
        if progress is not None:
            progress(f"writing {relative}")
        with atomic(out / relative) as tmp:
            yield tmp
        written.append(out / relative)

    data = data_files(doc)
    for i, block in enumerate(doc.blocks):
        for name, table in block.data.items():
            with step(data[(i, name)]) as tmp:
                write_csv(_csv_ready(table), tmp)
    for fmt in dict.fromkeys(formats):
        if fmt == "html":
            from groundswell.report.html import to_html

            with step(f"{slug}.html") as tmp:
                tmp.write_text(to_html(doc), encoding="utf-8")
        elif fmt == "pdf":
            from groundswell.report.pdf import write_pdf

            with step(f"{slug}.pdf") as tmp:
                write_pdf(doc, tmp)
        else:
            from groundswell.report.chart_files import write_chart
            from groundswell.report.markdown import to_markdown

            charts = chart_files(doc)
            for i, relative in charts.items():
                spec = doc.blocks[i].chart
                assert spec is not None  # chart_files lists chart blocks only
                with step(relative) as tmp:
                    write_chart(spec, tmp)
            with step(f"{slug}.md") as tmp:
                tmp.write_text(to_markdown(doc, charts), encoding="utf-8")
    return written


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix, so writers that go by it still work),
    renamed to ``path`` when the body finishes, removed if it fails. The file gets the
    permissions a new file gets (mkstemp's are the owner's only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _csv_ready(table: pa.Table) -> pa.Table:
    """``table`` with the columns CSV shows badly made into text: timestamps as ISO 8601 in
    the column's own timezone, with its offset (``2020-03-09T00:00:00+01:00``; a naive
    timestamp has none), nested values (lists, structs, maps) as JSON."""
    columns: list[pa.Array | pa.ChunkedArray] = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = _as_text(column, lambda v: v.isoformat())
        elif pa.types.is_nested(column.type):
            column = _as_text(column, lambda v: json.dumps(v, default=_iso))
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _as_text(column: pa.ChunkedArray, text: Callable[[Any], str]) -> pa.Array:
    return pa.array([None if v is None else text(v) for v in column.to_pylist()], pa.string())


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
