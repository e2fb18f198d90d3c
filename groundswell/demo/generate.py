"""The deterministic synthetic demo corpus: real export formats with planted ground truth.

    from groundswell.demo import generate
    manifest = generate(Path("corpus"), seed=7, scale=1.0)

writes, under ``out_dir``: forum scrapes (``forums/*.jsonl``), Telegram Desktop exports
(``telegram/*/result.json``), DiscordChatExporter files (``discord/*.json``), Pushshift-style
Reddit dumps (``reddit/*/R[SC]_YYYY-MM.zst``), 4chan-API imageboard threads
(``imageboard/<board>/thread/<no>.json``), a dispatch log (``dispatch/calls.csv``) and
creator snapshots (``creators/snapshots.csv``), plus ``manifest.json`` (every file with its
importer and options) and ``ground_truth.json`` (what was planted, with exact counts).

The same seed and scale give byte-identical files. docs/demo.md describes the scenario.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from groundswell.demo.common import Build, DemoFile, Manifest
from groundswell.demo.creators import write_snapshots
from groundswell.demo.discord import write_discord
from groundswell.demo.dispatch import write_dispatch
from groundswell.demo.forums import write_forums
from groundswell.demo.imageboard import write_imageboard
from groundswell.demo.reddit import write_reddit
from groundswell.demo.telegram import write_channel, write_group
from groundswell.demo.truth import GENERATOR_VERSION, ground_truth

MANIFEST = "manifest.json"
GROUND_TRUTH = "ground_truth.json"

__all__ = ["DemoFile", "Manifest", "generate"]


def generate(
    out_dir: Path | str,
    *,
    seed: int = 7,
    scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> Manifest:
    """Write the demo corpus into ``out_dir`` and return its manifest.

    ``scale`` multiplies the volume of ordinary traffic and of the planted link counts (1.0 is
    a few hundred thousand records; 0.02 is a quick test corpus); the planted actors (campaign
    accounts, returning members, creators) are the same at every scale.
    """
    if not (isinstance(scale, int | float) and 0 < scale <= 20):
        raise ValueError(f"scale must be a number in (0, 20], not {scale!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous(out)
    b = Build(out, seed, float(scale), progress)
    started = time.monotonic()

    forums = write_forums(b)
    channel = write_channel(b)
    group = write_group(b)
    discord = write_discord(b)
    reddit = write_reddit(b)
    board = write_imageboard(b)
    dispatch = write_dispatch(b)
    creators = write_snapshots(b)

    truth = ground_truth(b, forums, channel, group, discord, reddit, board, dispatch, creators)
    gt_path = out / GROUND_TRUTH
    gt_path.write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2) + b"\n")
    manifest = Manifest(b.files, gt_path, seed, float(scale))
    (out / MANIFEST).write_bytes(
        orjson.dumps(_manifest_json(manifest, out), option=orjson.OPT_INDENT_2) + b"\n"
    )
    b.say(
        f"{len(b.files)} files, {sum(f.records for f in b.files):,} records "
        f"in {time.monotonic() - started:.1f} s"
    )
    return manifest


def _manifest_json(m: Manifest, out: Path) -> dict[str, Any]:
    return {
        "generator": "groundswell.demo",
        "version": GENERATOR_VERSION,
        "seed": m.seed,
        "scale": m.scale,
        "ground_truth": GROUND_TRUTH,
        "records": sum(f.records for f in m.files),
        "files": [
            {
                "path": f.path.relative_to(out).as_posix(),
                "format": f.format,
                "options": f.options,
                "table": f.table,
                "records": f.records,
            }
            for f in m.files
        ],
    }


def load_manifest(out_dir: Path | str) -> Manifest:
    """Read ``manifest.json`` back (paths become absolute under ``out_dir``)."""
    out = Path(out_dir)
    doc = orjson.loads((out / MANIFEST).read_bytes())
    files = [
        DemoFile(out / f["path"], f["format"], f["options"], f["table"], f["records"])
        for f in doc["files"]
    ]
    return Manifest(files, out / doc["ground_truth"], doc["seed"], doc["scale"])


def _remove_previous(out: Path) -> None:
    """Delete the files of an earlier corpus in ``out`` (only those its manifest lists)."""
    old = out / MANIFEST
    if not old.is_file():
        return
    try:
        doc = orjson.loads(old.read_bytes())
        paths = [str(f["path"]) for f in doc.get("files", [])]
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        return
    root = out.resolve()
    for rel in paths:
        p = (out / rel).resolve()
        if p.is_file() and root in p.parents:
            p.unlink()
