"""Issue 10: every numbered defect has a test here that failed before its fix.

Each test's docstring names the item of the issue it covers.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nst_teach.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--size", "32", "--steps", "3", "--weights", "random", "--quiet"]
SHALLOW = ["--style-layers", "conv1_1,conv2_1", "--content-layers", "conv2_1"]
LAYERS = {"style_layers": ["conv1_1", "conv2_1"], "content_layers": ["conv2_1"]}


@pytest.fixture
def pics(tmp_path):
    rng = np.random.default_rng(0)
    content = tmp_path / "content.png"
    style = tmp_path / "style.png"
    Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(content)
    Image.fromarray(rng.integers(0, 255, (50, 50, 3), dtype=np.uint8)).save(style)
    return content, style


@pytest.fixture
def no_evaluation(monkeypatch):
    """Fail the test if the optimisation starts (the error had to come before it)."""

    def refuse(*args, **kwargs):
        pytest.fail("the optimisation started before the bad input was refused")

    # the package re-exports the function stylize under the module's name: take the module
    monkeypatch.setattr(importlib.import_module("nst_teach.stylize"), "optimize_pixels", refuse)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>")
        for p in sorted(folder.rglob("*"))
        if not p.is_symlink()
    } | {str(p.relative_to(folder)): b"<link>" for p in folder.rglob("*") if p.is_symlink()}


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert err.startswith("nst-teach: error: "), err
    return err


def _stylize(content, style, **kwargs):
    from nst_teach import stylize

    options = {"size": 32, "steps": 3, "weights": "random", "progress": False, **LAYERS}
    return stylize(content, style, **{**options, **kwargs})


# 1. channels-last tensors and 1x1 images


def test_item1_channels_last_content_is_optimised():
    """1: a channels-last tensor given to stylize no longer crashes L-BFGS."""
    content = torch.rand(1, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    style = torch.rand(1, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    result = _stylize(content, style)
    assert result.evals == 3 and result.image.is_contiguous()


def test_item1_one_pixel_content_image(tmp_path, capsys):
    """1: a 1x1-pixel content image is scaled up and stylised (library and command line)."""
    result = _stylize(torch.rand(1, 3, 1, 1), "stripes")
    assert result.image.shape == (1, 3, 32, 32) and result.evals == 3
    dot = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(dot)
    out = tmp_path / "o.png"
    assert main(["stylize", str(dot), "stripes", "-o", str(out), *TINY, *SHALLOW]) == 0
    with Image.open(out) as img:
        assert img.size == (32, 32)


# 2. the allocator's settings outlive stylize


ALLOC_LOOP = textwrap.dedent(
    """
    import ctypes, json, resource, torch
    from nst_teach import stylize
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]

    def faults():
        start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(300):
            p = libc.malloc(4 << 20)
            ctypes.memset(p, 1, 4 << 20)
            libc.free(p)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start

    faults()
    before = faults()
    stylize(torch.rand(1, 3, 48, 48), "stripes", size=48, steps=3, weights="random",
            style_layers=["conv1_1", "conv2_1"], content_layers=["conv2_1"], progress=False)
    after = faults()
    print(json.dumps({"before": before, "after": after}))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_item2_allocator_behaves_after_stylize_as_before():
    """2: an allocate/free loop faults in as many pages after stylize as before it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("NST_TEACH_MALLOPT", None)
    proc = subprocess.run(
        [sys.executable, "-c", ALLOC_LOOP], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    # 300 blocks of 4 MiB are 307,200 pages; reused memory faults in a few thousand at most
    assert counts["before"] < 5000, counts
    assert counts["after"] <= counts["before"] + 5000, counts


def test_item2_nesting_counter_is_thread_safe():
    """2: many threads entering and leaving reuse_freed_memory leave the depth at 0."""
    from nst_teach import machine

    lows: list[int] = []
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        for _ in range(200):
            with machine.reuse_freed_memory(), machine.reuse_freed_memory():
                lows.append(machine.ALLOCATOR.depth)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert machine.ALLOCATOR.depth == 0
    assert min(lows) >= 1


# 3. the extractor cache keeps the random fallback


def test_item3_changed_weights_file_is_reloaded(tmp_path):
    """3: a cached extractor is not kept when its weights file has changed."""
    from nst_teach.stylize import get_extractor

    path = tmp_path / "w.pth"
    torch.save({"0.weight": torch.ones(64, 3, 3, 3), "0.bias": torch.zeros(64)}, path)
    first = get_extractor(("conv1_1",), str(path), "max", "cpu")
    torch.save({"0.weight": torch.full((64, 3, 3, 3), 2.0), "0.bias": torch.zeros(64)}, path)
    os.utime(path, ns=(1, 1))  # a different modification time, whatever the clock says
    second = get_extractor(("conv1_1",), str(path), "max", "cpu")
    assert float(first.features[0].weight[0, 0, 0, 0]) == 1.0
    assert float(second.features[0].weight[0, 0, 0, 0]) == 2.0


# 4. tracebacks instead of one line


@pytest.mark.parametrize("name", ["out.psd", "out.fli", "out.ftc", "out.xbm"])
def test_item4_output_format_that_cannot_be_written(pics, tmp_path, capsys, no_evaluation, name):
    """4/5: an extension Pillow reads but cannot write (or not as RGB) is refused at once."""
    content, style = pics
    before = _snapshot(tmp_path)
    code = main(["stylize", str(content), str(style), "-o", str(tmp_path / name), *TINY])
    assert code == 2
    err = _one_line_error(capsys)
    assert name in err
    assert _snapshot(tmp_path) == before


def test_item4_absurd_size(pics, tmp_path, capsys, no_evaluation):
    """4: --size 200000 (400 GB) is refused with the limit named."""
    content, style = pics
    out = tmp_path / "o.png"
    code = main(["stylize", str(content), str(style), "-o", str(out), *TINY, "--size", "200000"])
    assert code == 2
    err = _one_line_error(capsys)
    assert "--size" in err and "200000" in err and "at most" in err
    assert not out.exists()


def test_item4_size_limit_for_the_library():
    """4: the library refuses an absurd size too, naming the limit."""
    from nst_teach.stylize import MAX_SIZE

    with pytest.raises(ValueError, match=f"at most {MAX_SIZE}"):
        _stylize(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), size=200_000)


@pytest.mark.parametrize("device", ["meta", "cuda:7", "tpu", "cpu:x"])
def test_item4_bad_device(pics, tmp_path, capsys, monkeypatch, no_evaluation, device):
    """4: --device meta, a CUDA index that does not exist, and nonsense give one line."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    content, style = pics
    out = tmp_path / "o.png"
    code = main(["stylize", str(content), str(style), "-o", str(out), *TINY, "--device", device])
    assert code == 2
    err = _one_line_error(capsys)
    assert "--device" in err and device in err
    assert not out.exists()


