"""The command line's promise over many odd inputs, table-driven and property-based:

exit status 2, exactly one line on stderr that names the option or file at fault, no
traceback, refused before the first evaluation, and no file created or changed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from nst_teach.cli import main


@dataclass(frozen=True)
class Fault:
    """One bad thing in an otherwise good command line.

    key: what it changes ("--size", "-o", "content", ...); value: the new value, where
    ``{d}`` stands for the folder of the test files; names: what the error line may name.
    """

    key: str
    value: str
    names: tuple[str, ...]
    force: bool = False


def _opt(option: str, *values: str) -> list[Fault]:
    return [Fault(option, v, (option,)) for v in values]


NUMBERS = ("nan", "-1", "inf", "-inf", "x", "", "1e999")
FAULTS: list[Fault] = [
    *_opt("--size", "0", "-3", "200000", "4097", "1e9", "abc", "inf", "nan", "2.5", ""),
    *_opt("--steps", "0", "-1", "x", "inf", "1.5", ""),
    *_opt("--alpha", *NUMBERS),
    *_opt("--beta", *NUMBERS),
    *_opt("--tv-weight", *NUMBERS),
    *_opt("--lr", "0", "-0.1", "nan", "inf", "x"),
    *_opt("--device", "meta", "cuda:7", "tpu", "cpu:x", "", "cuda:-1", "xla", "cpu:3", "cuda:"),
    *_opt("--style-layers", "", ",", "conv9_9", "conv1_1,bogus", "CONV1_1", "fc6"),
    *_opt("--content-layers", "", "conv4_9", "relu", "conv2_1,x"),
    *_opt("--layer-weights", "1,2,3", "-1,1", "nan,1", "x", "1", "inf,1"),
    *_opt("--init", "photo", ""),
    *_opt("--optimizer", "sgd", ""),
    *_opt("--pooling", "min"),
    *_opt("--seed", "x", "1.5", ""),
    Fault("--weights", "imagnet", ("imagnet",)),
    Fault("--weights", "{d}/missing.pth", ("missing.pth",)),
    Fault("--weights", "{d}/words.pth", ("words.pth",)),
    Fault("--weights", "{d}/folder", ("folder",)),
    Fault("--weights", "{d}/strings.pth", ("strings.pth",)),
    Fault("--weights", "{d}/listed.pth", ("listed.pth",)),
    Fault("--weights", "{d}/wrong.pth", ("wrong.pth",)),
    Fault("--weights", "{d}/content.png", ("content.png",)),
    Fault("-o", "{d}/out.psd", ("out.psd",)),
    Fault("-o", "{d}/out.PSD", ("out.PSD",)),
    Fault("-o", "{d}/out.fli", ("out.fli",)),
    Fault("-o", "{d}/out.xbm", ("out.xbm",)),
    Fault("-o", "{d}/out.txt", ("out.txt",)),
    Fault("-o", "{d}/out", ("out",)),
    Fault("-o", "{d}/.png", (".png",)),
    Fault("-o", "{d}/no/such/dir/o.png", ("no/such/dir",)),
    Fault("-o", "{d}/folder", ("folder",)),
    Fault("-o", "{d}/keep.png", ("keep.png",)),
    Fault("-o", "{d}/dangling.png", ("dangling.png",)),
    Fault("-o", "{d}/content.png", ("content.png",), force=True),
    Fault("-o", "{d}/style.png", ("style.png",), force=True),
    Fault("-o", "/proc/nst-teach-out.png", ("/proc",)),
    Fault("content", "{d}/missing.png", ("missing.png",)),
    Fault("content", "{d}/empty.png", ("empty.png",)),
    Fault("content", "{d}/words.jpg", ("words.jpg",)),
    Fault("content", "{d}/cut.png", ("cut.png",)),
    Fault("content", "{d}/folder", ("folder",)),
    Fault("content", "nosuchsample", ("nosuchsample",)),
    Fault("content", "{d}/tiny.png", ("size",)),
    Fault("style", "{d}/missing.png", ("missing.png",)),
    Fault("style", "{d}/words.jpg", ("words.jpg",)),
    Fault("style", "{d}/cut.png", ("cut.png",)),
    Fault("style", "", ("'.'",)),
]


def _make_files(d: Path) -> None:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(d / "content.png")
    Image.fromarray(rng.integers(0, 255, (50, 50, 3), dtype=np.uint8)).save(d / "style.png")
    Image.new("RGB", (200, 1)).save(d / "tiny.png")  # 32x1 at --size 32: too thin
    (d / "empty.png").write_bytes(b"")
    (d / "words.jpg").write_text("not an image")
    (d / "words.pth").write_text("not a state dict")
    data = (d / "content.png").read_bytes()
    (d / "cut.png").write_bytes(data[: len(data) // 2])
    (d / "folder").mkdir()
    (d / "keep.png").write_bytes(b"precious")
    (d / "dangling.png").symlink_to(d / "nowhere.png")
    torch.save({"features.0.weight": "text", "features.0.bias": torch.zeros(64)}, d / "strings.pth")
    torch.save([torch.zeros(3)], d / "listed.pth")
    torch.save({"foo": torch.zeros(1)}, d / "wrong.pth")


def _snapshot(d: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in sorted(d.rglob("*")):
        rel = str(p.relative_to(d))
        if p.is_symlink():
            out[rel] = ("link", str(p.readlink()))
        elif p.is_file():
            out[rel] = (p.read_bytes(), p.stat().st_mtime_ns)
        else:
            out[rel] = "dir"
    return out


def _argv(d: Path, faults: tuple[Fault, ...]) -> list[str]:
    values = {
        "content": str(d / "content.png"),
        "style": str(d / "style.png"),
        "-o": str(d / "result.png"),
        "--size": "32",
        "--steps": "2",
        "--weights": "random",
        "--style-layers": "conv1_1,conv2_1",
        "--content-layers": "conv2_1",
    }
    force = False
    for fault in faults:
        values[fault.key] = fault.value.replace("{d}", str(d))
        force = force or fault.force
    argv = ["stylize", values.pop("content"), values.pop("style")]
    for option, value in values.items():
        argv.append(f"{option}={value}" if value.startswith("-") else option)
        if not value.startswith("-"):
            argv.append(value)
    return [*argv, "--quiet", *(["--force"] if force else [])]


@pytest.fixture
def files(tmp_path, monkeypatch):
    _make_files(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("the optimisation started before the bad input was refused")

    monkeypatch.setattr(importlib.import_module("nst_teach.stylize"), "optimize_pixels", refuse)
    return tmp_path


def _check(d: Path, faults: tuple[Fault, ...], capsys) -> None:
    before = _snapshot(d)
    argv = _argv(d, faults)
    code = main(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, (argv, err)
    assert err.endswith("\n") and err.count("\n") == 1, (argv, err)
    assert "Traceback" not in err and err.startswith("nst-teach: error: "), (argv, err)
    names = [n.replace("{d}", str(d)) for f in faults for n in f.names]
    assert any(n in err for n in names), (argv, err, names)
    assert captured.out == ""
    assert _snapshot(d) == before, argv


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f"{f.key}={f.value}")
def test_each_bad_input_is_one_line_exit_2_nothing_written(files, capsys, fault):
    _check(files, (fault,), capsys)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.sampled_from(FAULTS), min_size=1, max_size=4, unique_by=lambda f: f.key))
def test_any_combination_of_bad_inputs(files, capsys, faults):
    """Several faults at once: still one line, naming one of them, nothing written."""
    _check(files, tuple(faults), capsys)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--size", "0"], "--size"),
        (["--size", "200000"], "--size"),
        (["--steps", "-2"], "--steps"),
        (["--content", "{d}/missing.png"], "missing.png"),
        (["--style", "{d}/words.jpg"], "words.jpg"),
        (["-o", "{d}/out.psd"], "out.psd"),
        (["-o", "{d}/keep.png"], "keep.png"),
        (["-o", "{d}/content.png", "--content", "{d}/content.png", "--force"], "content.png"),
    ],
)
def test_demo_bad_inputs(files, capsys, args, name):
    d = files
    before = _snapshot(d)
    argv = ["demo", "--quiet", "-o", str(d / "demo.png"), "--size", "32", "--steps", "2"]
    code = main([*argv, *(a.replace("{d}", str(d)) for a in args)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert name in err
    assert _snapshot(d) == before
