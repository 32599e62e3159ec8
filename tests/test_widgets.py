"""Widgets: the callbacks are plain methods, so setting a control or calling them changes the
output without a browser."""

from __future__ import annotations

import datetime
import io

import pytest
import torch
from PIL import Image

from nst_teach.lab.widgets import (
    FeatureMapBrowser,
    LiveImage,
    StyleExplorer,
    feature_map_image,
    png_bytes,
)


def _png_size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_png_bytes_scales_with_nearest_pixels() -> None:
    img = torch.zeros(1, 3, 2, 3)
    img[0, 0, 0, 0] = 1.0
    data = png_bytes(img, scale=4)
    assert _png_size(data) == (12, 8)
    arr = Image.open(io.BytesIO(data)).convert("RGB")
    assert arr.getpixel((3, 3)) == (255, 0, 0) and arr.getpixel((4, 4)) == (0, 0, 0)


def test_feature_map_image_scales_to_unit_range() -> None:
    act = torch.randn(1, 4, 5, 5)
    m = feature_map_image(act, 2)
    assert m.shape == (1, 1, 5, 5)
    assert float(m.min()) == 0.0 and float(m.max()) == pytest.approx(1.0)
    assert torch.equal(feature_map_image(torch.ones(1, 2, 3, 3), 1), torch.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="out of range"):
        feature_map_image(act, 4)


def test_live_image_updates_every_k_evaluations() -> None:
    live = LiveImage(every=3)
    for evals in range(1, 8):
        live(evals, torch.rand(1, 3, 8, 8), {"total": 1.0 / evals})
    assert [e for e, _ in live.snapshots] == [1, 3, 6]
    assert live.frames == 3 and "evaluation 6" in live.label.value
    assert _png_size(live.image.value)[0] >= 8
    with pytest.raises(ValueError):
        LiveImage(every=0)


@pytest.fixture(scope="module")
def explorer() -> StyleExplorer:
    return StyleExplorer(size=32, steps=3, weights="random")


def test_explorer_preview_follows_dropdowns(explorer: StyleExplorer) -> None:
    before = explorer.preview.value
    explorer.style.value = "mosaic"  # the observer redraws the preview
    assert explorer.preview.value != before
    explorer.style.value = "swirls"
    assert explorer.preview.value == before


def test_explorer_settings_follow_controls(explorer: StyleExplorer) -> None:
    explorer.layer_boxes["relu5_1"].value = False
    explorer.beta.value = 1e4
    s = explorer.settings()
    assert s["style_layers"] == ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    assert s["beta"] == pytest.approx(1e4) and s["steps"] == 3 and s["size"] == 32
    explorer.layer_boxes["relu5_1"].value = True


def test_explorer_run_draws_result_and_curves(explorer: StyleExplorer) -> None:
    assert explorer.result_image.value == b""
    explorer.run_button.click()  # what the Run button does
    assert explorer.runs == 1 and explorer.result is not None
    first_result, first_curves = explorer.result_image.value, explorer.loss_image.value
    assert first_result and first_curves
    assert "run 1" in explorer.status.value
    explorer.style.value = "stripes"
    explorer.run()
    assert explorer.runs == 2
    assert explorer.result_image.value != first_result
    assert explorer.loss_image.value != first_curves
    assert len(explorer.past) == 2


def test_explorer_refuses_no_layers(explorer: StyleExplorer) -> None:
    for box in explorer.layer_boxes.values():
        box.value = False
    assert explorer.run() is None
    assert "at least one" in explorer.status.value
    for box in explorer.layer_boxes.values():
        box.value = True


def test_feature_browser_sliders() -> None:
    browser = FeatureMapBrowser(size=32, layers=("conv1_1", "conv2_1"), weights="random")
    first = browser.view.value
    assert browser.channel.max == 63
    browser.channel.value = 5
    assert browser.view.value != first
    browser.layer.value = "conv2_1"
    assert browser.channel.max == 127 and "conv2_1" in browser.info.value
    browser.channel.value = 100
    browser.layer.value = "conv1_1"  # the channel is pulled back into range
    assert browser.channel.value <= 63
    before = browser.view.value
    browser.image_choice.value = "mosaic"
    assert browser.view.value != before