# 5. output problems found only after the run


def _unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere a mode allows nothing; /proc refuses all
        return Path("/proc")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def test_item5_unwritable_folder_refused_first(pics, tmp_path, capsys, no_evaluation):
    """5: an output folder that cannot be written is refused before the first evaluation."""
    content, style = pics
    folder = _unwritable_folder(tmp_path)
    out = folder / "nst_out.png"
    assert main(["stylize", str(content), str(style), "-o", str(out), *TINY]) == 2
    err = _one_line_error(capsys)
    assert str(folder) in err and "cannot be written" in err
    assert not out.exists()


def test_item5_missing_writer_refused_first(pics, tmp_path, capsys, monkeypatch, no_evaluation):
    """5: a format whose writer is not installed (simulated: WebP without libwebp)."""
    Image.init()
    monkeypatch.delitem(Image.SAVE, "WEBP", raising=False)
    content, style = pics
    out = tmp_path / "o.webp"
    assert main(["stylize", str(content), str(style), "-o", str(out), *TINY]) == 2
    err = _one_line_error(capsys)
    assert "o.webp" in err and "cannot write" in err
    assert not out.exists()


def test_item5_writer_that_fails_refused_first(pics, tmp_path, capsys, monkeypatch, no_evaluation):
    """5: a writer present but failing (a codec missing from the build) is found at once."""
    Image.init()

    def broken(im, fp, filename):
        raise OSError("encoder jpeg2k not available")

    monkeypatch.setitem(Image.SAVE, "JPEG2000", broken)
    content, style = pics
    out = tmp_path / "o.jp2"
    assert main(["stylize", str(content), str(style), "-o", str(out), *TINY]) == 2
    err = _one_line_error(capsys)
    assert "o.jp2" in err and "encoder jpeg2k not available" in err
    assert not out.exists()


