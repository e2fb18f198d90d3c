"""The Markdown briefing, read as a reader's renderer reads it: rendered by markdown-it-py
(CommonMark with GitHub's tables), every title, caption, cell and excerpt of the sample shows
as its own literal text; hostile post text makes no tag, attribute or link; nothing remote
is linked or loaded; tables keep their shape; links inside the report all land."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from groundswell.report.document import Block, Document, Excerpt, Passage, Piece, Table
from groundswell.report.html import block_ids, to_html
from groundswell.report.markdown import WORD_JOINER, analyst_markdown, escape, to_markdown
from groundswell.report.render import chart_files
from tests.report.sample import EVIL_URL, HOSTILE, document

# what GitHub turns into a link by itself, over a text node after parsing
AUTOLINK = re.compile(r"(?i)https?://|www\.|[\w.+-]@[\w-]|mailto:")
REMOTE = re.compile(r"(?i)^\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\)")


def renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    try:
        import linkify_it  # noqa: F401
    except ImportError:
        return md
    md.options["linkify"] = True  # links bare URLs and domains, like GitHub and more
    return md.enable("linkify")


class Page(HTMLParser):
    """Rendered HTML as tags with their attributes and the text inside each tag."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.stack: list[str] = []
        self.texts: list[str] = []  # every text node
        self.inside: dict[str, list[str]] = {}  # tag -> text nodes inside one
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in ("img", "br", "hr"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        for tag in set(self.stack):
            self.inside.setdefault(tag, []).append(data)

    @property
    def text(self) -> str:
        return plain("".join(self.texts))

    def within(self, tag: str) -> str:
        return plain(" ".join(self.inside.get(tag, [])))  # one tag's words apart

    def attrs(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]


def plain(text: str) -> str:
    return " ".join(text.replace(WORD_JOINER, "").split())


def render(markdown: str) -> Page:
    return Page(renderer().render(markdown))


@pytest.fixture(scope="module")
def doc() -> Document:
    return document()


@pytest.fixture(scope="module")
def markdown(doc: Document) -> str:
    return to_markdown(doc, chart_files(doc))


@pytest.fixture(scope="module")
def page(markdown: str) -> Page:
    return render(markdown)


def test_every_text_of_the_document_shows_literally(doc: Document, page: Page) -> None:
    expected = [doc.title, doc.period, doc.audience, doc.workspace]
    for block in doc.blocks:
        expected += [block.title, block.caption, block.empty, *block.notes]
        if block.table is not None:
            expected += block.table.columns + [c for row in block.table.rows for c in row]
        for e in block.excerpts:
            expected += [e.source, e.section or "", e.time, e.author, e.title or ""]
            for p in e.passages:
                expected += [p.quoted_author or "", *(piece.text for piece in p.pieces)]
    for d in doc.definitions:
        expected += [d.name, d.text, *d.spec.splitlines()]
    missing = [t for t in expected if plain(t) not in page.text]
    assert not missing
    assert HOSTILE in " ".join(page.texts).replace(WORD_JOINER, "")
    assert "Data as of Sun 15 Mar 2020 23:59 UTC" in page.text  # in the report's timezone
    assert "Names, handles and emails in excerpts are redacted." in page.within("blockquote")


def test_the_order_is_the_documents(doc: Document, page: Page) -> None:
    headings = page.within("h2")
    titles = ["Contents", *(b.title for b in doc.blocks), "How each figure was made"]
    positions = [headings.index(plain(t)) for t in titles]
    assert positions == sorted(positions)
    assert page.within("h3") == plain(" ".join(f"{d.name} · {d.kind}" for d in doc.definitions))


def test_hostile_text_makes_no_markup(page: Page) -> None:
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "b", "iframe", "object", "style"}
    images = page.attrs("img")
    assert [i["src"] for i in images] == ["weekly-2020-W11-charts/01-posts-per-week.png"]
    assert all(set(a) <= {"href", "id", "src", "alt", "class", "style"} for _, a in page.tags)
    assert not any(k.startswith("on") for _, a in page.tags for k in a)


