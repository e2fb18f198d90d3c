"""The HTML briefing: one page that loads nothing and runs nothing, shows every block of the
document (titles, captions, table cells, excerpts, the analyst's Markdown, notes, sources),
escapes every hostile string, links every figure to its definition, and says whether names are
redacted. The page is read back with the standard library's HTML parser, as a browser would."""

from __future__ import annotations

import dataclasses
import html
import re
from html.parser import HTMLParser
from typing import Any

import pyarrow as pa
import pytest

from groundswell.errors import GroundswellError
from groundswell.report import html as report_html
from groundswell.report.charts import trend_chart
from groundswell.report.document import Block, Document, Excerpt, Passage, Piece, Table
from groundswell.report.html import (
    NOT_REDACTED,
    REDACTED,
    breakable,
    external_references,
    is_local_url,
    markdown_html,
    to_html,
)
from groundswell.report.render import data_files
from tests.report.sample import EVIL_URL, HOSTILE, document, series

URL_ATTRS = {"src", "href", "xlink:href", "srcset", "poster", "data", "action", "formaction"}
SCHEME_URL = re.compile(r"url\(\s*['\"]?\s*[a-z][a-z0-9+.\-]*:", re.IGNORECASE)


class Page(HTMLParser):
    """What a browser would see: every element with its attributes, the text of the page, the
    text of each ``<section>`` and ``<td>``, and the style sheets."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self.cells: list[tuple[dict[str, str], str]] = []
        self.sections: dict[str, str] = {}
        self.svg_in: list[str] = []  # the section id of each <svg>
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.text_parts: list[str] = []
        self.feed(text)
        self.close()

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def section_of_open(self) -> str | None:
        for tag, attrs, _ in reversed(self._open):
            if tag == "section" and "id" in attrs:
                return attrs["id"]
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag == "svg":
            self.svg_in.append(self.section_of_open() or "")
        if tag in {"wbr", "br", "meta", "path", "rect", "line"}:
            return  # void, or self-closing in the SVG
        self._open.append((tag, values, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, attrs, parts = self._open.pop()
            if open_tag == "td":
                self.cells.append((attrs, "".join(parts)))
            if open_tag == "section" and "id" in attrs:
                self.sections[attrs["id"]] = "".join(parts)
            if open_tag == "style":
                self.styles.append("".join(parts))
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        for _, _, parts in self._open:
            parts.append(data)

    def attr_values(self) -> list[tuple[str, str, str]]:
        return [(tag, k, v) for tag, attrs in self.elements for k, v in attrs.items()]

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.elements if "id" in attrs]

    def hrefs_in(self, section_id: str, raw: str) -> list[str]:
        """The hrefs inside one section, read from the raw page between its tags."""
        start = raw.index(f'<section id="{section_id}"')
        end = raw.index("</section>", start)
        return Page(raw[start:end]).hrefs()

    def hrefs(self) -> list[str]:
        return [attrs["href"] for tag, attrs in self.elements if tag == "a" and "href" in attrs]


@pytest.fixture(scope="module")
def doc() -> Document:
    return document()


@pytest.fixture(scope="module")
def raw(doc: Document) -> str:
    return to_html(doc)


@pytest.fixture(scope="module")
def page(raw: str) -> Page:
    return Page(raw)


def test_runs_nothing_and_loads_nothing(page: Page, raw: str) -> None:
    assert raw.startswith("<!DOCTYPE html>")
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"script", "link", "iframe", "object", "embed", "base", "img", "image"}
    for tag, name, value in page.attr_values():
        assert not name.startswith("on"), (tag, name)
        if name in URL_ATTRS:
            assert value.startswith("#") or re.fullmatch(r"[\w.\-]+(/[\w.\-]+)*", value), (
                tag,
                name,
                value,
            )
        assert not SCHEME_URL.search(value), (tag, name, value)
    assert page.styles and len(page.styles) == 1
    for style in page.styles:
        assert not SCHEME_URL.search(style)
        assert "@import" not in style
        assert "@font-face" not in style
    policy = "Content-Security-Policy"
    csp = [a["content"] for _, a in page.elements if a.get("http-equiv") == policy]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'"]


def test_hostile_text_is_only_ever_text(page: Page, raw: str) -> None:
    assert "<script" not in raw.lower()
    assert "<img" not in raw.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/" in raw
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in raw  # raw HTML in the Markdown
    assert "General &lt;b&gt;chat&lt;/b&gt;" in raw
    assert HOSTILE in page.text  # shown to the reader exactly as written
    assert all(EVIL_URL not in value for _, _, value in page.attr_values())
    assert EVIL_URL in page.text
    assert external_references(raw) == []


def test_every_block_is_shown_in_its_section(doc: Document, page: Page) -> None:
    ids = report_html.block_ids(doc.blocks)
    assert len(set(ids)) == len(doc.blocks)
    for block, id_ in zip(doc.blocks, ids, strict=True):
        text = page.sections[id_]
        assert block.title in text
        assert block.caption in text
        for note in block.notes:
            assert note in text
        if block.table is not None:
            for cell in [*block.table.columns, *(c for row in block.table.rows for c in row)]:
                assert cell in text, (block.title, cell)
        for excerpt in block.excerpts:
            for field in (excerpt.source, excerpt.section, excerpt.time, excerpt.author):
                assert field and field in text
            assert excerpt.title and excerpt.title in text
            for passage in excerpt.passages:
                assert "".join(p.text for p in passage.pieces) in text
        if block.empty:
            assert block.empty in text
    assert "This week two hosts went down." in page.sections["s6-analyst-s-note"]


def test_header_says_period_audience_times_and_workspace(page: Page) -> None:
    header = page.text.split("Contents")[0]
    for said in (
        "Weekly briefing <test>",
        "Week 11 of 2020 (9 to 15 March)",
        "For Forum-monitoring team & partners",
        "Data as of Sun 15 Mar 2020 23:59 UTC",
        "Generated Thu 3 Dec 2026 22:00 UTC",
        "Workspace demo",
        REDACTED,
    ):
        assert said in header


def test_redaction_notice_follows_the_document() -> None:
    shown = Page(to_html(dataclasses.replace(document(), redacted=False, blocks=[])))
    assert NOT_REDACTED in shown.text
    assert REDACTED not in shown.text
    assert any(a.get("role") == "alert" for _, a in shown.elements)
    hidden = Page(to_html(dataclasses.replace(document(), blocks=[])))
    assert REDACTED in hidden.text
    assert NOT_REDACTED not in hidden.text


def test_tables_align_numbers_and_set_marked_cells_apart(page: Page) -> None:
    marked = [text for attrs, text in page.cells if "marked" in attrs.get("class", "").split()]
    assert marked == ["2,800 expected"]
    numeric = {text for attrs, text in page.cells if "num" in attrs.get("class", "").split()}
    assert {"3,189", "2,790", "120", "−50%", "300", "12.5"} <= numeric
    assert "file_sharing_index" not in numeric
    headers = [(a, t) for t, a in page.elements if t == "th"]
    assert all(a.get("scope") == "col" for a, _ in headers)


def test_excerpts_are_cards_with_quotes_and_highlights(raw: str) -> None:
    start = raw.index('<article class="excerpt">')
    card = raw[start : raw.index("</article>", start)]
    assert '<p class="quoted-author">[redacted] wrote:</p>' in card
    assert card.index("<blockquote>") < card.index("an earlier post") < card.index("</blockquote>")
    assert "<mark>lockdown</mark>" in card
    assert card.rstrip().endswith("…</p>")  # the post was cut


def test_figures_link_to_definitions_and_csv_files(doc: Document, page: Page, raw: str) -> None:
    ids = set(page.ids())
    assert len(ids) == len(page.ids()), "duplicate ids"
    for definition in doc.definitions:
        assert f"def-{definition.id}" in ids
        start = raw.index(f'id="def-{definition.id}"')
        shown = Page(raw[start : raw.index("</div>", start)]).text
        assert definition.name in shown and definition.text in shown
        assert definition.spec in shown
    for href in page.hrefs():
        if href.startswith("#"):
            assert href[1:] in ids, href
    for block, id_ in zip(doc.blocks, report_html.block_ids(doc.blocks), strict=True):
        hrefs = page.hrefs_in(id_, raw)
        for ref in block.refs:
            assert f"#def-{ref}" in hrefs
        for name in block.data:
            assert f"weekly-2020-W11-data/{name}" in hrefs
        assert f"#{id_}" in page.hrefs()  # in the contents
    assert "#appendix" in page.hrefs()


def test_csv_links_are_the_files_written_beside_the_report() -> None:
    rows = pa.table({"a": [1]})
    data = {"../../etc/passwd <x>.csv": rows, "https://x.example/a.csv": rows, "01-a.csv": rows}
    block = Block("table", "T", table=Table(["a"], [["1"]]), data=data)
    doc = dataclasses.replace(document(), blocks=[block], definitions=[])
    hrefs = Page(to_html(doc)).hrefs()
    written = [data_files(doc)[(0, name)] for name in data]
    assert [h for h in hrefs if not h.startswith("#")] == written
    assert all(h.startswith("weekly-2020-W11-data/") and ".." not in h for h in written)


def test_charts_are_inline_svg_with_a_name(doc: Document, page: Page, raw: str) -> None:
    charts = [
        id_
        for block, id_ in zip(doc.blocks, report_html.block_ids(doc.blocks), strict=True)
        if block.chart is not None
    ]
    assert charts and page.svg_in == charts
    svgs = [attrs for tag, attrs in page.elements if tag == "svg"]
    assert svgs[0]["role"] == "img" and svgs[0]["aria-label"] == "Posts per week"
    assert "<?xml" not in raw and "<!DOCTYPE svg" not in raw
    start = raw.index("<svg")
    svg = raw[start : raw.index("</svg>", start)]
    assert "<text" in svg and "forum_posts" in svg
    assert not re.search(r"\s(?:xlink:)?href=|\ssrc=|url\((?!#)", svg)


def test_hostile_chart_labels_stay_text() -> None:
    hostile = dataclasses.replace(series(), facets=[(HOSTILE,)])
    block = Block("chart", HOSTILE, chart=trend_chart(hostile))
    raw = to_html(dataclasses.replace(document(), blocks=[block], definitions=[]))
    page = Page(raw)
    assert "<script" not in raw.lower()
    assert not {"script", "img"} & {tag for tag, _ in page.elements}
    svg = next(attrs for tag, attrs in page.elements if tag == "svg")
    assert svg["aria-label"] == HOSTILE


def test_two_charts_never_share_an_id(monkeypatch: pytest.MonkeyPatch) -> None:
    def with_clip(spec: dict[str, Any], **_: Any) -> str:
        return (
            '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" role="x" '
            'width="10" height="10"><clipPath id="clip1"><rect/></clipPath>'
            '<g clip-path="url(#clip1)"></g></svg>'
        )

    monkeypatch.setattr("vl_convert.vegalite_to_svg", with_clip)
    first = Block("chart", "One", chart={"a": 1})
    second = Block("chart", "Two", chart={"a": 2})
    page = Page(to_html(dataclasses.replace(document(), blocks=[first, second])))
    clip_ids = [a["id"] for t, a in page.elements if t == "clippath"]
    assert clip_ids == ["s1-one-clip1", "s2-two-clip1"]
    clips = [a["clip-path"] for t, a in page.elements if "clip-path" in a]
    assert clips == ["url(#s1-one-clip1)", "url(#s2-two-clip1)"]
    assert [a["role"] for t, a in page.elements if t == "svg"] == ["img", "img"]


def test_a_page_that_would_load_something_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def leaky(spec: dict[str, Any], **_: Any) -> str:
        return f'<svg><image href="{EVIL_URL}"/></svg>'

    monkeypatch.setattr("vl_convert.vegalite_to_svg", leaky)
    with pytest.raises(GroundswellError, match="would load"):
        to_html(document())


@pytest.mark.parametrize(
    "snippet",
    [
        f'<img src="{EVIL_URL}">',
        '<a href="//tracker.example/x">x</a>',
        '<a href="java\tscript:alert(1)">x</a>',
        f'<div style="background: url({EVIL_URL})">x</div>',
        "<style>@import 'x.css';</style>",
        f"<style>body {{ background: url('{EVIL_URL}') }}</style>",
        '<p onclick="x()">x</p>',
        "<script>x()</script>",
        '<link rel="stylesheet" href="x.css">',
        '<meta http-equiv="refresh" content="0; url=https://x.example">',
        f'<svg><use xlink:href="{EVIL_URL}#a"/></svg>',
    ],
)
def test_external_references_finds_what_would_load(snippet: str) -> None:
    assert external_references(f"<!DOCTYPE html><p>ok</p>{snippet}") != []


def test_external_references_allows_anchors_and_relative_files() -> None:
    page = (
        '<a href="#def-x">x</a><a href="weekly-data/01-x.csv">csv</a>'
        '<svg><g clip-path="url(#c)"></g></svg><style>a { color: red }</style>'
    )
    assert external_references(page) == []


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("#def-m-x", True),
        ("weekly-2020-W11-data/01-x.csv", True),
        ("../notes.html", True),
        ("https://x.example/a", False),
        ("HTTP://x.example/a", False),
        ("//x.example/a", False),
        ("\\\\host\\share", False),
        (" https://x.example", False),
        ("java\nscript:alert(1)", False),
        ("mailto:someone@example.org", False),
        ("data:text/html,x", False),
        ("/etc/passwd", False),
    ],
)
def test_is_local_url(url: str, local: bool) -> None:
    assert is_local_url(url) is local


def test_markdown_keeps_local_links_and_turns_the_rest_into_text() -> None:
    out = markdown_html(
        "# Heading\n\n"
        "[the CSV](weekly-data/01-x.csv), [above](#s1-posts), [evil](javascript:alert(1)), "
        f"[site]({EVIL_URL}), <{EVIL_URL}>, <someone@example.org>, ![a chart](chart.png), "
        f'![pixel]({EVIL_URL} "t")\n\n'
        '<img src=x onerror=alert(1)> <a href="https://x.example">raw</a>\n\n'
        "| a | b |\n|---|--:|\n| 1 | 2 |\n"
    )
    page = Page(out)
    assert "<h3>Heading</h3>" in out
    assert page.hrefs() == ["weekly-data/01-x.csv", "#s1-posts"]
    assert not {"img", "script", "image"} & {tag for tag, _ in page.elements}
    text = page.text
    assert f"site ({EVIL_URL})" in text
    assert f", {EVIL_URL}," in text  # an autolink shows its address once
    assert "someone@example.org" in text
    assert "[image: a chart]" in text and "[image: pixel]" in text
    assert '<img src=x onerror=alert(1)> <a href="https://x.example">raw</a>' in text
    assert "[evil](javascript:alert(1))" in text  # not a link at all
    assert "<table>" in out and '<td style="text-align:right">2</td>' in out
    assert external_references(out) == []


def test_breakable_breaks_only_long_words() -> None:
    long_url = "https://tracker.example/a/very/long/path/to/pixel.gif?campaign=spring&id=42"
    out = breakable(f"see {long_url} <b> & forum_posts")
    assert out.count("<wbr>") >= 5
    assert "forum_posts" in out and "see " in out
    assert html.unescape(out.replace("<wbr>", "")) == f"see {long_url} <b> & forum_posts"
    assert breakable("a" * 60).count("<wbr>") == 2
    assert breakable("week 7") == "week 7"


def test_a_block_with_nothing_to_show_says_so() -> None:
    blocks = [
        Block("table", "No rows", table=Table(["a"], []), empty="Nothing was measured."),
        Block("text", "Blank"),
        Block(
            "excerpts",
            "One post",
            excerpts=[Excerpt("forum:x", None, "Mon 9 Mar 2020, 10:00", "[redacted]", None, [])],
        ),
    ]
    page = Page(to_html(dataclasses.replace(document(), blocks=blocks, definitions=[])))
    assert "Nothing was measured." in page.sections["s1-no-rows"]
    assert report_html.NOTHING in page.sections["s2-blank"]
    assert "forum:x · Mon 9 Mar 2020, 10:00 · [redacted]" in page.sections["s3-one-post"]
    assert "#appendix" not in page.hrefs()  # no definitions, no appendix
    assert "table" not in {tag for tag, _ in page.elements}


def test_quote_without_author_and_uncut_post() -> None:
    excerpt = Excerpt(
        "reddit:r/x",
        "r/x",
        "Mon 9 Mar 2020, 10:00",
        "[redacted]",
        "Title",
        [Passage([Piece("quoted words")], quote=True), Passage([Piece("own words")])],
    )
    block = Block("excerpts", "Posts", excerpts=[excerpt])
    raw = to_html(dataclasses.replace(document(), blocks=[block]))
    assert '<blockquote><p class="passage">quoted words</p></blockquote>' in raw
    assert "wrote:" not in raw and "…" not in raw
