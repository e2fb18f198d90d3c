"""A hand-made briefing with every block kind and hostile text in every field a post can
fill, for the renderer tests (HTML, PDF, Markdown). Builds nothing from a workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from groundswell.analysis.anomalies import Anomaly
from groundswell.analysis.series import MISSING, OBSERVED, PROJECTED, Series
from groundswell.report.charts import trend_chart
from groundswell.report.document import (
    Block,
    Definition,
    Document,
    Excerpt,
    Passage,
    Piece,
    Table,
)

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)> \"quoted\" & 'single'"
EVIL_URL = "https://tracker.example/pixel.gif"


def series() -> Series:
    starts = [datetime(2020, 1, 6, tzinfo=UTC) + timedelta(weeks=i) for i in range(12)]
    values = np.array([[100, 110, 95, 105, np.nan, 98, 300, 102, 99, 101, 97, 120.0]])
    status = np.full(values.shape, OBSERVED, dtype=np.int8)
    status[0, 4] = MISSING
    status[0, 11] = PROJECTED
    return Series(
        name="forum_posts",
        period="week",
        timezone="UTC",
        starts=starts,
        facets=[()],
        values=values,
        status=status,
        unit="posts",
        partial=np.where(status == PROJECTED, 60.0, np.nan),
        notes=["Posts per week on Lantern Hall"],
    )


def document() -> Document:
    s = series()
    why = "by section: General +190"
    spike = Anomaly("spike", (), s.starts[6], s.starts[6], 300, 100, 12.5, why)
    chart = Block(
        "chart",
        "Posts per week",
        caption="Up 24% on week 10; highest week since week 7",
        chart=trend_chart(s, [spike]),
        refs=["m-forum_posts"],
        data={"01-forum_posts.csv": s.to_arrow()},
        notes=["Week 5 was not collected."],
    )
    table = Block(
        "table",
        "File-sharing index",
        caption="2,800 expected in June",
        table=Table(
            ["metric", "Jan", "Feb", "Jun"],
            [["file_sharing_index", "3,189", "2,790", "2,800 expected"]],
            numeric=[False, True, True, True],
            marked={(0, 3)},
        ),
        refs=["m-file_sharing_index"],
        data={"02-file_sharing_index.csv": pa.table({"period": ["2020-01"], "value": [3189.0]})},
    )
    top = Block(
        "top",
        "Rising domains",
        table=Table(
            ["domain", "this week", "week before", "change"],
            [["fotoflux.example", "120", "0", "new"], [HOSTILE, "5", "10", "−50%"]],
            numeric=[False, True, True, True],
        ),
        refs=["l-domains"],
    )
    anomalies = Block(
        "anomalies",
        "What stood out",
        table=Table(
            ["metric", "what", "when", "value", "expected", "severity", "why"],
            [["forum_posts", "spike", "week 7", "300", "100", "12.5", HOSTILE]],
            numeric=[False, False, False, True, True, True, False],
        ),
        refs=["m-forum_posts"],
    )
    excerpt = Excerpt(
        source="forum:Lantern Hall",
        section="General <b>chat</b>",
        time="Tue 10 Mar 2020, 14:05",
        author="[redacted]",
        title=HOSTILE,
        passages=[
            Passage([Piece("an earlier post " + HOSTILE)], quote=True, quoted_author="[redacted]"),
            Passage([Piece("see "), Piece("lockdown", hit=True), Piece(f" {EVIL_URL} " + HOSTILE)]),
        ],
        cut=True,
    )
    excerpts = Block(
        "excerpts",
        "Posts on the lockdown",
        excerpts=[excerpt],
        refs=["s-lockdown"],
        notes=["Names, handles and emails are redacted."],
    )
    text = Block(
        "text",
        "Analyst's note",
        markdown=(
            "This week **two hosts** went down.\n\n- one\n- two\n\n"
            f"[a link]({EVIL_URL}) and ![an image]({EVIL_URL})\n\n<script>alert(2)</script>"
        ),
    )
    empty = Block("excerpts", "Nothing here", empty="No post matched the search in this period.")
    return Document(
        title="Weekly briefing <test>",
        period="Week 11 of 2020 (9 to 15 March)",
        start=datetime(2020, 3, 9, tzinfo=UTC),
        end=datetime(2020, 3, 16, tzinfo=UTC),
        timezone="UTC",
        generated=datetime(2026, 12, 3, 22, 0, tzinfo=UTC),
        workspace="demo",
        audience="Forum-monitoring team & partners",
        as_of=datetime(2020, 3, 15, 23, 59, tzinfo=UTC),
        blocks=[chart, table, top, anomalies, excerpts, text, empty],
        definitions=[
            Definition(
                "m-forum_posts",
                "forum_posts",
                "metric",
                "count of posts per week",
                'period = "week"\nwhere = ["source = forum:Lantern Hall"]',
            ),
            Definition(
                "m-file_sharing_index",
                "file_sharing_index",
                "metric",
                "links to .jpg files per month",
                'table = "indicators"',
            ),
            Definition("l-domains", "domains", "list", "domains of links", "by = domain"),
            Definition("s-lockdown", "lockdown", "search", "posts matching a search", "lockdown"),
        ],
        slug="weekly-2020-W11",
    )
