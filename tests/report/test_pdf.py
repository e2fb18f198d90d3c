"""The PDF briefing: WeasyPrint lays the HTML page out on A4 pages numbered "Page N of M" with
the title in the footer, and fetches nothing: every URL is refused and stops the render."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from groundswell.errors import GroundswellError
from groundswell.report import pdf
from groundswell.report.html import to_html
from groundswell.report.pdf import refuse_url, url_fetcher, write_pdf
from tests.report.sample import EVIL_URL, HOSTILE, document


def page_texts(rendered: Any) -> list[str]:
    """The text of each laid-out page, margin boxes (header, footer) included."""
    return [
        " ".join(
            box.text
            for box in page._page_box.descendants()
            if isinstance(getattr(box, "text", None), str)
        )
        for page in rendered.pages
    ]


@pytest.fixture(scope="module")
def rendered() -> Any:
    import weasyprint

    return weasyprint.HTML(
        string=to_html(document()), base_url=None, url_fetcher=url_fetcher()
    ).render()


def test_write_pdf_writes_a_pdf(tmp_path: Path) -> None:
    out = write_pdf(document(), tmp_path / "nested" / "weekly.pdf")
    assert out == tmp_path / "nested" / "weekly.pdf"
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert len(data) > 10_000  # a chart, tables and text, not an empty page


def test_pages_are_numbered_and_carry_the_title(rendered: Any) -> None:
    texts = page_texts(rendered)
    total = len(texts)
    assert total >= 2
    for n, text in enumerate(texts, 1):
        assert f"Page {n} of {total}" in text
        assert "Weekly briefing <test>" in text  # the running footer
    assert HOSTILE in "".join(texts)  # hostile text printed as text


def test_pages_are_a4(rendered: Any) -> None:
    for page in rendered.pages:
        assert page.width == pytest.approx(210 / 25.4 * 96, abs=1)  # CSS px
        assert page.height == pytest.approx(297 / 25.4 * 96, abs=1)


def test_contents_give_page_numbers_and_appendix_starts_a_page(rendered: Any) -> None:
    texts = page_texts(rendered)
    title = "How each figure was made"
    starts = [n for n, text in enumerate(texts, 1) if text.lstrip().startswith(title)]
    assert starts == [len(texts)]  # the appendix starts the last page of the sample
    contents = " ".join(texts[0].split())
    assert re.search(rf"{title}[ .]*{starts[0]} ", contents), contents
    assert re.search(r"Posts per week[ .]*1 ", contents), contents


def test_the_fetcher_refuses_every_url() -> None:
    fetch = url_fetcher()
    for url in ("https://x.example/a", "file:///etc/passwd", "data:text/plain,x"):
        with pytest.raises(GroundswellError, match="refused to fetch"):
            fetch(url)
    with pytest.raises(GroundswellError, match=re.escape("https://x.example/a")):
        refuse_url("https://x.example/a")


def test_a_page_that_asks_for_a_url_stops_the_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky = f'<html><body><p>x</p><img src="{EVIL_URL}"></body></html>'
    monkeypatch.setattr(pdf, "to_html", lambda doc: leaky)
    with pytest.raises(GroundswellError, match=re.escape(EVIL_URL)):
        write_pdf(document(), tmp_path / "leaky.pdf")
    assert not (tmp_path / "leaky.pdf").exists()
