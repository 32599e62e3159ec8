"""Regenerate ``nst_teach/data/art`` from ``../shared/art``: resize, re-encode, write the manifest.

Usage (from the repository root)::

    python tools/ship_art.py [--source ../shared/art]

Every picture is scaled so that its longer side is at most 512 pixels (Lanczos) and saved as a
JPEG of quality 88 (greyscale textures as greyscale JPEGs). ``manifest.json`` records each
file's title, artist, year, kind, licence, source and sha256; the package reads it
(``nst_teach.samples``) and ``tests/test_samples.py`` checks the sha256 values and the total
size. The provenance comes from ``../shared/art/SOURCES.md``. Nothing in the tests runs this
script: its output is committed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "nst_teach" / "data" / "art"
LONG_SIDE = 512
QUALITY = 88
MAX_TOTAL_BYTES = 2_000_000

JCJ = "jcjohnson/neural-style, examples/inputs (MIT repository)"
LENG = "lengstrom/fast-style-transfer, examples/style"
SKI = "scikit-image 0.26, skimage/data"

#: name -> (source file, title, artist, year, kind, licence, source)
ART: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "starry_night": (
        "starry_night.jpg",
        "The Starry Night",
        "Vincent van Gogh",
        "1889",
        "painting",
        "public domain",
        JCJ,
    ),
    "great_wave": (
        "great_wave.jpg",
        "The Great Wave off Kanagawa (woodblock print)",
        "Katsushika Hokusai",
        "c. 1831",
        "painting",
        "public domain",
        "lengstrom/fast-style-transfer, examples/style/wave.jpg",
    ),
    "shipwreck": (
        "shipwreck.jpg",
        "The Shipwreck",
        "J. M. W. Turner",
        "1805",
        "painting",
        "public domain",
        JCJ,
    ),
    "woman_with_hat": (
        "woman_with_hat.jpg",
        "Woman with a Hat",
        "Henri Matisse",
        "1905",
        "painting",
        "public domain (US: published before 1930; EU: author died 1954, over 70 years)",
        JCJ,
    ),
    "udnie": (
        "udnie.jpg",
        "Udnie",
        "Francis Picabia",
        "1913",
        "painting",
        "public domain (US: before 1930; EU: author died 1953)",
        LENG,
    ),
    "astronaut": (
        "astronaut.png",
        "Eileen Collins, NASA portrait",
        "NASA",
        "",
        "photo",
        "public domain",
        SKI,
    ),
    "chelsea": (
        "chelsea.png",
        "Chelsea the cat",
        "Stefan van der Walt",
        "",
        "photo",
        "CC0",
        SKI,
    ),
    "coffee": ("coffee.png", "A cup of coffee", "Rachel Michetti", "", "photo", "CC0", SKI),
    "rocket": (
        "rocket.jpg",
        "DSCOVR launch on Falcon 9",
        "SpaceX",
        "2015",
        "photo",
        "public domain",
        SKI,
    ),
    "brick": ("brick.png", "Brick wall (grey texture)", "CC0Textures", "", "texture", "CC0", SKI),
    "grass": ("grass.png", "Grass (grey texture)", "linolafett", "", "texture", "CC0", SKI),
    "gravel": ("gravel.png", "Gravel (grey texture)", "CC0Textures", "", "texture", "CC0", SKI),
}


def ship(source: Path, out: Path = OUT) -> list[dict[str, str | int]]:
    """Write the resized pictures and ``manifest.json`` to ``out``; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, str | int]] = []
    for name, (src, title, artist, year, kind, licence, origin) in ART.items():
        img = Image.open(source / src)
        img = img.convert("L" if img.mode in ("L", "I;16") else "RGB")
        if max(img.size) > LONG_SIDE:
            scale = LONG_SIDE / max(img.size)
            size = (round(img.width * scale), round(img.height * scale))
            img = img.resize(size, Image.Resampling.LANCZOS)
        path = out / f"{name}.jpg"
        img.save(path, format="JPEG", quality=QUALITY, optimize=True, progressive=False)
        data = path.read_bytes()
        manifest.append(
            {
                "name": name,
                "file": path.name,
                "title": title,
                "artist": artist,
                "year": year,
                "kind": kind,
                "licence": licence,
                "source": origin,
                "width": img.width,
                "height": img.height,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(int(m["bytes"]) for m in manifest)
    if total > MAX_TOTAL_BYTES:
        raise SystemExit(f"the shipped pictures take {total} bytes, over {MAX_TOTAL_BYTES}")
    return manifest


def credits_markdown(manifest: list[dict[str, str | int]]) -> str:
    """The README's "Credits" table, one row per shipped picture."""
    rows = [
        "| name | picture | by, year | licence | from |",
        "|---|---|---|---|---|",
    ]
    for m in manifest:
        by = ", ".join(str(x) for x in (m["artist"], m["year"]) if x)
        what = m["title"] if "(" in str(m["title"]) else f"{m['title']} ({m['kind']})"
        rows.append(f"| `{m['name']}` | {what} | {by} | {m['licence']} | {m['source']} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "art")
    parser.add_argument(
        "--credits", action="store_true", help="only print the README's credits table"
    )
    args = parser.parse_args()
    if args.credits:
        entries = json.loads((OUT / "manifest.json").read_text(encoding="utf-8"))
        print(credits_markdown(entries), end="")
        return
    manifest = ship(args.source)
    total = sum(int(m["bytes"]) for m in manifest)
    for m in manifest:
        print(f"{m['file']:<20} {m['width']:>4}x{m['height']:<4} {m['bytes']:>7} bytes")
    print(f"total {total} bytes in {len(manifest)} files")


if __name__ == "__main__":
    main()
