"""Issue 9's offline target: with random VGG weights, at the defaults, does the style show?

For each photo x painting pair, runs what ``nst-teach stylize PHOTO PAINTING --size 256
--steps 100 --weights random --json`` runs (``nst_teach.stylize`` with the same arguments)
and prints

- the style loss's fall, first evaluation / last (target: at least 100), and
- the Pearson correlation of the 64x48 greyscale versions of the result and the photo
  (target: at least 0.8: the photo stays recognisable).

Usage::

    python benchmarks/offline_target.py [--photos astronaut,chelsea] [--paintings udnie]
        [--size 256] [--steps 100] [--out DIR]   # DIR: where to write the result images

Photos and paintings are sample names or files (``../shared/images/tubingen.jpg`` works for
trials; such files are never copied into the project).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nst_teach.images import save_image  # noqa: E402
from nst_teach.lab.plotting import to_numpy_image  # noqa: E402
from nst_teach.samples import PAINTINGS, PHOTOS, image_or_sample  # noqa: E402
from nst_teach.stylize import stylize  # noqa: E402

#: The side lengths (width, height) at which result and photo are compared.
COMPARE_SIZE = (64, 48)


def grey_small(image: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) in [0, 1] -> greyscale 48 x 64 array (as PIL's "L" conversion)."""
    arr = (np.clip(to_numpy_image(image), 0, 1) * 255 + 0.5).astype(np.uint8)
    pil = Image.fromarray(arr).convert("L").resize(COMPARE_SIZE, Image.Resampling.BILINEAR)
    return np.asarray(pil, dtype=np.float64)


def correlation(result: torch.Tensor, photo: torch.Tensor) -> float:
    """Pearson correlation of the 64x48 greyscale versions of two images."""
    a, b = grey_small(result).ravel(), grey_small(photo).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def run_pair(photo: str, painting: str, size: int, steps: int, **kwargs) -> dict[str, object]:
    content = image_or_sample(photo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stylize(
            content,
            image_or_sample(painting),
            size=size,
            steps=steps,
            weights="random",
            progress=False,
            **kwargs,
        )
    style = result.history["style"]
    return {
        "photo": photo,
        "painting": painting,
        "fall": style[0] / max(style[-1], 1e-30),
        "corr": correlation(result.image, content),
        "seconds": result.seconds,
        "image": result.image,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", default=",".join(PHOTOS))
    parser.add_argument("--paintings", default=",".join(PAINTINGS))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None, help="folder for the result images")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    print(
        f"# offline target, {time.strftime('%Y-%m-%d %H:%M')} UTC; {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"--size {args.size} --steps {args.steps} --weights random, other settings at their defaults"
    )
    print(f"{'photo':<26} {'painting':<20} {'style fall':>11} {'corr':>6} {'s':>6}  ok")
    rows = []
    for photo in args.photos.split(","):
        for painting in args.paintings.split(","):
            row = run_pair(photo, painting, args.size, args.steps)
            rows.append(row)
            ok = row["fall"] >= 100 and row["corr"] >= 0.8
            print(
                f"{Path(photo).stem:<26} {Path(painting).stem:<20} {row['fall']:>11.1f} "
                f"{row['corr']:>6.3f} {row['seconds']:>6.1f}  {'yes' if ok else 'NO'}",
                flush=True,
            )
            if args.out is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                name = f"{Path(photo).stem}--{Path(painting).stem}.png"
                save_image(row["image"], args.out / name, overwrite=True)
    falls = [r["fall"] for r in rows]
    corrs = [r["corr"] for r in rows]
    met = sum(r["fall"] >= 100 and r["corr"] >= 0.8 for r in rows)
    print(
        f"# {met}/{len(rows)} pairs meet both targets; style fall min {min(falls):.1f}, "
        f"median {float(np.median(falls)):.1f}; correlation min {min(corrs):.3f}, "
        f"median {float(np.median(corrs)):.3f}"
    )
    return 0 if met == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
