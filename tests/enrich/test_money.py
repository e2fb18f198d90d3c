"""Money amounts: the number grammar and separator rules, the documented decisions (ranges,
¥, C$, code spans, look-alikes), generated amounts in five conventions, and property tests
(never raises, terminates fast, offsets slice back to a span holding the number)."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell.enrich.indicators import extract
from groundswell.enrich.indicators.base import Found
from groundswell.enrich.indicators.money import MoneyExtractor, parse_number
from groundswell.enrich.indicators.scanner import Scanner

EXTRACTOR = MoneyExtractor()
SCANNER = Scanner([EXTRACTOR])
VALUE = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]*[1-9])? [A-Z]{3,4}")


def money(text: str) -> list[Found]:
    """This extractor alone, through a real Hyperscan scan."""
    return SCANNER.extract(text)


def pairs(text: str) -> list[tuple[str, str]]:
    return [(f.value, text[f.start : f.end]) for f in money(text)]


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("raw", "crypto", "want"),
    [
        ("1,420.00", False, "1420.00"),
        ("1.420,00", False, "1420.00"),
        ("1,420", False, "1420"),
        ("1.420", False, "1420"),
        ("1.420", True, "1.420"),  # crypto: a single dot is decimal
        ("1,420", True, "1420"),
        ("1,5", False, "1.5"),
        ("15,50", False, "15.50"),
        ("0,420", False, "0.420"),  # a leading zero is never a thousands group
        ("0.003", False, "0.003"),
        ("1234,567", False, "1234.567"),  # four digits before: not a group
        ("1,2345", False, "1.2345"),
        ("1.234.567", False, "1234567"),
        ("1,234,567.89", False, "1234567.89"),
        ("1.234.567,89", False, "1234567.89"),
        ("1 000 000", False, "1000000"),
        ("1\u00a0234,56", False, "1234.56"),
        ("1\u202f234.56", False, "1234.56"),
        ("8500", False, "8500"),
    ],
)
def test_separators(raw: str, crypto: bool, want: str) -> None:
    assert parse_number(raw, crypto) == Decimal(want)


# ---------------------------------------------------------------- the issue's forms


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("$8,500", [("8500 USD", "$8,500")]),
        ("€15", [("15 EUR", "€15")]),
        ("0.003 BTC", [("0.003 BTC", "0.003 BTC")]),
        ("1万元", [("10000 CNY", "1万元")]),
        ("15 juta dolar", [("15000000 USD", "15 juta dolar")]),
        ("Rp 2 miliar", [("2000000000 IDR", "Rp 2 miliar")]),
        ("US$ 100", [("100 USD", "US$ 100")]),
        ("USD 100", [("100 USD", "USD 100")]),
        ("100 usd", [("100 USD", "100 usd")]),
        ("£1.2m", [("1200000 GBP", "£1.2m")]),
        ("$5k", [("5000 USD", "$5k")]),
        ("$2.5 million", [("2500000 USD", "$2.5 million")]),
        ("$1bn", [("1000000000 USD", "$1bn")]),
        ("€ 15,50", [("15.5 EUR", "€ 15,50")]),
        ("15,50 euro", [("15.5 EUR", "15,50 euro")]),
        ("1.234,56 €", [("1234.56 EUR", "1.234,56 €")]),
        ("€1.234.567", [("1234567 EUR", "€1.234.567")]),
        ("3,5 млн рублей", [("3500000 RUB", "3,5 млн рублей")]),
        ("500 руб.", [("500 RUB", "500 руб.")]),
        ("100 ₽", [("100 RUB", "100 ₽")]),
        ("10 тыс. долларов", [("10000 USD", "10 тыс. долларов")]),
        ("5 евро", [("5 EUR", "5 евро")]),
        ("2 亿元", [("200000000 CNY", "2 亿元")]),
        ("3千元", [("3000 CNY", "3千元")]),
        ("5.5万美元", [("55000 USD", "5.5万美元")]),
        ("Rp50.000", [("50000 IDR", "Rp50.000")]),
        ("Rp 1,5 juta", [("1500000 IDR", "Rp 1,5 juta")]),
        ("IDR 250rb", [("250000 IDR", "IDR 250rb")]),
        ("100 dolar AS", [("100 USD", "100 dolar AS")]),
        ("₿0.5", [("0.5 BTC", "₿0.5")]),
        ("0.5 ETH", [("0.5 ETH", "0.5 ETH")]),
        ("10 yuan", [("10 CNY", "10 yuan")]),
        ("500円", [("500 JPY", "500円")]),
        ("5000 sats", [("0.00005 BTC", "5000 sats")]),
    ],
)
def test_issue_forms(text: str, want: list[tuple[str, str]]) -> None:
    assert pairs(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "ratusan ribu rupiah",
        "twenty dollars",
        "BTC price today",
        "1,420.00",
        "7.1.17.0",
        "echo $PATH $HOME $var",
        "US 100",
        "$AAPL",
        "#1 and 100%",
        "3 ETH-like chains",
        "the eurostar 5",
        "EUR/USD 1.0850",
        "ETH 2.0",
        "awk '{print $1}'",
        "`price=$5`",
        "```\nx=$1\n```",
        "$A$1",
        "the $5$ math",
        "2024-05-10 USD",
        "рубрика 5",
        "100 долларовых купюр",
        "2024元旦",
        "3块蛋糕",
        "the 2024 Bitcoin conference",
        "in 2023 dollars",
        "RS232 and RPM 3000",
    ],
)
def test_look_alikes(text: str) -> None:
    assert money(text) == []


# ---------------------------------------------------------------- decisions


def test_yen_sign_reads_the_script_around_it() -> None:
    assert pairs("Lunch was ¥500") == [("500 JPY", "¥500")]
    assert pairs("价格¥500包邮") == [("500 CNY", "¥500")]
    assert pairs("ランチ¥500です") == [("500 JPY", "¥500")]
    assert pairs("¥500元") == [("500 CNY", "¥500元")]


def test_dollar_prefixes() -> None:
    assert pairs("C$20 A$5 NZ$6 HK$7 S$8 R$9 NT$1 MX$2 USD$3") == [
        ("20 CAD", "C$20"),
        ("5 AUD", "A$5"),
        ("6 NZD", "NZ$6"),
        ("7 HKD", "HK$7"),
        ("8 SGD", "S$8"),
        ("9 BRL", "R$9"),
        ("1 TWD", "NT$1"),
        ("2 MXN", "MX$2"),
        ("3 USD", "USD$3"),
    ]
    assert money("a$1 and \\$1 and ${1}") == []


def test_ranges_give_both_ends() -> None:
    assert pairs("$5-10") == [("5 USD", "$5"), ("10 USD", "10")]
    assert pairs("$5-10k") == [("5000 USD", "$5"), ("10000 USD", "10k")]
    assert pairs("$500-1k") == [("500 USD", "$500"), ("1000 USD", "1k")]
    assert pairs("5–10 млн руб") == [("5000000 RUB", "5"), ("10000000 RUB", "10 млн руб")]
    assert pairs("$10-5") == [("10 USD", "$10")]  # descending: not a range
    assert pairs("$5-10-15") == [("5 USD", "$5")]  # a chain, not a range


def test_one_amount_per_number() -> None:
    assert pairs("$5 USD") == [("5 USD", "$5 USD")]
    assert pairs("$100 AUD") == [("100 AUD", "$100 AUD")]
    assert pairs("人民币5000元") == [("5000 CNY", "人民币5000元")]
    assert pairs("港币500元") == [("500 HKD", "港币500元")]
    assert pairs("USD 100 EUR 200") == [("100 USD", "USD 100"), ("200 EUR", "EUR 200")]
    assert pairs("100 USD 200 EUR") == [("100 USD", "100 USD"), ("200 EUR", "200 EUR")]
    assert pairs("5 € 10 €") == [("5 EUR", "5 €"), ("10 EUR", "10 €")]
    assert pairs("I have 2 $5 bills") == [("5 USD", "$5")]


def test_per_unit_and_trailing_text() -> None:
    assert pairs("$10/month") == [("10 USD", "$10")]
    assert pairs("€ 15,- p.p.") == [("15 EUR", "€ 15,-")]
    assert pairs("$5k.") == [("5000 USD", "$5k")]
    assert pairs("$5 T-shirts") == [("5 USD", "$5")]
    assert pairs("Rp 2,5 M untuk") == [("2500000000 IDR", "Rp 2,5 M")]
    assert money("$5abc") == []


def test_fields() -> None:
    (f,) = money("costs £1,000.50 now")
    assert (f.kind, f.value, f.subkind, f.amount, f.validity) == (
        "money",
        "1000.5 GBP",
        "GBP",
        1000.5,
        None,
    )


def test_through_the_registry() -> None:
    found = [f for f in extract("Donate $25 or 0.001 BTC, thanks!") if f.kind == "money"]
    assert [(f.value, f.subkind, f.amount) for f in found] == [
        ("25 USD", "USD", 25.0),
        ("0.001 BTC", "BTC", 0.001),
    ]


# ---------------------------------------------------------------- generated amounts


def _en(n: int, cents: int | None) -> str:
    return f"{n:,}" + (f".{cents:02d}" if cents is not None else "")


def _eu(n: int, cents: int | None) -> str:
    return f"{n:,}".replace(",", ".") + (f",{cents:02d}" if cents is not None else "")


def _ru(n: int, cents: int | None) -> str:
    return f"{n:,}".replace(",", "\u00a0") + (f",{cents:02d}" if cents is not None else "")


FORMS = [
    (lambda a: f"for ${a} only", _en, "USD"),
    (lambda a: f"prijs € {a} p.p.", _eu, "EUR"),
    (lambda a: f"totaal {a} euro", _eu, "EUR"),
    (lambda a: f"цена {a} руб. за штуку", _ru, "RUB"),
    (lambda a: f"价格{a}元，包邮", _en, "CNY"),
    (lambda a: f"harga Rp {a} nego", _eu, "IDR"),
    (lambda a: f"paid {a} USD today", _en, "USD"),
]

FAST = settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@FAST
@given(
    st.integers(0, len(FORMS) - 1),
    st.integers(0, 10**12),
    st.one_of(st.none(), st.integers(0, 99)),
)
def test_generated_amounts(form: int, n: int, cents: int | None) -> None:
    template, fmt, code = FORMS[form]
    written = fmt(n, cents)
    text = template(written)
    found = money(text)
    want = Decimal(n) + (Decimal(cents) / 100 if cents is not None else 0)
    assert len(found) == 1, (text, found)
    f = found[0]
    assert f.subkind == code
    assert Decimal(f.value.split()[0]) == want, (text, f)
    assert written in text[f.start : f.end]


# ---------------------------------------------------------------- properties


def _check(text: str, found: list[Found]) -> None:
    spans = set()
    last = 0
    for f in found:
        assert f.kind == "money"
        assert f.start is not None and f.end is not None
        assert 0 <= f.start < f.end <= len(text)
        raw = text[f.start : f.end]
        assert raw == raw.strip()
        assert any(c.isdigit() for c in raw)
        assert VALUE.fullmatch(f.value), f.value
        assert f.subkind == f.value.split()[1]
        assert f.amount == float(Decimal(f.value.split()[0]))
        assert (f.start, f.end) not in spans  # never the same indicator twice
        spans.add((f.start, f.end))
        assert f.start >= last  # in text order, spans never overlap
        last = f.end


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    _check(text, money(text))


NOISE = st.sampled_from(
    [*"0123456789$€¥₽£₿.,-–~ kKmMbBT万元块亿千руб`/%#", "\u00a0", "USD", "usd", "Rp", "IDR",
     "juta", "ribu", "rb", "млн", "тыс.", "рублей", "долларов", "euro", "dollars", "BTC", "sats",
     "人民币", "美元", "US", "C", "A", "in ", "2024", "1,000", "0.5", ",-", "\n"]
)  # fmt: skip


@FAST
@given(st.lists(NOISE, max_size=120).map("".join))
def test_money_like_noise(text: str) -> None:
    _check(text, money(text))


PATHOLOGICAL = [
    "a.a." * 250_000,
    "@" * 1_000_000,
    "[.]" * 330_000,
    "1" * 100_000 + " USD",
    "$" + "9" * 100_000,
    "$1" * 100_000,
    "1 USD " * 35_000,
    "1万元" * 70_000,
    "€" * 200_000,
    "руб" * 100_000,
    "1-" * 500_000 + " USD",
    "1," * 500_000 + "€",
    "1 " * 500_000 + "руб",
    "`" + "$1 " * 70_000,
]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: repr(t[:12]))
def test_pathological_inputs_terminate(text: str) -> None:
    t0 = time.perf_counter()
    found = money(text)
    assert time.perf_counter() - t0 < 10
    _check(text, found)