# 7. a non-finite first loss


def test_item7_non_finite_first_loss_is_an_error(pics, tmp_path, capsys):
    """7: a loss that is not finite at the first evaluation: error, no output, no JSON."""
    content, style = pics
    out = tmp_path / "o.png"
    args = ["stylize", str(content), str(style), "-o", str(out), "--beta", "1e300"]
    assert main([*args, *TINY, *SHALLOW, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "first evaluation" in err and "--beta" in err
    assert not out.exists()


def test_item7_library_raises_with_a_field():
    """7: stylize raises NonFiniteLossError (a ValueError) whose fields say when."""
    from nst_teach.optimize import NonFiniteLossError

    with pytest.raises(NonFiniteLossError) as info:
        _stylize(torch.rand(1, 3, 32, 32), "stripes", beta=1e300)
    assert info.value.evaluation == 1 and not math.isfinite(info.value.value)


def test_item7_later_non_finite_loss_counts_honestly():
    """7: when the loss turns non-finite later, evals counts the finite evaluations."""
    from nst_teach.optimize import STOP_NON_FINITE, NonFiniteLossWarning, optimize_pixels

    calls = 0

    def loss(x):
        nonlocal calls
        calls += 1
        value = (x**2).sum() * (1.0 if calls <= 3 else float("inf"))
        return {"total": value}

    with pytest.warns(NonFiniteLossWarning):
        run = optimize_pixels(
            loss, torch.ones(1, 3, 2, 2), steps=10, optimizer="gd", progress=False
        )
    assert run.evals == 3 and len(run.history["total"]) == 3
    assert run.stop_reason == STOP_NON_FINITE


# 8. demo --force


def test_item8_demo_force(tmp_path, capsys):
    """8: nst-teach demo refuses an existing -o without --force, and has --force."""
    out = tmp_path / "d.png"
    out.write_bytes(b"precious")
    args = ["demo", "-o", str(out), "--size", "32", "--steps", "2", "--quiet"]
    assert main(args) == 2
    assert "--force" in _one_line_error(capsys)
    assert out.read_bytes() == b"precious"
    assert main([*args, "--force"]) == 0
    with Image.open(out) as img:
        assert img.size == (32, 32) or max(img.size) == 32


# 9. large photos


@pytest.fixture(scope="session")
def big_jpeg(tmp_path_factory):
    """A smooth 10000 x 10000 colour JPEG (100 megapixels), written once per session."""
    path = tmp_path_factory.mktemp("big") / "photo100mp.jpg"
    side = 10_000
    ramp = Image.linear_gradient("L").resize((side, side), Image.Resampling.NEAREST)
    rgb = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp))
    del ramp
    rgb.save(path, quality=80)
    return path


MEASURE = textwrap.dedent(
    """
    import json, sys, time, warnings
    from PIL import Image
    from nst_teach.images import load_image

    def vm(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024

    base = vm("VmHWM:")
    limit = Image.MAX_IMAGE_PIXELS
    start = time.perf_counter()
    t = load_image(sys.argv[1], size=int(sys.argv[2]))
    print(json.dumps({"shape": list(t.shape), "base": base, "peak": vm("VmHWM:"),
                      "seconds": time.perf_counter() - start,
                      "limit_kept": Image.MAX_IMAGE_PIXELS == limit}))
    """
)