def test_nothing_remote_is_linked_or_loaded(page: Page, markdown: str) -> None:
    urls = [v for _, a in page.tags for k, v in a.items() if k in ("href", "src")]
    assert urls
    assert not [u for u in urls if REMOTE.match(u) or EVIL_URL in u]
    # and nothing a renderer would link by itself is left in the text (GitHub's autolinks)
    assert not [t for t in page.texts if AUTOLINK.search(t)]
    # the address still reads as itself
    assert plain(EVIL_URL) in page.text


def test_the_analysts_markdown_keeps_its_form_but_loads_nothing(page: Page) -> None:
    assert "two hosts" in page.within("strong")
    assert "one two" in page.within("li")
    assert "[image: an image]" in page.text
    assert f"a link ({EVIL_URL})" in page.text
    assert "<script>alert(2)</script>" in page.text  # shown, not run


def test_tables_keep_their_shape_alignment_and_marks(doc: Document, markdown: str) -> None:
    tables = [b.table for b in doc.blocks if b.table is not None]
    pipe_tables = [t for t in markdown.split("\n\n") if t.startswith("| ")]
    assert len(pipe_tables) == len(tables) == 3
    for table, md in zip(tables, pipe_tables, strict=True):
        cells = [re.split(r"(?<!\\)\|", row)[1:-1] for row in md.split("\n")]
        assert {len(row) for row in cells} == {len(table.columns)}
        assert [c.strip() for c in cells[1]] == ["---:" if n else "---" for n in table.numeric]
        page = render(md)
        shown = [plain(t) for t in page.texts if t.strip()]
        assert shown == [plain(c) for c in table.columns + [c for r in table.rows for c in r]]
        styles = [a.get("style", "") for a in page.attrs("td")]
        numeric = table.numeric * len(table.rows)
        assert ["right" in s for s in styles] == numeric
        marked = [table.rows[r][c] for r, c in sorted(table.marked)]
        assert page.within("em") == plain(" ".join(marked))


def test_excerpts_are_quotes_with_hits_in_bold(page: Page, markdown: str) -> None:
    assert "lockdown" in page.within("strong").split()
    assert "[redacted] wrote:" in page.within("blockquote")
    # the quoted post is a quote within the excerpt's quote
    assert "> > [redacted] wrote:" in markdown.replace("\\[", "[").replace("\\]", "]")
    assert "forum:Lantern Hall · General <b>chat</b> · Tue 10 Mar 2020, 14:05" in page.text
    assert "…" in page.within("blockquote")


def test_links_inside_the_report_all_land(doc: Document, page: Page) -> None:
    ids = {a["id"] for a in page.attrs("a") if "id" in a}
    fragments = [a["href"][1:] for a in page.attrs("a") if a.get("href", "").startswith("#")]
    assert set(fragments) <= ids
    assert {f"def-{d.id}" for d in doc.definitions} <= set(fragments)
    assert set(block_ids(doc.blocks)) <= set(fragments)
    files = [a["href"] for a in page.attrs("a") if a.get("href", "").endswith(".csv")]
    assert files == [
        "weekly-2020-W11-data/01-forum_posts.csv",
        "weekly-2020-W11-data/02-file_sharing_index.csv",
    ]


def test_links_and_anchors_are_the_htmls(doc: Document, page: Page) -> None:
    html = Page(to_html(doc))

    def links(p: Page) -> list[str]:
        return [a["href"] for a in p.attrs("a") if "href" in a]

    assert links(page) == links(html)
    ids = {a["id"] for _, a in page.tags if "id" in a}
    assert ids <= {a["id"] for _, a in html.tags if "id" in a}
    assert ids == {*block_ids(doc.blocks), "appendix", *(f"def-{d.id}" for d in doc.definitions)}


def test_chart_blocks_show_their_png(doc: Document) -> None:
    charts = {0: "out dir/01 chart.png"}
    page = render(to_markdown(doc, charts))
    assert page.attrs("img") == [{"src": "out%20dir/01%20chart.png", "alt": "Posts per week"}]
    assert not render(to_markdown(doc, {})).attrs("img")
    with pytest.raises(ValueError, match="relative"):
        to_markdown(doc, {0: "https://tracker.example/c.png"})


