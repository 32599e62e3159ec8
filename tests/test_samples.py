"""The shipped pictures: the manifest matches the files, they are small, they load by name."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from PIL import Image

from nst_teach import samples
from nst_teach.samples import (
    ART_DIR,
    CONTENT_SAMPLES,
    PAINTINGS,
    PHOTOS,
    SAMPLE_NAMES,
    STYLE_SAMPLES,
    TEXTURES,
    art_manifest,
    sample_credit,
    sample_image,
)

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"name", "file", "title", "artist", "year", "kind", "licence", "source", "sha256"}


def test_names_and_kinds():
    assert PAINTINGS == ("starry_night", "great_wave", "shipwreck", "woman_with_hat", "udnie")
    assert PHOTOS == ("astronaut", "chelsea", "coffee", "rocket")
    assert TEXTURES == ("brick", "grass", "gravel")
    assert (*PHOTOS, "hopper") == CONTENT_SAMPLES
    assert (*PAINTINGS, *TEXTURES, "swirls", "mosaic", "stripes", "waves") == STYLE_SAMPLES
    assert len(set(SAMPLE_NAMES)) == len(SAMPLE_NAMES) == 17


def test_manifest_sha256_and_sizes():
    manifest = art_manifest()
    assert set(manifest) == set(PAINTINGS + PHOTOS + TEXTURES)
    total = 0
    for name, entry in manifest.items():
        assert set(entry) >= KEYS, name
        assert entry["kind"] in ("painting", "photo", "texture")
        assert entry["licence"].startswith(("public domain", "CC0")), name
        data = (ART_DIR / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        total += len(data)
        with Image.open(ART_DIR / entry["file"]) as img:
            assert max(img.size) <= 512, name
            assert (img.width, img.height) == (entry["width"], entry["height"])
    assert total <= 2_000_000
    # nothing else lies in the folder
    assert {p.name for p in ART_DIR.iterdir()} == {e["file"] for e in manifest.values()} | {
        "manifest.json"
    }


def test_pictures_are_package_data():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"data/art/*.jpg"' in text and '"data/art/manifest.json"' in text


def test_shipped_pictures_load_in_colour_or_grey():
    night = sample_image("starry_night")
    assert night.shape == (1, 3, 320, 512)
    assert float((night[0, 2] - night[0, 0]).mean()) > 0.05  # bluer than red
    brick = sample_image("brick", size=64)
    assert brick.shape == (1, 3, 64, 64)
    assert float((brick[0, 0] - brick[0, 1]).abs().max()) == 0.0  # grey: equal channels


def test_credits():
    assert sample_credit("great_wave") == (
        "The Great Wave off Kanagawa (woodblock print), Katsushika Hokusai, c. 1831 (public domain)"
    )
    assert "matplotlib" in sample_credit("hopper")
    with pytest.raises(ValueError, match="unknown sample image 'monet'"):
        sample_credit("monet")


def test_readme_credits_every_shipped_picture():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Credits", 1)[1]
    for name, entry in art_manifest().items():
        line = next((ln for ln in section.splitlines() if f"`{name}`" in ln), None)
        assert line is not None, name
        for key in ("title", "artist", "licence"):
            assert str(entry[key]) in line, (name, key)
    assert re.search(r"tools/ship_art\.py", section)


def test_cli_knows_the_pictures(tmp_path):
    from nst_teach.cli import main

    out = tmp_path / "x.png"
    argv = ["stylize", "chelsea", "great_wave", "-o", str(out), "--size", "32", "--steps", "1"]
    argv += ["--weights", "random", "--quiet", "--style-layers", "relu1_1", "--content-layers"]
    assert main([*argv, "relu1_1"]) == 0
    assert out.is_file()


def test_sample_path():
    assert samples.sample_path("swirls") is None
    assert samples.sample_path("udnie") == ART_DIR / "udnie.jpg"
