"""The on-disk cache of stylize results: a hit does not run, the key sees every argument."""

from __future__ import annotations

import os
from pathlib import Path

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


# What a callable's key sees: code, closure cells, globals, defaults, partials, bound methods


def _make(target):
    return lambda x: {"total": ((x - target) ** 2).sum()}


START = torch.full((1, 3, 4, 4), 0.5)


def _key(fn):
    return cache.optimize_key(fn, START, steps=3)


def test_closures_over_other_values_get_other_results(tmp_path):
    zero = cache.cached_optimize(_make(0.0), START, steps=5, cache_dir=tmp_path)
    one = cache.cached_optimize(_make(1.0), START, steps=5, cache_dir=tmp_path)
    assert float(zero.image.mean()) < 0.1 and float(one.image.mean()) > 0.9
    assert _key(_make(0.0)) == _key(_make(0.0))


def test_key_sees_code_partials_methods_and_globals():
    import functools

    namespace: dict = {}
    exec("f = lambda x: {'total': (x ** 2).sum()}", namespace)
    first = _key(namespace["f"])
    exec("f = lambda x: {'total': ((x - 1) ** 2).sum()}", namespace)  # redefined, same name
    assert _key(namespace["f"]) != first

    def loss(x, target, scale=1.0):
        return {"total": scale * ((x - target) ** 2).sum()}

    partials = {_key(functools.partial(loss, target=t)) for t in (0.0, 1.0)}
    assert len(partials) == 2

    class Objective:
        def __init__(self, target):
            self.target = target

        def loss(self, x):
            return {"total": ((x - self.target) ** 2).sum()}

    assert _key(Objective(0.0).loss) != _key(Objective(1.0).loss)

    namespace = {"TARGET": 0.0}
    exec("def g(x):\n    return {'total': ((x - TARGET) ** 2).sum()}", namespace)
    before = _key(namespace["g"])
    namespace["TARGET"] = 1.0
    assert _key(namespace["g"]) != before

    def with_default(x, target=0.0):
        return {"total": ((x - target) ** 2).sum()}

    other = with_default
    before = _key(other)
    other.__defaults__ = (1.0,)
    assert _key(other) != before


def test_key_sees_an_edited_class_body_and_private_attributes():
    bodies = [
        "class Obj(torch.nn.Module):\n    def forward(self, x):\n"
        f"        return {{'total': ((x - {t}) ** 2).sum()}}\n"
        for t in (0.0, 1.0)
    ]
    keys = set()
    for body in bodies:
        namespace = {"torch": torch, "__name__": "__main__"}
        exec(body, namespace)
        keys.add(_key(namespace["Obj"]()))
    assert len(keys) == 2

    class Hidden(torch.nn.Module):
        def __init__(self, target):
            super().__init__()
            self._target = target

        def forward(self, x):
            return {"total": ((x - self._target) ** 2).sum()}

    assert _key(Hidden(torch.zeros(3))) != _key(Hidden(torch.ones(3)))


def test_key_sees_the_middle_of_a_large_array():
    import numpy as np

    a = np.zeros(5000)
    b = a.copy()
    b[2500] = 1.0
    assert _key(_make(a)) != _key(_make(b))


def test_what_cannot_be_keyed_is_run_without_the_cache(tmp_path, capsys):
    import threading

    lock = threading.Lock()

    def locked(x):
        with lock:
            return {"total": (x**2).sum()}

    run = cache.cached_optimize(locked, START, steps=3, progress=False, cache_dir=tmp_path)
    assert run.evals == 3 and not list(tmp_path.iterdir())
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not cached" in err and "lock" in err


# What is read is checked; what is written is whole; old versions go


def test_wrong_content_under_the_right_key_is_not_returned(tmp_path, images, counted):
    first = cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    (path,) = tmp_path.glob("stylize-*.pt")
    data = torch.load(path, weights_only=True)
    torch.save({**data, "image": torch.rand(1, 3, 4, 4)}, path)  # well-formed, wrong size
    again = cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    assert len(counted) == 2 and again.image.shape == first.image.shape == (1, 3, 24, 24)
    torch.save({**data, "history": "nonsense"}, path)
    cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    assert len(counted) == 3


@pytest.mark.parametrize(
    "failure", [RuntimeError("PytorchStreamWriter failed"), OSError(28, "full")]
)
def test_failed_write_leaves_no_temporary_file(tmp_path, images, monkeypatch, failure):
    def half_then_fail(obj, f, *args, **kwargs):
        if isinstance(f, str | os.PathLike):
            Path(f).write_bytes(b"half a file")
        else:
            f.write(b"half a file")
        raise failure

    monkeypatch.setattr(cache.torch, "save", half_then_fail)
    result = cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    assert result.evals == 3
    assert list(tmp_path.iterdir()) == []


