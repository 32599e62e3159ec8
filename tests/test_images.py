"""Images in every mode, EXIF orientation, bad files, and the built-in samples."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
import torch
from PIL import Image

from nst_teach.images import OutputExistsError, load_image, save_image
from nst_teach.samples import SAMPLE_NAMES, image_or_sample, sample_image


def _check(t: torch.Tensor, h: int, w: int) -> None:
    assert t.shape == (1, 3, h, w)
    assert t.dtype == torch.float32
    assert float(t.min()) >= 0.0 and float(t.max()) <= 1.0


def test_rgb_roundtrip(tmp_path):
    arr = np.zeros((4, 6, 3), dtype=np.uint8)
    arr[..., 0] = 255
    arr[1, 2] = (0, 128, 255)
    Image.fromarray(arr).save(tmp_path / "a.png")
    t = load_image(tmp_path / "a.png")
    _check(t, 4, 6)
    assert torch.allclose(t[0, :, 1, 2], torch.tensor([0.0, 128 / 255, 1.0]))
    save_image(t, tmp_path / "b.png")
    assert torch.equal(load_image(tmp_path / "b.png"), t)


def test_rgba_composited_on_white(tmp_path):
    arr = np.zeros((2, 2, 4), dtype=np.uint8)
    arr[0, 0] = (255, 0, 0, 255)  # opaque red
    arr[0, 1] = (255, 0, 0, 0)  # fully transparent -> white
    arr[1, 0] = (0, 0, 0, 128)  # half-transparent black -> mid grey
    Image.fromarray(arr, mode="RGBA").save(tmp_path / "a.png")
    t = load_image(tmp_path / "a.png")
    assert torch.allclose(t[0, :, 0, 0], torch.tensor([1.0, 0.0, 0.0]))
    assert torch.allclose(t[0, :, 0, 1], torch.ones(3))
    assert torch.allclose(t[0, :, 1, 0], torch.full((3,), 127 / 255), atol=1 / 255)


def test_grayscale(tmp_path):
    Image.fromarray(np.array([[0, 51], [102, 255]], dtype=np.uint8), mode="L").save(
        tmp_path / "g.png"
    )
    t = load_image(tmp_path / "g.png")
    _check(t, 2, 2)
    assert torch.allclose(t[0, :, 0, 1], torch.full((3,), 0.2))


def test_palette_with_transparency(tmp_path):
    img = Image.new("P", (3, 1))
    img.putpalette([0, 0, 255, 255, 0, 0] + [0] * 762)
    img.putdata([0, 1, 0])
    img.info["transparency"] = 0  # index 0 (blue) is transparent
    img.save(tmp_path / "p.png", transparency=0)
    t = load_image(tmp_path / "p.png")
    assert torch.allclose(t[0, :, 0, 0], torch.ones(3))  # transparent -> white
    assert torch.allclose(t[0, :, 0, 1], torch.tensor([1.0, 0.0, 0.0]))


def test_cmyk(tmp_path):
    img = Image.new("CMYK", (2, 2), (0, 255, 255, 0))  # pure red in CMYK
    img.save(tmp_path / "c.jpg", quality=100)
    t = load_image(tmp_path / "c.jpg")
    _check(t, 2, 2)
    assert t[0, 0].mean() > 0.9 and t[0, 1].mean() < 0.1 and t[0, 2].mean() < 0.1


def test_16_bit(tmp_path):
    arr = np.array([[0, 32768], [65535, 1000]], dtype=np.uint16)
    Image.fromarray(arr).save(tmp_path / "d.png")
    with Image.open(tmp_path / "d.png") as check:
        assert check.mode.startswith("I")
    t = load_image(tmp_path / "d.png")
    _check(t, 2, 2)
    assert t[0, 0, 0, 1].item() == pytest.approx(32768 / 65535, abs=1e-4)
    assert t[0, 0, 1, 0].item() == pytest.approx(1.0)


def test_exif_orientation(tmp_path):
    arr = np.zeros((2, 4, 3), dtype=np.uint8)  # 2 high, 4 wide
    arr[0, 0] = 255
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    img.save(tmp_path / "e.jpg", exif=exif, quality=100)
    t = load_image(tmp_path / "e.jpg")
    assert t.shape == (1, 3, 4, 2)  # displayed upright: 4 high, 2 wide


def test_resize_long_side(tmp_path):
    Image.new("RGB", (40, 20), "white").save(tmp_path / "w.png")
    assert load_image(tmp_path / "w.png", size=10).shape == (1, 3, 5, 10)
    with pytest.raises(ValueError, match="size must be a positive"):
        load_image(tmp_path / "w.png", size=0)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"image file '.*nope\.png' does not exist"):
        load_image(tmp_path / "nope.png")


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"image file '.*empty\.png' is empty"):
        load_image(tmp_path / "empty.png")


def test_not_an_image(tmp_path):
    (tmp_path / "notes.jpg").write_text("these are words, not pixels")
    with pytest.raises(ValueError, match=r"'.*notes\.jpg' is not an image file"):
        load_image(tmp_path / "notes.jpg")


def test_truncated_image(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        tmp_path / "full.png"
    )
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"'.*cut\.png' cannot be read"):
        load_image(tmp_path / "cut.png")


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        load_image(tmp_path)


def test_save_refuses_to_overwrite_and_missing_folder(tmp_path):
    img = torch.rand(1, 3, 4, 4)
    save_image(img, tmp_path / "x.png")
    with pytest.raises(OutputExistsError, match="already exists"):
        save_image(img, tmp_path / "x.png")
    save_image(img, tmp_path / "x.png", overwrite=True)
    with pytest.raises(FileNotFoundError, match="output directory"):
        save_image(img, tmp_path / "no" / "x.png")
    with pytest.raises(ValueError, match="no image extension"):
        save_image(img, tmp_path / "x.txt")


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_samples_work_offline_and_are_deterministic(name):
    a = sample_image(name, size=48)
    assert a.shape[:2] == (1, 3) and max(a.shape[-2:]) == 48
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0
    assert float(a.std()) > 0.03  # not a blank (the grey textures are fine-grained at 48 px)
    assert torch.equal(a, sample_image(name, size=48))


def test_unknown_sample_and_image_or_sample(tmp_path):
    with pytest.raises(ValueError, match="unknown sample image 'monet'"):
        sample_image("monet")
    assert image_or_sample("swirls", size=16).shape == (1, 3, 16, 16)
    with pytest.raises(FileNotFoundError, match="neither a file nor a sample name"):
        image_or_sample("monet")


def test_save_does_not_replace_a_file_that_appears_while_encoding(tmp_path, monkeypatch):
    """Without overwrite, a file created between the check and the final rename is kept."""
    out = tmp_path / "o.png"
    original = Image.Image.save

    def racing(self, fp, format=None, **params):
        original(self, fp, format=format, **params)
        if not isinstance(fp, io.BytesIO):
            out.write_bytes(b"another process's picture")

    monkeypatch.setattr(Image.Image, "save", racing)
    with pytest.raises(OutputExistsError, match="appeared while"):
        save_image(torch.rand(1, 3, 4, 4), out)
    assert out.read_bytes() == b"another process's picture"
    assert [p.name for p in tmp_path.iterdir()] == ["o.png"]
    monkeypatch.setattr(Image.Image, "save", original)
    save_image(torch.rand(1, 3, 4, 4), out, overwrite=True)
    assert out.read_bytes().startswith(b"\x89PNG")


def test_transparent_image_is_decoded_at_reduced_size(tmp_path, monkeypatch):
    """An RGBA PNG is composited on white, then reduced: not converted to a full-size tensor
    (a 40 MP RGBA file cost 2 GB, against 0.7 GB for the RGB one); the picture is the same."""
    from nst_teach import images

    y, x = np.mgrid[0:300, 0:400]
    rgba = np.stack([x * 255 // 400, y * 255 // 300, 0 * x + 90, (x + y) * 255 // 700], -1)
    path = tmp_path / "a.png"
    Image.fromarray(rgba.astype(np.uint8), "RGBA").save(path)
    full = load_image(path)
    seen = []
    real = images.image_to_tensor
    monkeypatch.setattr(
        images, "image_to_tensor", lambda img, *a: seen.append(img.size) or real(img, *a)
    )
    small = load_image(path, size=40)
    assert seen == [(40, 30)] and small.shape == (1, 3, 30, 40)  # reduced 10x before the tensor
    assert torch.allclose(small, images.resize_long_side(full, 40), atol=2.5 / 255)


def test_an_animation_says_that_its_first_frame_is_used(tmp_path):
    from nst_teach.images import MultiFrameWarning

    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.warns(MultiFrameWarning, match=r"anim.gif' holds 2 frames.*first"):
        t = load_image(path)
    assert float(t[0, 0].mean()) > 0.9


@pytest.mark.parametrize("failure", [OSError("No space left on device"), KeyboardInterrupt()])
def test_failed_save_leaves_old_file(tmp_path, monkeypatch, failure):
    """A save that fails half-way (full disk, Ctrl-C) leaves the old file as it was."""
    out = tmp_path / "o.png"
    out.write_bytes(b"precious")
    original = Image.Image.save

    def half_then_fail(self, fp, format=None, **params):
        if isinstance(fp, io.BytesIO):  # a trial encode in memory
            return original(self, fp, format=format, **params)
        with open(fp, "wb") as f:
            f.write(b"\x89PNG half")
        raise failure

    monkeypatch.setattr(Image.Image, "save", half_then_fail)
    with pytest.raises(type(failure)):
        save_image(torch.rand(1, 3, 4, 4), out, overwrite=True)
    assert out.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["o.png"]  # no temporary file left


def test_save_replaces_and_keeps_permissions(tmp_path):
    """A successful overwrite replaces the file whole and keeps its permission bits."""
    out = tmp_path / "o.png"
    out.write_bytes(b"old")
    out.chmod(0o640)
    img = torch.rand(1, 3, 5, 7)
    save_image(img, out, overwrite=True)
    assert (out.stat().st_mode & 0o777) == 0o640
    assert torch.allclose(load_image(out), img, atol=1 / 255)
    fresh = save_image(img, tmp_path / "new.jpg")
    umask = os.umask(0)
    os.umask(umask)
    assert (fresh.stat().st_mode & 0o777) == 0o666 & ~umask
