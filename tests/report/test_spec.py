"""Report specs: parsing with errors that name the key, and periods resolved to the calendar."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from groundswell.config import parse as parse_config
from groundswell.errors import ConfigError, ReportError
from groundswell.report.spec import load, parse, resolve

GOOD = """
title = "Weekly"
audience = "the team"
period = "2020-W24"
as_of = 2020-06-15

[[sections]]
kind = "chart"
metrics = ["forum_posts", "covid_weekly"]
search = "lockdown"
history = "8 weeks"

[[sections]]
kind = "chart"
metrics = "p1_assign_minutes"
baseline = "2019-01-01..2020-02-29"

[[sections]]
kind = "top"
of = "domain"
where = ["extension = jpg"]
order = "rising"
limit = 5

[[sections]]
kind = "excerpts"
search = "疫情 OR lockdown"
sort = "oldest"

[[sections]]
kind = "text"
file = "notes.md"
"""


def spec(text: str) -> object:
    return parse(tomllib.loads(text), name="t", where="t.toml")


def test_a_full_spec_parses() -> None:
    s = parse(tomllib.loads(GOOD), name="weekly", where="weekly.toml")
    assert s.title == "Weekly" and s.period == "2020-W24"
    assert s.as_of == datetime(2020, 6, 15)
    chart, p1, top, excerpts, text = s.sections
    assert chart.metrics == ("forum_posts", "covid_weekly") and chart.searches == ("lockdown",)
    assert p1.metrics == ("p1_assign_minutes",)
    assert p1.baseline == (date(2019, 1, 1), date(2020, 2, 29))
    assert top.of == "domain" and top.order == "rising" and top.limit == 5
    assert [str(f) for f in top.where] == ["extension = jpg"]
    assert excerpts.searches == ("疫情 OR lockdown",) and excerpts.sort == "oldest"
    assert text.markdown == "@notes.md"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('title = "x"', r"needs \[\[sections\]\]"),
        (
            'colour = "red"\n[[sections]]\nkind = "text"\nmarkdown = "x"',
            "t.toml.colour: unknown key",
        ),
        ('[[sections]]\nkind = "pie"', r"sections\[0\].kind must be one of"),
        ('[[sections]]\nkind = "chart"', "a chart needs metrics"),
        ('[[sections]]\nkind = "chart"\nmetrics = ["a"]\nhistory = "soon"', "amount of time"),
        ('[[sections]]\nkind = "top"\nof = "colour"', r"sections\[0\].of must be one of"),
        ('[[sections]]\nkind = "top"\nof = "domain"\norder = "up"', "order must be one of"),
        ('[[sections]]\nkind = "top"\nof = "domain"\nlimit = 0', "from 1 to 100"),
        ('[[sections]]\nkind = "top"\nof = "domain"\nwhere = ["search = x"]', "cannot filter"),
        ('[[sections]]\nkind = "top"\nof = "domain"\nwhere = ["kind ~ x"]', "where"),
        ('[[sections]]\nkind = "excerpts"\nsearch = "x"\nsort = "best"', "sort must be"),
        ('[[sections]]\nkind = "table"\nmetrics = ["a"]\nsearch = "x"', "search: unknown key"),
        ('period = "2020-W54"\n[[sections]]\nkind = "text"\nmarkdown = "x"', "not a period"),
        ('period = "fortnight"\n[[sections]]\nkind = "text"\nmarkdown = "x"', "not a period"),
        ('timezone = "Mars/Base"\n[[sections]]\nkind = "text"\nmarkdown = "x"', "timezone"),
        ('[[sections]]\nkind = "chart"\nmetrics = ["a"]\nbaseline = "2020..2019"', "window"),
        (
            '[[sections]]\nkind = "chart"\nmetrics = ["a", "b"]\nbaseline = "2019-01-01..2019-02-01"',  # noqa: E501
            "a chart of one series",
        ),
    ],
)
def test_mistakes_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        spec(text)


def test_reports_in_the_workspace_config_are_checked_when_it_loads() -> None:
    config = parse_config(
        '[reports.weekly]\ntitle = "W"\n[[reports.weekly.sections]]\nkind = "text"\n'
        'markdown = "hello"\n'
    )
    assert config.reports["weekly"].sections[0].markdown == "hello"
    with pytest.raises(ConfigError, match=r"reports.weekly.sections\[0\].kind"):
        parse_config('[reports.weekly]\n[[reports.weekly.sections]]\nkind = "pie"\n')


def test_a_spec_file_that_is_missing_or_not_toml_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no report spec"):
        load(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("title = \n", encoding="utf-8")
    with pytest.raises(ReportError, match="not a valid TOML"):
        load(bad)


AMS = "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("text", "as_of", "start", "end", "label"),
    [
        ("2020-W24", None, date(2020, 6, 8), date(2020, 6, 15), "Week 24 of 2020 (8 to 14 June)"),
        ("2020-W23", None, date(2020, 6, 1), date(2020, 6, 8), "Week 23 of 2020 (1 to 7 June)"),
        # ISO weeks across the year: week 53 of 2020 ends in January 2021
        (
            "2020-W53",
            None,
            date(2020, 12, 28),
            date(2021, 1, 4),
            "Week 53 of 2020 (28 December to 3 January)",
        ),
        ("2020-02", None, date(2020, 2, 1), date(2020, 3, 1), "February 2020"),
        ("2019-12", None, date(2019, 12, 1), date(2020, 1, 1), "December 2019"),
        (
            "2020-03-01..2020-06-14",
            None,
            date(2020, 3, 1),
            date(2020, 6, 15),
            "1 March to 14 June 2020",
        ),
        # relative periods count back from as-of, in the report's timezone
        (
            "last complete week",
            datetime(2020, 6, 15, 0, 30),
            date(2020, 6, 8),
            date(2020, 6, 15),
            None,
        ),
        (
            "last complete week",
            datetime(2020, 6, 14, 23, 0),
            date(2020, 6, 1),
            date(2020, 6, 8),
            None,
        ),
        ("this week", datetime(2020, 6, 10), date(2020, 6, 8), date(2020, 6, 15), None),
        ("last complete month", datetime(2020, 1, 10), date(2019, 12, 1), date(2020, 1, 1), None),
        ("this month", datetime(2020, 3, 29, 12), date(2020, 3, 1), date(2020, 4, 1), None),
    ],
)
def test_periods_resolve_to_calendar_spans(
    text: str, as_of: datetime | None, start: date, end: date, label: str | None
) -> None:
    zone = ZoneInfo(AMS)
    p = resolve(text, AMS, (as_of or datetime(2026, 1, 1)).replace(tzinfo=zone))
    assert p.start == datetime(start.year, start.month, start.day, tzinfo=zone)
    assert p.end == datetime(end.year, end.month, end.day, tzinfo=zone)
    if label:
        assert p.label == label


def test_an_as_of_in_another_timezone_is_read_in_the_reports() -> None:
    # 23:30 UTC on Sunday is already Monday in Amsterdam: the week before is complete
    p = resolve("last complete week", AMS, datetime(2020, 6, 14, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert p.key == "2020-W24"


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ReportError, match="ends before"):
        resolve("2020-06-14..2020-03-01", AMS, datetime(2026, 1, 1))
