"""The stories' figures from the demo's named metrics, against the generator's ground truth:
the demo corpus imported into a workspace configured as `groundswell demo` configures it."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from groundswell import ImportOptions, Workspace
from groundswell.analysis.series import OBSERVED, PROJECTED
from groundswell.analysis.transforms import parse
from groundswell.demo import generate
from groundswell.demo.metrics import DEMO_METRICS
from groundswell.demo.text import DEMO_LEXICONS
from tests.demo.test_generate import SCALE


def build(root: Path, scale: float, config: str = DEMO_METRICS) -> tuple[Workspace, dict[str, Any]]:
    """The demo corpus imported into a workspace with the demo's lexicons and ``config``."""
    manifest = generate(root / "corpus", seed=7, scale=scale)
    ws = Workspace.init(root / "ws", name="demo", lexicons=DEMO_LEXICONS, extra_config=config)
    for f in manifest.files:
        if f.format == "table":
            assert f.table is not None
            ws.import_table(f.path, **f.table)
        else:
            ws.import_(f.format, [f.path], options=ImportOptions(**f.options))
    return ws, json.loads(manifest.ground_truth_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ws, truth = build(tmp_path_factory.mktemp("stories"), SCALE)
    yield ws, truth
    ws.close()


def monthly(series: Any, row: int = 0) -> dict[str, float]:
    return {
        s.strftime("%Y-%m"): float(v)
        for s, v in zip(series.starts, series.values[row], strict=True)
    }


def test_the_file_sharing_index_is_the_planted_one(demo: Any) -> None:
    ws, truth = demo
    got = monthly(ws.trend("file_sharing_index", project=False))
    assert got == truth["file_sharing_index"]["jpg_links_per_month"]


def test_june_is_projected_from_its_first_two_weeks(demo: Any) -> None:
    ws, truth = demo
    s = ws.trend("file_sharing_index", as_of=datetime(2020, 6, 14, 23, 59))
    assert s.status[0, -1] == PROJECTED and (s.status[0, :-1] == OBSERVED).all()
    june = truth["file_sharing_index"]["jpg_links_per_month"]["2020-06"]
    assert s.partial is not None and s.partial[0, -1] < june
    assert s.values[0, -1] == pytest.approx(june, rel=0.35)  # an estimate, near the truth


def test_original_share_and_the_dispatch_slowdown(demo: Any) -> None:
    ws, truth = demo
    fs = truth["file_sharing_index"]
    got = monthly(ws.trend("original_share", project=False))
    for m, openers in fs["upload_threads_per_month"].items():
        assert got[m] == pytest.approx(fs["original_tagged_per_month"][m] / openers)
    p1 = ws.metric("p1_assign_minutes").with_(period="month")
    got = monthly(ws.trend(p1, project=False))
    want = truth["dispatch"]["mean_minutes_queue_to_assign_by_month"]["P1"]
    assert got == pytest.approx(want, abs=5e-4)
    pct = ws.trend(p1, project=False, transforms=[parse("baseline:2019-01-01..2020-01-31")])
    june = truth["dispatch"]["slowdown"]["P1"]["jun_vs_baseline_pct"]  # against every call
    assert monthly(pct)["2020-06"] == pytest.approx(june, abs=0.1)


def test_outage_days_are_zeros_and_a_closed_forum_is_not_collected(demo: Any) -> None:
    ws, truth = demo
    s = ws.trend("forum_posts", project=False)
    lantern, harbour = s.row(("forum:Lantern Hall",)), s.row(("forum:Harbour Lights",))
    days = {d.date(): t for t, d in enumerate(s.starts)}
    for d in truth["forum_outages"]["days"]:
        t = days[date.fromisoformat(d)]
        assert s.values[lantern, t] == 0 and s.status[lantern, t] == OBSERVED
    closed = days[date(2019, 10, 1)]
    assert s.status[harbour, closed] != OBSERVED and np.isnan(s.values[harbour, closed])


@pytest.mark.slow
def test_the_planted_events_are_found_and_explained(tmp_path: Path) -> None:
    """At a scale where daily counts are large enough to judge (0.2)."""
    ws, truth = build(tmp_path, 0.2)
    with ws:
        _, found = ws.anomalies("forum_posts")
        lantern = [a for a in found if a.facet == ("forum:Lantern Hall",) and a.kind == "outage"]
        for d in truth["forum_outages"]["days"]:
            day = date.fromisoformat(d)
            assert any(a.start.date() <= day <= a.end.date() for a in lantern), d
        assert all(a.explanation for a in lantern)
        _, found = ws.anomalies("jpg_hosts", since=datetime(2020, 4, 1))
        down = truth["file_sharing_index"]["major_hosts_down"]
        zero_from = date.fromisoformat(down["zero_from"])
        for host in down["hosts"]:
            hits = [a for a in found if a.facet == (host,) and a.kind in ("outage", "level_shift")]
            assert any(0 <= (a.start.date() - zero_from).days < 7 for a in hits), host  # weekly
        _, found = ws.anomalies("p1_assign_minutes")
        shifts = [a for a in found if a.kind in ("level_shift", "spike") and a.value > a.baseline]
        assert any(date(2020, 2, 1) <= a.start.date() <= date(2020, 6, 30) for a in shifts)