def _measure_load(path: Path, size: int) -> tuple[dict, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(size)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_item9_100mp_jpeg_within_1gb(big_jpeg):
    """9: a 100 MP JPEG becomes a 256-px tensor within 1 GB of peak memory, without the
    raw DecompressionBombWarning (100 MP is above Pillow's default limit of 89 MP)."""
    report, stderr = _measure_load(big_jpeg, 256)
    assert report["shape"] == [1, 3, 256, 256]
    assert report["peak"] < 1 << 30, report
    assert report["peak"] - report["base"] < 300 << 20, report
    assert report["limit_kept"]
    assert "DecompressionBomb" not in stderr and stderr.strip() == ""


def test_item9_photos_up_to_250mp_accepted(tmp_path):
    """9: a 240 MP photo (above Pillow's error limit of 179 MP) is accepted, no warning."""
    from nst_teach.images import load_image

    path = tmp_path / "photo240mp.jpg"
    Image.new("L", (16_000, 15_000), 90).save(path, quality=50)
    limit = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = load_image(path, size=64)
    assert t.shape == (1, 3, 60, 64)
    assert float(t.mean()) == pytest.approx(90 / 255, abs=0.01)
    assert limit == Image.MAX_IMAGE_PIXELS


def test_item9_too_many_pixels_refused_clearly(tmp_path, monkeypatch):
    """9: above the limit the message says how many megapixels and what the limit is."""
    from nst_teach import images

    monkeypatch.setattr(images, "MAX_MEGAPIXELS", 0.001)
    path = tmp_path / "a.png"
    Image.new("RGB", (40, 40)).save(path)
    with pytest.raises(ValueError, match=r"a.png.*0.0016 megapixels.*at most 0.001"):
        images.load_image(path)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "JPEG"])
def test_item9_reduced_decoding_gives_the_same_picture(tmp_path, fmt):
    """9: decoding at reduced size gives what a full decode and resize gives (to 2/255)."""
    from nst_teach.images import image_to_tensor, load_image, resize_cover, resize_long_side

    y, x = np.mgrid[0:900, 0:1200]
    arr = np.stack([x / 1200, y / 900, (x + y) / 2100], -1) * 255
    path = tmp_path / f"g.{fmt.lower()}"
    Image.fromarray(arr.astype(np.uint8)).save(path, format=fmt, quality=95)
    with Image.open(path) as img:
        full = image_to_tensor(img)
    small = load_image(path, size=100)
    assert small.shape == (1, 3, 75, 100)
    assert torch.allclose(small, resize_long_side(full, 100), atol=2.5 / 255)
    cover = load_image(path, cover=(90, 60))
    assert min(cover.shape[-2] / 90, cover.shape[-1] / 60) >= 1
    assert torch.allclose(resize_cover(cover, 90, 60), resize_cover(full, 90, 60), atol=3.5 / 255)


# 10. smaller ones


def test_item10_check_steps_and_resize_infinite():
    """10: check_steps(inf) and resize_long_side(inf) raise ValueError, not OverflowError."""
    from nst_teach.images import resize_long_side
    from nst_teach.optimize import check_steps

    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError, match="steps"):
            check_steps(bad)
        with pytest.raises(ValueError, match="size"):
            resize_long_side(torch.rand(1, 3, 4, 4), bad)


