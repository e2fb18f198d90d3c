"""Captions computed from series, number wording, and redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from groundswell.analysis.series import MISSING, OBSERVED, PROJECTED, Series
from groundswell.report.captions import caption, number, span_name
from groundswell.report.document import Block, Document, Excerpt, Passage, Piece
from groundswell.report.redact import MARK, Redactor


def months(values: list[float], start: datetime = datetime(2019, 1, 1, tzinfo=UTC)) -> Series:
    starts = []
    y, m = start.year, start.month
    for _ in values:
        starts.append(datetime(y, m, 1, tzinfo=UTC))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    v = np.array([values], dtype=float)
    status = np.where(np.isnan(v), MISSING, OBSERVED).astype(np.int8)
    return Series("fsi", "month", "UTC", starts, [()], v, status, unit="links")


def test_a_month_is_compared_with_the_one_before_and_ranked() -> None:
    # the shape of the published index: March 2020 jumps to its highest since January 2019
    values = [9300.0, *[3000.0] * 12, 2790.0, 9255.0]
    s = months(values)
    text = caption(
        s, datetime(2020, 3, 1, tzinfo=UTC), datetime(2020, 4, 1, tzinfo=UTC), additive=True
    )
    assert text == (
        "March 2020: 9,255 links, up 232% on February 2020; the highest month since January 2019."
    )


def test_lowest_in_the_periods_shown_and_not_collected() -> None:
    s = months([5.0, 4.0, 3.0, 2.0, np.nan])
    april = caption(
        s, datetime(2019, 4, 1, tzinfo=UTC), datetime(2019, 5, 1, tzinfo=UTC), additive=True
    )
    assert april == "April 2019: 2 links, down 33% on March 2019; the lowest month in the 4 shown."
    may = caption(
        s, datetime(2019, 5, 1, tzinfo=UTC), datetime(2019, 6, 1, tzinfo=UTC), additive=True
    )
    assert may == "May 2019: not collected."


def test_a_projected_month_says_expected_and_so_far() -> None:
    s = months([1000.0, 2000.0, 2580.8])
    s.status[0, 2] = PROJECTED
    s.partial = np.array([[np.nan, np.nan, 1201.0]])
    text = caption(
        s, datetime(2019, 3, 1, tzinfo=UTC), datetime(2019, 4, 1, tzinfo=UTC), additive=True
    )
    assert text == "March 2019: 2,581 links expected (1,201 so far), up 29% on February 2019."


def test_days_in_a_week_are_totalled_and_compared_with_the_week_before() -> None:
    start = datetime(2020, 6, 1, tzinfo=UTC)
    starts = [start + timedelta(days=i) for i in range(14)]
    v = np.array([[10.0] * 7 + [20.0] * 6 + [np.nan]])
    status = np.where(np.isnan(v), MISSING, OBSERVED).astype(np.int8)
    s = Series("posts", "day", "UTC", starts, [()], v, status, unit="posts")
    text = caption(s, starts[7], starts[7] + timedelta(days=7), additive=True)
    assert text == (
        "Total over the period: 120 posts (1 of 7 days not collected), up 71% on the 7 days before."
    )


def test_facets_of_a_count_are_spoken_of_as_their_total() -> None:
    s = months([1.0, 2.0])
    s.facets = [("a",), ("b",)]
    s.facet_fields = ("source",)
    s.values = np.array([[1.0, 2.0], [3.0, 6.0]])
    s.status = np.zeros((2, 2), dtype=np.int8)
    text = caption(
        s, datetime(2019, 2, 1, tzinfo=UTC), datetime(2019, 3, 1, tzinfo=UTC), additive=True
    )
    assert text == "February 2019: 8 links, up 100% on January 2019."


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(3189.0, "links", "3,189"), (0.125, "share", "12.5%"), (13.66, "minutes", "13.7"),
     (9.8, "minutes", "9.80"), (34.6, "%", "+34.6%"), (float("nan"), "", "n/a")],
)  # fmt: skip
def test_numbers_are_written_for_people(value: float, unit: str, text: str) -> None:
    assert number(value, unit) == text


def test_spans_of_periods_read_naturally() -> None:
    a, b = datetime(2020, 4, 13, tzinfo=UTC), datetime(2020, 6, 8, tzinfo=UTC)
    assert span_name(a, b, "week") == "the weeks of 13 April to 8 June 2020"
    assert span_name(a, a, "day") == "13 April 2020"
    assert span_name(datetime(2020, 3, 1), datetime(2020, 5, 1), "month") == "March to May 2020"


def test_redaction_covers_emails_handles_and_names_in_any_case() -> None:
    r = Redactor({"quiet_fox", "Quiet Fox", "41"})
    text = (
        "Quiet Fox wrote: ask QUIET_FOX or @quiet_fox, or mail fox.q@example.org, "
        "fox [at] example [dot] org, u/foxy_one. Met at 19:41 on day 41."
    )
    got = r(text)
    for secret in ("quiet_fox", "Quiet Fox", "fox.q@example.org", "example [dot] org", "foxy_one"):
        assert secret.lower() not in got.lower()
    assert "19:41" in got and "day 41" in got  # a numeric id is not a name
    assert got.startswith(f"{MARK} wrote:")
    assert r("we met at home. Later") == "we met at home. Later"  # no false email


def test_redaction_walks_a_whole_document_including_its_data_files() -> None:
    quote = Passage([Piece("hi from quiet_fox", hit=True)], quote=True, quoted_author="quiet_fox")
    ex = Excerpt("forum:x", "General", "1 May 2020, 10:00", "Quiet Fox", None, [quote])
    table = pa.table({"author": ["quiet_fox", "other"], "posts": [3, 1]})
    block = Block("excerpts", "Posts by Quiet Fox", caption="quiet_fox again",
                  excerpts=[ex], data={"a.csv": table})  # fmt: skip
    doc = Document("T", "p", datetime(2020, 1, 1), datetime(2020, 1, 2), "UTC",
                   datetime(2020, 1, 3), "ws", blocks=[block])  # fmt: skip
    red = Redactor({"quiet_fox", "Quiet Fox"}).walk(doc)
    b = red.blocks[0]
    assert b.title == f"Posts by {MARK}" and b.caption == f"{MARK} again"
    assert b.excerpts[0].author == MARK and b.excerpts[0].passages[0].quoted_author == MARK
    assert b.excerpts[0].passages[0].pieces[0].text == f"hi from {MARK}"
    assert b.excerpts[0].passages[0].pieces[0].hit
    assert b.data["a.csv"].column("author").to_pylist() == [MARK, "other"]
    assert b.data["a.csv"].column("posts").to_pylist() == [3, 1]
    assert doc.blocks[0].title == "Posts by Quiet Fox"  # the original is left alone
