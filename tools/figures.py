"""The README's figures: ``docs/images/hero.png``, photo | painting | result, made offline.

Usage (``make figures`` runs it)::

    python tools/figures.py [--steps 100] [--size 256] [--result IMAGE]

The result is ``nst-teach stylize astronaut starry_night --size 256 --steps 100 --weights
random`` (the shipped pictures, the seeded random VGG-19 weights that every machine has, the
calibrated defaults), so the figure is the same on every machine. ``--result`` takes an image
that command already wrote instead of running it again (``benchmarks/offline_target.py --out``
writes one). Without ``--result`` and ``--run`` the result is the shipped reference run
``readme-hero`` (``nst-teach references``: the same command run until its loss plateaued),
when it has been made.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from nst_teach.images import load_image, resize_cover  # noqa: E402
from nst_teach.lab.plotting import to_numpy_image  # noqa: E402
from nst_teach.samples import sample_credit, sample_image  # noqa: E402
from nst_teach.stylize import stylize  # noqa: E402

OUT = ROOT / "docs" / "images" / "hero.png"
PHOTO, PAINTING = "astronaut", "starry_night"


def hero(
    result_path: Path | None, size: int, steps: int, out: Path = OUT, run: bool = False
) -> Path:
    """Write photo | painting | result side by side (each ``size`` high) with a caption."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    photo = sample_image(PHOTO, size=size)
    h, w = photo.shape[-2:]
    painting = resize_cover(sample_image(PAINTING), h, w)
    reference = None
    if result_path is None and not run:
        from nst_teach.lab.references import load_reference

        try:
            reference = load_reference("readme-hero")
        except KeyError:
            reference = None
    if result_path is not None:
        result = load_image(result_path)
    elif reference is not None:
        result = reference.image
        steps = int(reference.record["evals"])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stylize(PHOTO, PAINTING, size=size, steps=steps, weights="random").image
    fig = Figure(figsize=(9.0, 3.45), dpi=100)
    titles = (
        "content: photo",
        "style: painting",
        f"result: {steps} evaluations, random VGG-19",
    )
    for i, (img, title) in enumerate(zip((photo, painting, result), titles)):
        ax = fig.add_axes((i / 3 + 0.005, 0.1, 1 / 3 - 0.01, 0.8))
        ax.imshow(np.clip(to_numpy_image(img), 0, 1))
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.text(
        0.5,
        0.03,
        f"{sample_credit(PHOTO)}  |  {sample_credit(PAINTING)}",
        ha="center",
        fontsize=7.5,
        color="0.35",
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    # a palette PNG keeps the file small (the README asks < 300 KB)
    Image.open(out).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        out, optimize=True
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--result", type=Path, default=None)
    parser.add_argument("--run", action="store_true", help="run stylize, not the reference")
    args = parser.parse_args()
    out = hero(args.result, args.size, args.steps, run=args.run)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