def test_an_unredacted_report_says_so() -> None:
    doc = document()
    doc.redacted = False
    assert "Not redacted" in render(to_markdown(doc, {})).text


def test_an_empty_block_says_what_its_builder_said() -> None:
    doc = document()
    doc.blocks = [Block("table", "Top hosts", table=Table(["host"], []), empty="No link.")]
    page = render(to_markdown(doc, {}))
    assert "No link." in page.within("em")
    assert not page.attrs("table")


def test_hits_inside_words_and_beside_punctuation_are_bold() -> None:
    pieces = [Piece("un"), Piece("lock", hit=True), Piece("ed, "), Piece("(*lockdown*)", hit=True)]
    excerpt = Excerpt("forum", None, "Tue", "[redacted]", None, [Passage(pieces)])
    doc = document()
    doc.blocks = [Block("excerpts", "Posts", excerpts=[excerpt])]
    markdown = to_markdown(doc, {})
    page = render(markdown[markdown.index('<a id="s1-posts">') :])
    assert page.within("strong") == "lock lockdown"
    assert "unlocked, (*lockdown*)" in page.text


def test_code_in_a_definition_cannot_close_its_fence() -> None:
    doc = document()
    doc.definitions[0].spec = "a\n```\n<script>x</script>\n````"
    page = render(to_markdown(doc, {}))
    assert "<script>x</script>" in page.within("code")
    assert "script" not in {t for t, _ in page.tags}


@pytest.mark.parametrize(
    ("source", "shown", "tags"),
    [
        ("# Top\n\ntext", "Top text", {"h3", "p"}),
        ("1. a\n2. b\n\n- c\n* d", "a b c d", {"ol", "ul", "li"}),
        ("> quoted *it*", "quoted it", {"blockquote", "em", "p"}),
        ("| a | b |\n|--:|:-:|\n| `x\\|y` | ~~z~~ |", "a b x|y z", {"table", "code", "s"}),
        ("```sh\nrm -rf <x>\n```", "rm -rf <x>", {"pre", "code"}),
        ("see [notes](notes.md#a) and ![map](map.png)", "see notes and [image: map]", {"p", "a"}),
        ("[x](javascript:alert(1)) <img src=x onerror=alert(1)>", "<img src=x", {"p"}),
        ("![a](//evil.example/x.gif) ![b](data:image/png;base64,AA==)", "[image: a]", {"p"}),
        ("[r]: https://evil.example/r.png\n\n![ref][r]", "[image: ref]", {"p"}),
        ("<https://evil.example> www.evil.example me@evil.example", "evil.example me@", {"p"}),
    ],
)
def test_analyst_markdown(source: str, shown: str, tags: set[str]) -> None:
    page = render(analyst_markdown(source))
    assert shown in page.text
    assert {t for t, _ in page.tags} <= tags | {"thead", "tbody", "tr", "th", "td"}
    urls = [v for _, a in page.tags for k, v in a.items() if k in ("href", "src")]
    assert not [u for u in urls if REMOTE.match(u)]
    assert not [t for t in page.texts if AUTOLINK.search(t)]


HOSTILE_TEXT = st.lists(
    st.one_of(
        st.sampled_from([*"\\`*_{}[]()#+-.!|~<>&:/@'\"=$^%;?, \t\n", "www.", "https://", "1."]),
        st.characters(blacklist_categories=("Cs", "Cc")),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
def test_escaped_text_renders_as_itself_everywhere(text: str) -> None:
    contexts = [
        (escape(text), ""),
        ("# " + escape(text), ""),
        ("> " + escape(text), ""),
        ("- x " + escape(text), "x "),
        ("| h |\n| --- |\n| " + escape(text) + " |", "h "),
    ]
    for markdown, before in contexts:
        page = render(markdown)
        tags = {t for t, _ in page.tags} - {"p", "h1", "blockquote", "ul", "li"}
        assert tags <= {"table", "thead", "tbody", "tr", "th", "td"}
        assert plain(" ".join(page.texts)) == plain(before + text)
        assert not [t for t in page.texts if AUTOLINK.search(t)]
