"""The command line end to end on tiny images, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from nst_teach.cli import main

TINY = ["--size", "32", "--steps", "6", "--weights", "random", "--quiet"]
SHALLOW = ["--style-layers", "conv1_1,conv2_1", "--content-layers", "conv2_1"]


@pytest.fixture
def pics(tmp_path):
    rng = np.random.default_rng(0)
    content = tmp_path / "content.png"
    style = tmp_path / "style.jpg"
    Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(content)
    Image.fromarray(rng.integers(0, 255, (50, 50, 3), dtype=np.uint8)).save(style)
    return content, style


def test_stylize_end_to_end_json(pics, tmp_path, capsys):
    content, style = pics
    out = tmp_path / "out.png"
    code = main(["stylize", str(content), str(style), "-o", str(out), "--json", *TINY, *SHALLOW])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert set(report) == {
        "evals",
        "seconds",
        "seconds_per_eval",
        "start_losses",
        "losses",
        "beta",
        "output",
        "weights",
    }
    assert set(report["start_losses"]) == set(report["losses"])
    # random weights, no --beta: the calibrated loss, whose style term starts at 1
    assert report["start_losses"]["style"] == pytest.approx(1.0, rel=1e-4)
    assert report["losses"]["style"] < report["start_losses"]["style"]
    assert report["evals"] == 6 and report["output"] == str(out)
    assert report["weights"] == "random (seed 0)"
    assert report["seconds_per_eval"] == pytest.approx(report["seconds"] / 6, rel=0.01)
    assert {"content", "style", "total"} <= set(report["losses"])
    with Image.open(out) as img:
        assert img.size == (32, 24)


def test_losses_fall_from_noise(pics, tmp_path, capsys):
    content, _ = pics
    out = str(tmp_path / "n.png")
    args = ["stylize", str(content), "stripes", "-o", out, "--init", "noise", "--json"]
    code = main([*args, *TINY, *SHALLOW, "--steps", "10"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    from nst_teach import stylize

    first = stylize(
        content,
        "stripes",
        size=32,
        steps=1,
        init="noise",
        weights="random",
        style_layers=["conv1_1", "conv2_1"],
        content_layers=["conv2_1"],
        progress=False,
    )
    assert report["losses"]["total"] < first.losses["total"]


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


def test_existing_output_is_not_overwritten(pics, tmp_path, capsys):
    content, style = pics
    out = tmp_path / "keep.png"
    out.write_bytes(b"precious")
    args = ["stylize", str(content), str(style), "-o", str(out), *TINY, *SHALLOW]
    assert main(args) == 2
    assert "already exists; pass --force" in _error(capsys)
    assert out.read_bytes() == b"precious"
    assert main([*args, "--force"]) == 0
    assert out.read_bytes() != b"precious"


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda c, s, t: [str(t / "missing.jpg"), str(s)], "missing.jpg' does not exist"),
        (lambda c, s, t: [str(c), str(t / "empty.png")], "empty.png' is empty"),
        (lambda c, s, t: [str(t / "words.jpg"), str(s)], "words.jpg' is not an image file"),
        (lambda c, s, t: [str(t / "cut.png"), str(s)], "cut.png' cannot be read"),
        (lambda c, s, t: [str(c), str(s), "--size", "8"], "needs at least 16x16"),
        (lambda c, s, t: [str(c), str(s), "--style-layers", "conv1_1,conv7_1"], "conv7_1"),
        (lambda c, s, t: [str(c), str(s), "--beta", "-3"], "beta must be a finite number >= 0"),
        (lambda c, s, t: [str(c), str(s), "--alpha", "nan"], "alpha must be a finite number"),
        (lambda c, s, t: [str(c), str(s), "--steps", "0"], "steps must be a whole number >= 1"),
        (lambda c, s, t: [str(c), str(s), "--layer-weights", "1,x"], "expected numbers"),
    ],
)
def test_bad_input_one_line_exit_2(pics, tmp_path, capsys, make_args, message):
    content, style = pics
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "words.jpg").write_text("not an image")
    data = content.read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    args = make_args(content, style, tmp_path)
    extra = [] if "--size" in args else ["--size", "32"]
    defaults = ["--steps", "2", "--weights", "random", "--quiet"]
    # the case's own options come last, so they override the defaults
    code = main(["stylize", "-o", str(tmp_path / "o.png"), *defaults, *extra, *args])
    assert code == 2
    err = _error(capsys)
    assert err.startswith("nst-teach: error: ")
    assert message in err
    assert not (tmp_path / "o.png").exists()


def test_unknown_layer_message_lists_valid_layers(pics, tmp_path, capsys):
    content, style = pics
    args = ["stylize", str(content), str(style), "-o", str(tmp_path / "o.png"), *TINY]
    assert main([*args, "--content-layers", "conv4_9"]) == 2
    err = _error(capsys)
    assert "unknown content layer 'conv4_9'; valid layers are conv1_1, relu1_1" in err


def test_output_directory_must_exist(pics, tmp_path, capsys):
    content, style = pics
    code = main(["stylize", str(content), str(style), "-o", str(tmp_path / "no/o.png"), *TINY])
    assert code == 2
    assert "output directory" in _error(capsys)


def test_non_finite_loss_keeps_last_image(pics, tmp_path, capsys, monkeypatch):
    from nst_teach.objective import StyleObjective

    real = StyleObjective.__call__
    calls = []

    def turns_infinite(self, image):  # finite for two evaluations, then infinite
        calls.append(1)
        losses = real(self, image)
        if len(calls) > 2:
            losses["total"] = losses["total"] * float("inf")
        return losses

    monkeypatch.setattr(StyleObjective, "__call__", turns_infinite)
    content, style = pics
    out = tmp_path / "o.png"
    code = main(["stylize", str(content), str(style), "-o", str(out), "--json", *TINY])
    assert code == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1
    assert "the loss became inf at evaluation 3" in err and "kept the last finite image" in err
    assert out.exists()
    assert json.loads(captured.out)["evals"] == 2


def test_non_finite_first_loss_writes_nothing(pics, tmp_path, capsys):
    content, style = pics
    out = tmp_path / "o.png"
    code = main(["stylize", str(content), str(style), "-o", str(out), "--beta", "1e300", *TINY])
    assert code == 2
    assert "the loss is inf at the first evaluation" in _error(capsys)
    assert not out.exists()


def test_demo_and_doctor(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--size", "32", "--steps", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "wrote " in out and (tmp_path / "nst_teach_demo.png").exists()
    assert main(["demo", "--size", "32", "--steps", "2", "--quiet"]) == 0
    assert (tmp_path / "nst_teach_demo-1.png").exists()  # the first result is kept
    assert main(["doctor"]) == 0
    report = capsys.readouterr().out
    for key in ("python", "torch", "torchvision", "device", "imagenet weights path"):
        assert key in report


def test_usage_errors_are_one_line():
    proc = subprocess.run(
        [sys.executable, "-m", "nst_teach.cli", "stylize", "a.png"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "the following arguments are required" in proc.stderr


def _stylize_that(monkeypatch, during):
    """Replace the optimisation by a quick one that calls ``during()`` while it runs."""
    import importlib

    from nst_teach.stylize import StyleResult

    module = importlib.import_module("nst_teach.stylize")

    def quick(content, style, **kwargs):
        during()
        return StyleResult(
            image=torch.rand(1, 3, 8, 8), history={"total": [1.0]}, evals=1, seconds=0.1,
            weights="random (seed 0)", stopped_early=None, settings={}, stop_reason=None,
        )  # fmt: skip

    monkeypatch.setattr(module, "stylize", quick)


def test_output_that_appears_during_the_run_is_kept(pics, tmp_path, capsys, monkeypatch):
    content, style = pics
    out = tmp_path / "out.png"
    _stylize_that(monkeypatch, lambda: out.write_bytes(b"a classmate's picture"))
    assert main(["stylize", str(content), str(style), "-o", str(out), *TINY]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "already exists" in err and "--force" in err
    assert out.read_bytes() == b"a classmate's picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content.png", "out.png", "style.jpg"]


def test_two_demos_at_once_keep_both_pictures(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "nst_teach_demo.png"
    _stylize_that(monkeypatch, lambda: other.write_bytes(b"the other demo's picture"))
    assert main(["demo", "--size", "32", "--steps", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "nst_teach_demo-1.png" in out
    assert other.read_bytes() == b"the other demo's picture"
    with Image.open(tmp_path / "nst_teach_demo-1.png") as img:
        assert img.size == (8, 8)


@pytest.mark.parametrize("seed", [str(2**64), "-1", "x"])
def test_seed_out_of_range_is_refused_first(pics, tmp_path, capsys, monkeypatch, seed):
    content, style = pics
    _stylize_that(monkeypatch, lambda: pytest.fail("the run started"))
    code = main(
        ["stylize", str(content), str(style), "-o", str(tmp_path / "o.png"), "--seed", seed]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--seed" in err and "Overflow" not in err


def test_sigterm_during_a_save_leaves_no_temporary_file(pics, tmp_path, capsys, monkeypatch):
    import os
    import signal

    content, style = pics
    out = tmp_path / "out.png"
    _stylize_that(monkeypatch, lambda: None)
    original = Image.Image.save

    def terminated(self, fp, format=None, **params):
        if not isinstance(fp, str | os.PathLike):
            return original(self, fp, format=format, **params)
        with open(fp, "wb") as f:
            f.write(b"half")
        os.kill(os.getpid(), signal.SIGTERM)
        return None

    monkeypatch.setattr(Image.Image, "save", terminated)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["stylize", str(content), str(style), "-o", str(out), *TINY]) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content.png", "style.jpg"]
    assert signal.getsignal(signal.SIGTERM) == before


def test_doctor_does_not_call_an_unreadable_weights_file_cached(tmp_path, capsys, monkeypatch):
    import os

    from nst_teach import weights

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    path = weights.imagenet_weights_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    real = os.access
    monkeypatch.setattr(
        weights.os, "access", lambda p, mode: False if str(p) == str(path) else real(p, mode)
    )  # what a file of mode 0600 owned by the instructor is to a student
    assert main(["doctor"]) == 0
    report = capsys.readouterr().out
    assert any(
        line.startswith("imagenet weights cached") and line.split()[-1] == "no"
        for line in report.splitlines()
    ), report
