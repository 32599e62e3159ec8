"""The on-disk cache of stylize results: a hit does not run, the key sees every argument."""

from __future__ import annotations

import pytest
import torch

from nst_teach.lab import cache

KW = {
    "size": 24,
    "steps": 3,
    "weights": "random",
    "style_layers": ["conv1_1"],
    "content_layers": ["conv1_2"],
    "progress": False,
}


@pytest.fixture()
def images():
    g = torch.Generator().manual_seed(0)
    return torch.rand(1, 3, 24, 24, generator=g), torch.rand(1, 3, 24, 24, generator=g)


@pytest.fixture()
def counted(monkeypatch):
    calls = []
    real = cache.stylize

    def stylize(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "stylize", stylize)
    return calls


def test_second_call_is_read_from_disk(tmp_path, images, counted):
    first = cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    again = cache.cached_stylize(*images, cache_dir=tmp_path, **{**KW, "progress": True})
    assert len(counted) == 1  # progress is not part of the key
    assert torch.equal(first.image, again.image)
    assert again.history == first.history and again.evals == first.evals == 3
    assert again.settings == first.settings and again.weights == first.weights
    assert len(list(tmp_path.glob("stylize-*.pt"))) == 1


def test_key_changes_with_each_argument_and_the_pixels(images):
    c, s = images
    base = cache.stylize_key(c, s, **KW)
    assert base == cache.stylize_key(c.clone(), s.clone(), **KW)
    changed = [
        cache.stylize_key(c, s, **{**KW, "steps": 4}),
        cache.stylize_key(c, s, **{**KW, "beta": 1e5}),
        cache.stylize_key(c, s, **{**KW, "style_layers": ["conv2_1"]}),
        cache.stylize_key(c, s, **KW, seed=1),
        cache.stylize_key(s, c, **KW),
        cache.stylize_key(c.clone().index_put_((torch.tensor(0),) * 4, torch.tensor(0.5)), s, **KW),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_damaged_file_or_disabled_cache_runs_again(tmp_path, images, counted, monkeypatch):
    cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    (path,) = tmp_path.glob("stylize-*.pt")
    path.write_bytes(b"not a torch file")
    result = cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    assert len(counted) == 2 and result.evals == 3
    monkeypatch.setenv("NST_TEACH_CACHE", "0")
    cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    assert len(counted) == 3


def test_callback_runs_are_not_cached(tmp_path, images, counted):
    seen = []
    for _ in range(2):
        cache.cached_stylize(
            *images, cache_dir=tmp_path, callback=lambda *a: seen.append(a[0]), **KW
        )
    assert len(counted) == 2 and len(seen) == 6
    assert not list(tmp_path.glob("stylize-*.pt"))


def test_default_folder_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NST_TEACH_CACHE_DIR", str(tmp_path / "here"))
    assert cache.results_dir() == tmp_path / "here"


def test_cached_optimize_keys_on_the_objective_state(tmp_path, images, monkeypatch):
    from nst_teach import StyleObjective, VGG19Features
    from nst_teach.extras.spatial import MaskedStyleObjective, StyleRegion, half_mask

    calls = []
    real = cache.optimize_pixels
    monkeypatch.setattr(cache, "optimize_pixels", lambda *a, **k: calls.append(k) or real(*a, **k))
    c, s = images
    vgg = VGG19Features(["conv1_1", "conv1_2"], weights="random")
    kw = {
        "content_layers": ["conv1_2"],
        "style_layers": ["conv1_1"],
        "beta": 1e3,
    }  # the old default
    other = VGG19Features(["conv1_1", "conv1_2"], weights="random")
    with torch.no_grad():
        next(other.parameters()).mul_(1.01)  # other weights, same layers
    first = cache.cached_optimize(StyleObjective(vgg, c, s, **kw), c, steps=3, cache_dir=tmp_path)
    again = cache.cached_optimize(StyleObjective(vgg, c, s, **kw), c, steps=3, cache_dir=tmp_path)
    assert len(calls) == 1 and torch.equal(first.image, again.image) and again.evals == 3
    keys = {
        cache.optimize_key(StyleObjective(vgg, c, s, **kw), c, steps=3),
        cache.optimize_key(StyleObjective(vgg, c, s, **{**kw, "beta": 2.0}), c, steps=3),
        cache.optimize_key(StyleObjective(vgg, c, c, **kw), c, steps=3),
        cache.optimize_key(StyleObjective(vgg, c, s, **kw), s, steps=3),
        cache.optimize_key(StyleObjective(vgg, c, s, **kw), c, steps=4),
        cache.optimize_key(StyleObjective(other, c, s, **kw), c, steps=3),
    }
    assert len(keys) == 6
    grams = StyleObjective(vgg, c, s, **kw).style_grams
    masks = [half_mask(24, 24, side) for side in ("left", "right")]
    masked = {
        cache.optimize_key(MaskedStyleObjective(vgg, c, [StyleRegion(m, grams)], **kw), c, steps=3)
        for m in masks
    }
    assert len(masked) == 2


def test_key_follows_the_package_code(images, monkeypatch):
    c, s = images
    before = cache.stylize_key(c, s, **KW)
    monkeypatch.setattr(cache, "code_digest", lambda: "another version of the code")
    assert cache.stylize_key(c, s, **KW) != before


def test_cached_stylize_frames_reads_the_second_run(tmp_path, monkeypatch):
    from nst_teach import VGG19Features
    from nst_teach.extras import video

    calls = []
    real = video.stylize_frames
    monkeypatch.setattr(video, "stylize_frames", lambda *a, **k: calls.append(k) or real(*a, **k))
    g = torch.Generator().manual_seed(0)
    photo = torch.rand(1, 3, 20, 26, generator=g)
    frames = video.pan_frames(photo, 2, shift=(0, 2))
    vgg = VGG19Features(["conv1_1", "conv1_2"], weights="random")
    kw = dict(
        shift=(0, 2),
        steps=2,
        method="warm",
        content_layers=["conv1_2"],
        style_layers=["conv1_1"],
        beta=1e3,  # the default before DEFAULT_BETA
    )
    first = cache.cached_stylize_frames(frames, frames[0], vgg, cache_dir=tmp_path, **kw)
    again = cache.cached_stylize_frames(frames, frames[0], vgg, cache_dir=tmp_path, **kw)
    assert len(calls) == 1 and again.method == "warm" and len(again.runs) == len(first.runs)
    assert all(torch.equal(a, b) for a, b in zip(first.frames, again.frames, strict=True))
    assert again.runs[0].history == first.runs[0].history and again.seconds == first.seconds
    cache.cached_stylize_frames(frames, frames[0], vgg, cache_dir=tmp_path, **{**kw, "steps": 3})
    assert len(calls) == 2
