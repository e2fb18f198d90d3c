"""A briefing as PDF: the HTML page of :mod:`groundswell.report.html` laid out on A4 by
WeasyPrint, with its print stylesheet (page breaks kept out of charts, table rows and excerpt
cards, "Page N of M" and the title in the footer, page numbers in the contents).

Example::

    from groundswell.report.pdf import write_pdf

    write_pdf(doc, Path("briefing/weekly-2020-W11.pdf"))

Nothing is fetched while rendering: there is no base URL, and the URL fetcher refuses every
URL, stopping the render with an error that names it (the page references nothing, so this
only fires if a change to the HTML ever let a reference through).

Fonts are the system's own, through fontconfig: Liberation Sans (for Helvetica and Arial) or
DejaVu Sans here. Chinese, Japanese or Korean text needs a CJK font installed, such as
Debian's ``fonts-noto-cjk``; the font stack ends with "Noto Sans CJK SC" and its kin so that
such a font is used when present. Without one those characters print as empty boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from groundswell.errors import GroundswellError
from groundswell.report.document import Document
from groundswell.report.html import to_html

__all__ = ["refuse_url", "url_fetcher", "write_pdf"]


def write_pdf(doc: Document, path: Path) -> Path:
    """Write ``doc`` as a PDF at ``path`` (folders created) and return the path."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = weasyprint.HTML(string=to_html(doc), base_url=None, url_fetcher=url_fetcher())
    try:
        page.write_pdf(path)
    except FatalURLFetchingError as stop:  # a BaseException: our refusal is its cause
        if isinstance(stop.__cause__, GroundswellError):
            raise stop.__cause__ from None
        raise GroundswellError(str(stop)) from None
    return path


def refuse_url(url: str) -> Any:
    """Refuse to fetch ``url``: a report loads nothing."""
    raise GroundswellError(
        f"refused to fetch {url!r} while writing a PDF",
        hint="a report must render without loading anything",
    )


def url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL and stops the render when asked for
    one (WeasyPrint would otherwise log the failure and go on without the resource)."""
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            return refuse_url(url)

    return RefuseAll(fail_on_errors=True)
