#!/usr/bin/env python3
"""Look at a report the way a reader will: turn its HTML and PDF into PNG pictures.

    .venv/bin/python tools/look_at_report.py briefing/weekly-2020-W11.html \\
        briefing/weekly-2020-W11.pdf --out /tmp/look

- An HTML file is opened in headless Chromium, offline (no network, no profile, a fresh user
  data folder) at 1000 px wide and a tall window, screenshotted, the empty space below the
  page cut off, and the picture cut into slices of about a screen each
  (``<name>-html-01.png``, ``-02``...) so each can be read at full size.
- A PDF is turned into one PNG per page with ``pdftoppm -png -r 60`` (``<name>-pdf-1.png``...;
  ``--dpi 100`` to read small print).

The paths of the pictures are printed, one a line, to open with any image viewer. Needs
``chromium`` and ``pdftoppm`` (Debian: ``apt-get install chromium poppler-utils``); Pillow
(a WeasyPrint dependency, so in the project's venv) for cropping and slicing.

This is the visual check of issue 6: render every report you change and look at every
picture before calling it done (overflowing charts, tables cut at the margin, a heading alone
at the bottom of a page, text in the wrong font, page numbers missing).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

INSTALL = "apt-get install chromium poppler-utils"
CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="look-at-report-"))
    out.mkdir(parents=True, exist_ok=True)
    pictures: list[Path] = []
    try:
        for name in args.files:
            path = Path(name).resolve()
            if not path.is_file():
                raise SystemExit(f"look_at_report: no file {name}")
            suffix = path.suffix.lower()
            if suffix in (".html", ".htm"):
                pictures += html_pictures(path, out, args.width, args.height, args.slice)
            elif suffix == ".pdf":
                pictures += pdf_pictures(path, out, args.dpi)
            else:
                raise SystemExit(f"look_at_report: {name} is neither .html nor .pdf")
    except subprocess.CalledProcessError as failed:
        sys.stderr.write(failed.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"look_at_report: {failed.cmd[0]} failed") from None
    for picture in pictures:
        print(picture)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="look_at_report.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="report .html and/or .pdf")
    parser.add_argument(
        "--out", help="folder for the pictures (default: a new temporary folder)", default=None
    )
    parser.add_argument(
        "--width", type=int, default=1000, help="browser window width in px (default 1000)"
    )
    parser.add_argument(
        "--height",
        type=int,
        default=16000,
        help="window height in px, taller than the page; the empty rest is cut (default 16000)",
    )
    parser.add_argument(
        "--slice",
        type=int,
        default=1400,
        help="cut the HTML screenshot into pictures this tall, 0 for one (default 1400)",
    )
    parser.add_argument(
        "--dpi", type=int, default=60, help="resolution of the PDF pages (default 60)"
    )
    return parser


def _tool(names: tuple[str, ...]) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(f"look_at_report: {names[0]} not found; install it with: {INSTALL}")


def html_pictures(path: Path, out: Path, width: int, height: int, slice_px: int) -> list[Path]:
    """Screenshot ``path`` in headless Chromium, offline; crop and slice it."""
    chromium = _tool(CHROMIUMS)
    shot = out / f"{path.stem}-html.png"
    with tempfile.TemporaryDirectory(prefix="look-chromium-") as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                f"--window-size={width},{height}",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                path.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    return _crop_and_slice(shot, slice_px)


def _crop_and_slice(shot: Path, slice_px: int) -> list[Path]:
    """Cut the blank window below the page, then cut the rest into slices (with Pillow)."""
    try:
        from PIL import Image, ImageChops
    except ImportError:
        return [shot]
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
    background = Image.new("RGB", rgb.size, rgb.getpixel((rgb.width - 1, rgb.height - 1)))
    box = ImageChops.difference(rgb, background).getbbox()
    bottom = min(rgb.height, (box[3] if box else 1) + 24)
    if bottom == rgb.height:
        sys.stderr.write(f"look_at_report: {shot.name} may be cut short; raise --height\n")
    rgb = rgb.crop((0, 0, rgb.width, bottom))
    if slice_px <= 0 or bottom <= slice_px:
        rgb.save(shot)
        return [shot]
    shot.unlink()
    slices = []
    for n, top in enumerate(range(0, bottom, slice_px), 1):
        part = shot.with_name(f"{shot.stem}-{n:02d}.png")
        rgb.crop((0, top, rgb.width, min(top + slice_px, bottom))).save(part)
        slices.append(part)
    return slices


def pdf_pictures(path: Path, out: Path, dpi: int) -> list[Path]:
    """One PNG per page of ``path`` with pdftoppm."""
    pdftoppm = _tool(("pdftoppm",))
    prefix = out / f"{path.stem}-pdf"
    for old in out.glob(f"{prefix.name}-*.png"):
        old.unlink()
    subprocess.run(
        [pdftoppm, "-png", "-r", str(dpi), str(path), str(prefix)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return sorted(out.glob(f"{prefix.name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


if __name__ == "__main__":
    sys.exit(main())