def test_item10_split_steps_sums_to_steps():
    """10: split_steps(8, (0.92, 0.94, 0.96, 0.98, 1.0)) gives 8 evaluations, not 9."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from nst_teach.multiscale import split_steps

    counts = split_steps(8, (0.92, 0.94, 0.96, 0.98, 1.0))
    assert sum(counts) == 8 and min(counts) >= 1

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(st.floats(0.01, 0.99), min_size=0, max_size=6, unique=True),
        st.integers(0, 2000),
    )
    def check(coarse, extra):
        scales = (*sorted(coarse), 1.0)
        total = len(scales) + extra
        counts = split_steps(total, scales)
        assert sum(counts) == total and min(counts) >= 1

    check()


def test_item10_keep_curves_zero():
    """10: StyleExplorer(keep_curves=0) keeps no past curve."""
    from nst_teach.lab.widgets import StyleExplorer

    explorer = StyleExplorer(size=32, steps=2, weights="random", keep_curves=0)
    explorer.run()
    assert explorer.past == []
    with pytest.raises(ValueError, match="keep_curves"):
        StyleExplorer(size=32, steps=2, weights="random", keep_curves=-1)


def test_item10_fused_style_loss_non_symmetric_target():
    """10: with a non-symmetric target the fused loss's gradient is still autograd's."""
    from nst_teach.fused import fused_style_layer_loss
    from nst_teach.losses import style_layer_loss

    torch.manual_seed(0)
    target = torch.rand(4, 4, dtype=torch.float64)
    assert not torch.allclose(target, target.T)
    f = torch.rand(1, 4, 3, 5, dtype=torch.float64, requires_grad=True)
    (g_fused,) = torch.autograd.grad(fused_style_layer_loss(f, target), f)
    (g_plain,) = torch.autograd.grad(style_layer_loss(f, target), f)
    assert torch.allclose(g_fused, g_plain)
    assert torch.autograd.gradcheck(lambda x: fused_style_layer_loss(x, target), (f,))


@pytest.mark.parametrize(
    ("mode", "colour", "key"),
    [("L", 40, 40), ("RGB", (10, 20, 30), (10, 20, 30)), ("I;16", 1000, 1000)],
)
def test_item10_trns_transparency(tmp_path, mode, colour, key):
    """10: a tRNS transparent colour in greyscale or RGB PNGs is composited on white."""
    from nst_teach.images import load_image

    img = Image.new(mode, (4, 2), colour)
    img.putpixel((0, 0), 0 if mode != "RGB" else (0, 0, 0))
    path = tmp_path / "t.png"
    img.save(path, transparency=key)
    t = load_image(path)
    assert torch.all(t[..., :, 1:] == 1.0)  # the transparent colour shows white
    assert float(t[0, 0, 0, 0]) == 0.0  # the opaque black pixel stays black


def test_item10_mode_i_tiff_with_8bit_values(tmp_path):
    """10: a mode "I" TIFF holding 8-bit values loads at their brightness, not near black."""
    from nst_teach.images import load_image

    arr = np.array([[0, 128, 255]], dtype=np.int32)
    path = tmp_path / "i.tif"
    Image.fromarray(arr, mode="I").save(path)
    with Image.open(path) as check:
        assert check.mode == "I"
    t = load_image(path)
    assert t[0, 0, 0].tolist() == pytest.approx([0.0, 128 / 255, 1.0])
    # 16-bit values stay 16-bit
    Image.fromarray(np.array([[0, 32768, 65535]], dtype=np.int32), mode="I").save(path)
    assert load_image(path)[0, 0, 0].tolist() == pytest.approx([0.0, 32768 / 65535, 1.0])


def test_item10_force_with_input_as_output(pics, tmp_path, capsys, no_evaluation):
    """10: --force with the content or style image as the output is refused."""
    content, style = pics
    before = _snapshot(tmp_path)
    for target in (content, style):
        args = ["stylize", str(content), str(style), "-o", str(target), "--force", *TINY]
        assert main(args) == 2
        err = _one_line_error(capsys)
        assert str(target) in err and "input" in err
    link = tmp_path / "alias.png"
    link.symlink_to(content)
    assert main(["stylize", str(content), str(style), "-o", str(link), "--force", *TINY]) == 2
    _one_line_error(capsys)
    assert {k: v for k, v in _snapshot(tmp_path).items() if k != "alias.png"} == before


def test_item10_dangling_symlink_output(pics, tmp_path, capsys, no_evaluation):
    """10: a dangling symlink as output is refused without --force (nothing written through)."""
    content, style = pics
    link = tmp_path / "o.png"
    target = tmp_path / "elsewhere.png"
    link.symlink_to(target)
    assert main(["stylize", str(content), str(style), "-o", str(link), *TINY]) == 2
    assert "already exists" in _one_line_error(capsys)
    assert not target.exists() and link.is_symlink()


def test_item10_match_color_without_float64(monkeypatch):
    """10: on a device without float64 (simulated: MPS) match_color issues no float64 op."""
    from torch.overrides import TorchFunctionMode

    from nst_teach.extras import color

    seen: list[str] = []

    class NoDouble(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            outs = out if isinstance(out, tuple | list) else (out,)
            if any(isinstance(o, torch.Tensor) and o.dtype == torch.float64 for o in outs):
                seen.append(getattr(func, "__name__", str(func)))
            return out

    has_float64 = color.has_float64
    monkeypatch.setattr(color, "has_float64", lambda device: False)
    torch.manual_seed(0)
    src, tgt = torch.rand(1, 3, 16, 16), 0.5 * torch.rand(1, 3, 8, 8)
    with NoDouble():
        out = color.match_color(src, tgt, eps=0.0, clamp=False)
    assert seen == []
    assert out.dtype == torch.float32
    mu_o, cov_o = color.color_statistics(out)
    mu_t, cov_t = color.color_statistics(tgt)
    assert torch.allclose(mu_o, mu_t, atol=1e-4) and torch.allclose(cov_o, cov_t, atol=1e-4)
    assert has_float64(torch.device("cpu"))
    assert not has_float64(torch.device("mps"))


def test_item10_stylize_fast_synchronises(monkeypatch):
    """10: stylize_fast waits for the device before starting and stopping the clock."""
    from nst_teach.extras import feedforward

    events: list[str] = []
    net = feedforward.TransformNet()
    monkeypatch.setattr(feedforward, "synchronize", lambda device: events.append(f"sync {device}"))
    net.register_forward_hook(lambda *a: events.append("forward"))
    feedforward.stylize_fast(net, torch.rand(1, 3, 16, 16))
    assert events == ["sync cpu", "forward", "sync cpu"]


def test_item10_synchronize_waits_for_cuda(monkeypatch):
    """10: synchronize(cuda) calls torch.cuda.synchronize (simulated without a GPU)."""
    from nst_teach.device import synchronize

    calls: list[object] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(device))
    synchronize(torch.device("cuda", 0))
    synchronize(torch.device("cpu"))
    assert calls == [torch.device("cuda", 0)]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_item10_stylize_fast_times_cuda_work():
    """10: on a GPU the reported time covers the work (it is not just the launch)."""
    from nst_teach.extras import feedforward

    net = feedforward.TransformNet().cuda()
    image = torch.rand(4, 3, 512, 512, device="cuda")
    feedforward.stylize_fast(net, image)
    _, seconds = feedforward.stylize_fast(net, image)
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    net(image)
    end.record()
    torch.cuda.synchronize()
    assert seconds >= 0.5 * start.elapsed_time(end) / 1000


# Code health: Eq. (7) in one place


def test_eq7_adain_honours_tv_and_regions_are_validated():
    """Eq. (7) is assembled once: AdaIN honours the TV weight; region weights are checked."""
    from nst_teach.extras.adain import AdaINObjective
    from nst_teach.extras.spatial import (
        MaskedStyleObjective,
        StyleRegion,
        guided_gram_targets,
        half_mask,
    )
    from nst_teach.losses import total_variation_loss
    from nst_teach.vgg import VGG19Features

    vgg = VGG19Features(["relu1_1", "relu2_1"], weights="random")
    c, s = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    x = torch.rand(1, 3, 16, 16)
    obj = AdaINObjective(vgg, c, s, target_layer="relu2_1", style_layers=["relu1_1"], tv_weight=0.5)
    out = obj(x)
    assert float(out["tv"]) == pytest.approx(float(total_variation_loss(x)))
    expected = out["content"] + 10.0 * out["style"] + 0.5 * out["tv"]
    assert float(out["total"]) == pytest.approx(float(expected))
    grams = guided_gram_targets(vgg, s, ["relu1_1"])
    for bad in (-1.0, float("nan"), "x"):
        with pytest.raises(ValueError, match="region weight"):
            MaskedStyleObjective(
                vgg,
                c,
                [StyleRegion(half_mask(16, 16), grams, weight=bad)],
                content_layers=["relu2_1"],
                style_layers=["relu1_1"],
            )