def _upload(name: str, data: bytes) -> tuple[dict, ...]:
    """What ipywidgets 8's FileUpload holds after a student picks a file."""
    return (
        {
            "name": name,
            "type": "image/png",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        },
    )


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="png")
    return buf.getvalue()


def test_explorer_takes_the_students_photo_and_saves_results(tmp_path) -> None:
    explorer = StyleExplorer(size=32, steps=2, weights="random", save_dir=tmp_path / "out")
    assert explorer.save() is None and "Nothing to save" in explorer.status.value
    assert explorer.save_button.disabled
    before = explorer.preview.value
    explorer.upload.value = _upload("me.png", _png(40, 20, (200, 30, 30)))  # as the browser does
    assert explorer.content.value == "your photo"
    assert explorer.own_photo is not None and tuple(explorer.own_photo.shape) == (1, 3, 20, 40)
    assert explorer.preview.value != before and "me.png (40x20)" in explorer.status.value
    result = explorer.run()
    assert result is not None and tuple(result.image.shape) == (1, 3, 16, 32)  # size 32
    assert float(result.image[0, 0].mean()) > float(result.image[0, 1].mean())  # still red
    assert not explorer.save_button.disabled
    explorer.save_button.click()
    first = tmp_path / "out" / "nst-result-1.png"
    assert explorer.saved == [first] and Image.open(first).size == (32, 16)
    first_bytes = first.read_bytes()
    second = explorer.save()  # never overwrites
    assert second == tmp_path / "out" / "nst-result-2.png" and first.read_bytes() == first_bytes
    assert f"Saved {second}" in explorer.status.value
    explorer.content.value = "hopper"  # the samples stay available
    assert explorer.content_image() == "hopper"


def test_explorer_says_when_an_upload_is_not_an_image(tmp_path) -> None:
    explorer = StyleExplorer(size=32, steps=2, weights="random", save_dir=tmp_path)
    explorer.upload.value = _upload("notes.txt", b"not an image")
    assert explorer.own_photo is None and explorer.content.value == "hopper"
    assert "Cannot use notes.txt" in explorer.status.value


def test_explorer_beta_is_automatic_until_the_slider_moves(tmp_path) -> None:
    fresh = StyleExplorer(size=32, steps=2, weights="random", save_dir=tmp_path)
    assert fresh.beta_auto.value and fresh.settings()["beta"] is None
    result = fresh.run()
    assert result is not None and result.settings["calibrated"]
    assert fresh.beta.value == pytest.approx(float(result.settings["beta"]), rel=1e-6) or (
        not 1 <= float(result.settings["beta"]) <= 1e10  # outside the slider's range
    )
    assert fresh.beta_auto.value  # showing the beta used does not switch auto off
    fresh.beta.value = 1e5
    assert not fresh.beta_auto.value and fresh.settings()["beta"] == pytest.approx(1e5)


@pytest.mark.parametrize("name", ["..", "/", "a/../../b.png", ""])
def test_explorer_takes_an_upload_whatever_its_name(tmp_path, name) -> None:
    explorer = StyleExplorer(size=32, steps=2, weights="random", save_dir=tmp_path)
    explorer.upload.value = _upload(name, _png(12, 10, (0, 200, 0)))
    assert explorer.own_photo is not None and tuple(explorer.own_photo.shape) == (1, 3, 10, 12)
    assert list(tmp_path.iterdir()) == []


def test_explorer_status_shows_an_upload_name_as_text(tmp_path) -> None:
    explorer = StyleExplorer(size=32, steps=2, weights="random", save_dir=tmp_path)
    name = "<img src=x onerror=alert(1)>.png"
    explorer.upload.value = _upload(name, _png(12, 10, (0, 200, 0)))
    assert "<img" not in explorer.status.value
    assert "&lt;img src=x onerror=alert(1)&gt;.png (12x10)" in explorer.status.value
    explorer.upload.value = _upload("<b>bad</b>.txt", b"not an image")
    assert "<b>bad</b>" not in explorer.status.value and "&lt;b&gt;bad" in explorer.status.value