def test_files_of_other_code_versions_are_evicted(tmp_path, images):
    old = tmp_path / f"stylize-{'0' * 64}.pt"  # the name of the first version
    older = tmp_path / f"stylize-000000000000-{'1' * 64}.pt"
    old.write_bytes(b"x")
    older.write_bytes(b"y")
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    cache.cached_stylize(*images, cache_dir=tmp_path, **KW)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and "notes.txt" in names
    assert not old.exists() and not older.exists()


def test_file_inputs_are_keyed_by_their_bytes_without_decoding(tmp_path, monkeypatch):
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), (10, 20, 30)).save(photo)
    monkeypatch.setattr(cache, "image_or_sample", lambda *a: pytest.fail("decoded for the key"))
    before = cache.stylize_key(photo, photo, **KW)
    Image.new("RGB", (40, 30), (10, 20, 31)).save(photo)
    assert cache.stylize_key(photo, photo, **KW) != before


# A class: two kernels at once on one cache folder and one shared TORCH_HOME

CLASS_RUN = """
import json, os, sys, tempfile
from pathlib import Path
import torch
from nst_teach import StyleObjective, VGG19Features, atomic, cache, weights

torch_home = Path(os.environ["TORCH_HOME"]).resolve()
if sys.argv[1] == "read-only":  # the second student cannot write the instructor's TORCH_HOME
    real_mkstemp, real_mkdir = tempfile.mkstemp, Path.mkdir

    def refuse(path):
        if Path(path).resolve().is_relative_to(torch_home):
            raise PermissionError(13, "Permission denied", str(path))

    def mkstemp(*args, dir=None, **kwargs):
        refuse(dir)
        return real_mkstemp(*args, dir=dir, **kwargs)

    def mkdir(self, *args, **kwargs):
        refuse(self)
        return real_mkdir(self, *args, **kwargs)

    atomic.tempfile.mkstemp = mkstemp
    Path.mkdir = mkdir
weights.IMAGENET_SHA256 = sys.argv[2]
"""
CLASS_BODY = """
g = torch.Generator().manual_seed(0)
c, s = torch.rand(1, 3, 32, 32, generator=g), torch.rand(1, 3, 32, 32, generator=g)
vgg = VGG19Features(["relu1_1", "relu2_1"], weights="imagenet", normalize=True)
objective = StyleObjective(vgg, c, s, content_layers=["relu2_1"], style_layers=["relu1_1"])
run = cache.cached_optimize(objective, c, steps=5, progress=False)
report = {"source": vgg.weights_source, "sum": float(run.image.double().sum()), "evals": run.evals}
"""


def test_two_students_at_once_on_one_cache_and_a_shared_torch_home(tmp_path, monkeypatch):
    """Two kernels run one cached optimisation at once: one may write the shared TORCH_HOME
    (the normalisation means), the other may not (simulated: its writes there are refused);
    both use the shared ImageNet file, both get the uncached result, nothing partial stays."""
    import json
    import subprocess
    import sys

    from nst_teach import weights
    from nst_teach.vgg import LAYER_INDEX, build_vgg19_features

    torch_home = tmp_path / "torch"
    checkpoints = torch_home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.manual_seed(7)
    feats = build_vgg19_features(LAYER_INDEX["relu2_1"] + 1)
    path = checkpoints / weights.IMAGENET_FILENAME
    torch.save({f"features.{k}": v for k, v in feats.state_dict().items()}, path)
    path.chmod(0o644)
    digest = weights.sha256_of(path)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "TORCH_HOME": str(torch_home),
        "NST_TEACH_CACHE_DIR": str(tmp_path / "cache"),
        "NST_TEACH_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    env.pop("NST_TEACH_CACHE", None)

    def start(mode):
        script = CLASS_RUN + CLASS_BODY + "print(json.dumps(report))"
        return subprocess.Popen(
            [sys.executable, "-c", script, mode, digest],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    students = [start("writable"), start("read-only")]
    reports = []
    for proc in students:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    from nst_teach import StyleObjective, VGG19Features, normalize

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "elsewhere"))  # nothing shared: computed
    monkeypatch.setenv("NST_TEACH_CACHE", "0")
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.setattr(weights, "IMAGENET_SHA256", digest)
    monkeypatch.setattr(weights, "imagenet_weights_path", lambda: path)
    normalize.clear_memory_cache()
    namespace = {"torch": torch, "cache": cache, "VGG19Features": VGG19Features}
    namespace["StyleObjective"] = StyleObjective
    exec(CLASS_BODY, namespace)
    want = namespace["report"]
    normalize.clear_memory_cache()
    for report in reports:
        assert report["source"].startswith("imagenet") and "normalised" in report["source"]
        assert report["evals"] == 5
        assert report["sum"] == pytest.approx(want["sum"], rel=1e-5)
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith((".tmp", ".partial"))]
    assert leftovers == []
    assert len(list((tmp_path / "cache").glob("optimize-*.pt"))) == 1
