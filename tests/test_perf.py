"""The fast paths give the plain path's numbers; coarse-to-fine and the benchmark run."""

from __future__ import annotations

import doctest
import importlib.util
import math
import sys
import warnings
from itertools import pairwise
from pathlib import Path

import pytest
import torch

from nst_teach import fused, machine, stylize
from nst_teach.fused import fused_content_loss, fused_style_layer_loss
from nst_teach.losses import content_loss, style_layer_loss, style_layer_loss_grad
from nst_teach.machine import matmul_gflops, reuse_freed_memory
from nst_teach.multiscale import check_scales, scale_sizes, split_steps, upsample
from nst_teach.objective import StyleObjective
from nst_teach.optimize import optimize_pixels
from nst_teach.vgg import VGG19Features

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv2_2")
STYLE, CONTENT = ("conv1_1", "conv2_1", "conv3_1"), ("conv2_2",)


def _load_bench(name: str):  # type: ignore[no-untyped-def]
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _grad(fn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[no-untyped-def]
    x = x.detach().clone().requires_grad_(True)
    loss = fn(x)
    loss.backward()
    return loss.detach(), x.grad


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "matrix", "batch"])
def test_fused_style_loss_matches_autograd(layout: str) -> None:
    gen = torch.Generator().manual_seed(0)
    shape = {"matrix": (6, 20), "batch": (2, 6, 4, 5)}.get(layout, (1, 6, 4, 5))
    feats = torch.randn(shape, generator=gen)
    if layout == "channels_last":
        feats = feats.contiguous(memory_format=torch.channels_last)
    target = torch.randn(6, 6, generator=gen)
    target = target @ target.T
    v1, g1 = _grad(lambda f: fused_style_layer_loss(f, target), feats)
    v2, g2 = _grad(lambda f: style_layer_loss(f, target), feats)
    torch.testing.assert_close(v1, v2, rtol=1e-5, atol=0)
    torch.testing.assert_close(g1, g2, rtol=1e-5, atol=1e-9)
    assert g1.shape == feats.shape
    if layout == "channels_last":  # the gradient keeps the activations' layout
        assert g1.is_contiguous(memory_format=torch.channels_last)
    # and it is the closed form of Eq. (6)
    torch.testing.assert_close(g1, style_layer_loss_grad(feats, target), rtol=1e-5, atol=1e-9)


def test_fused_losses_gradcheck_float64() -> None:
    gen = torch.Generator().manual_seed(1)
    f = torch.randn(1, 3, 3, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    a = torch.randn(3, 3, dtype=torch.float64, generator=gen)
    p = torch.randn(1, 3, 3, 2, dtype=torch.float64, generator=gen)
    assert torch.autograd.gradcheck(lambda x: fused_style_layer_loss(x, a @ a.T), (f,))
    assert torch.autograd.gradcheck(lambda x: fused_content_loss(x, p), (f,))
    fc = f.detach().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: fused_style_layer_loss(x, a @ a.T), (fc,))


def test_fused_content_loss_matches_plain() -> None:
    gen = torch.Generator().manual_seed(2)
    f, p = torch.randn(1, 4, 3, 3, generator=gen), torch.randn(1, 4, 3, 3, generator=gen)
    v1, g1 = _grad(lambda x: fused_content_loss(x, p), f)
    v2, g2 = _grad(lambda x: content_loss(x, p), f)
    torch.testing.assert_close(v1, v2)
    torch.testing.assert_close(g1, g2)


def test_fused_losses_reject_bad_shapes() -> None:
    with pytest.raises(ValueError, match="does not fit 4"):
        fused_style_layer_loss(torch.zeros(1, 4, 2, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="differ in shape"):
        fused_content_loss(torch.zeros(1, 4, 2, 2), torch.zeros(1, 4, 2, 3))


@pytest.fixture(scope="module")
def images() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    return torch.rand(1, 3, 24, 32, generator=gen), torch.rand(1, 3, 24, 32, generator=gen)


def test_channels_last_extractor_gives_the_same_activations(images) -> None:  # type: ignore[no-untyped-def]
    plain = VGG19Features(LAYERS, weights="random")
    fast = VGG19Features(LAYERS, weights="random", channels_last=True)
    a, b = plain(images[0]), fast(images[0])
    for name in LAYERS:
        assert b[name].is_contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-5)
    assert "channels_last=True" in repr(fast)


@pytest.mark.parametrize(("channels_last", "fused"), [(False, True), (True, False), (True, True)])
def test_fast_objective_same_loss_and_gradient(images, channels_last: bool, fused: bool) -> None:  # type: ignore[no-untyped-def]
    content, style = images

    def objective(cl: bool, fu: bool) -> StyleObjective:
        vgg = VGG19Features(LAYERS, weights="random", channels_last=cl)
        return StyleObjective(
            vgg, content, style, content_layers=CONTENT, style_layers=STYLE, beta=1e3, fused=fu
        )

    x = (0.5 * content + 0.5 * style).contiguous()
    ref, fast = objective(False, False), objective(channels_last, fused)
    x1, x2 = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    l1, l2 = ref(x1), fast(x2)
    l1["total"].backward()
    l2["total"].backward()
    for key in ("content", "style", "total"):
        torch.testing.assert_close(l1[key], l2[key], rtol=1e-5, atol=0)
    scale = x1.grad.abs().max()
    torch.testing.assert_close(x1.grad / scale, x2.grad / scale, rtol=0, atol=1e-5)


def test_stylize_is_deterministic_for_a_seed(images) -> None:  # type: ignore[no-untyped-def]
    content, style = images
    kwargs = dict(size=None, steps=4, weights="random", style_layers=STYLE,
                  content_layers=CONTENT, init="noise", seed=7, progress=False)  # fmt: skip
    a, b = stylize(content, style, **kwargs), stylize(content, style, **kwargs)
    assert torch.equal(a.image, b.image)
    assert a.history == b.history
    c = stylize(content, style, **{**kwargs, "seed": 8})
    assert not torch.equal(a.image, c.image)


def test_coarse_to_fine_returns_the_full_size(images) -> None:  # type: ignore[no-untyped-def]
    content, style = images
    seen: list[tuple[int, tuple[int, ...]]] = []
    result = stylize(content, style, size=None, steps=[3, 4], scales=(0.5, 1.0),
                     weights="random", style_layers=STYLE, content_layers=CONTENT,
                     progress=False, callback=lambda e, img, _: seen.append((e, tuple(img.shape))))  # fmt: skip
    assert result.image.shape == (1, 3, 24, 32)
    assert result.evals == 7 and len(result.history["total"]) == 7
    assert result.settings["scale_evals"] == [3, 4]
    assert result.settings["scale_sizes"] == [(12, 16), (24, 32)]
    assert [e for e, _ in seen] == list(range(1, 8))  # counted across scales
    assert seen[0][1] == (1, 3, 12, 16) and seen[-1][1] == (1, 3, 24, 32)
    assert float(result.image.min()) >= 0.0 and float(result.image.max()) <= 1.0


def test_coarse_to_fine_stopped_early_still_full_size(images) -> None:  # type: ignore[no-untyped-def]
    content, style = images
    result = stylize(content, style, size=None, steps=6, scales=(0.5, 1.0), weights="random",
                     style_layers=STYLE, content_layers=CONTENT, progress=False,
                     callback=lambda e, img, _: e >= 1)  # fmt: skip
    assert result.image.shape == (1, 3, 24, 32)
    assert result.evals == 1 and result.stopped_early is not None


def test_coarse_to_fine_too_small_raises(images) -> None:  # type: ignore[no-untyped-def]
    content, style = images
    with pytest.raises(ValueError, match="coarsest scale"):
        stylize(content, style, size=None, steps=4, scales=(0.25, 1.0), weights="random",
                style_layers=["conv5_1"], content_layers=["conv4_2"], progress=False)  # fmt: skip


def test_multiscale_helpers() -> None:
    assert scale_sizes(100, 50, (0.5, 1)) == [(50, 25), (100, 50)]
    assert split_steps(300, (0.5, 1.0)) == [100, 200]
    assert split_steps(2, (0.5, 1.0)) == [1, 1]
    assert sum(split_steps(301, (0.25, 0.5, 1.0))) == 301
    for bad in ((1.0, 0.5), (0.5,), (0.0, 1.0), (), (0.5, 0.5, 1.0)):
        with pytest.raises(ValueError):
            check_scales(bad)
    with pytest.raises(ValueError, match="one per scale"):
        split_steps(1, (0.5, 1.0))
    with pytest.raises(ValueError, match="2 scales"):
        split_steps([5], (0.5, 1.0))
    up = upsample(torch.full((1, 3, 2, 2), 0.5), 4, 4)
    assert up.shape == (1, 3, 4, 4) and torch.allclose(up, torch.full_like(up, 0.5))


def test_lbfgs_learns_from_the_clipped_step() -> None:
    """After clipping, L-BFGS's stored step is the step actually taken (a true secant pair)."""
    target = torch.tensor([[[[2.0, -1.0, 0.3]]]])  # two coordinates want to leave [0, 1]
    states: list[tuple[torch.Tensor, torch.Tensor]] = []

    def loss(x: torch.Tensor) -> dict[str, torch.Tensor]:
        states.append(x.detach().clone())
        return {"total": ((x - target) ** 2).sum()}

    run = optimize_pixels(loss, torch.full((1, 1, 1, 3), 0.5), steps=8, progress=False)
    torch.testing.assert_close(run.image, torch.tensor([[[[1.0, 0.0, 0.3]]]]), atol=1e-4, rtol=0)
    losses = run.history["total"]
    assert all(b <= a + 1e-6 for a, b in pairwise(losses))  # no blow-up


@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_fused_style_loss_gradient_owns_its_memory(layout: str) -> None:
    # a gradient that is not a view can take the ReLU's gradient in place (no extra buffer)
    f = torch.rand(1, 8, 6, 5)
    if layout == "channels_last":
        f = f.contiguous(memory_format=torch.channels_last)
    f.requires_grad_(True)
    (grad,) = torch.autograd.grad(fused_style_layer_loss(f, torch.rand(8, 8)), f)
    assert grad._base is None
    assert grad.is_contiguous(
        memory_format=torch.channels_last if layout == "channels_last" else torch.contiguous_format
    )


def test_gram_row_blocks_give_autograd_values_float64() -> None:
    # 16 channels, 16 x 16 positions: the channels-last path that splits F^T into row blocks
    f = torch.rand(1, 16, 16, 16, dtype=torch.float64)
    f = f.contiguous(memory_format=torch.channels_last).requires_grad_(True)
    assert fused._row_blocks(f) is not None
    t = torch.rand(16, 30, dtype=torch.float64)
    target = t @ t.T  # a Gram matrix: symmetric, as Eq. (6) assumes
    loss = fused_style_layer_loss(f, target)
    (grad,) = torch.autograd.grad(loss, f)
    g_ref = f.detach().contiguous().requires_grad_(True)
    ref = style_layer_loss(g_ref, target)
    (grad_ref,) = torch.autograd.grad(ref, g_ref)
    torch.testing.assert_close(loss, ref)
    torch.testing.assert_close(grad, grad_ref)
    assert grad.is_contiguous(memory_format=torch.channels_last)
    assert torch.autograd.gradcheck(lambda x: fused_style_layer_loss(x, target), (f,))


def test_reuse_freed_memory_changes_no_value(images) -> None:  # type: ignore[no-untyped-def]
    content, style = images
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vgg = VGG19Features(LAYERS, weights="random")
    objective = StyleObjective(
        vgg, content, style, content_layers=CONTENT, style_layers=STYLE, beta=1e3
    )
    plain = objective(content)["total"]
    with reuse_freed_memory() as applied:
        again = objective(content)["total"]
    assert applied is sys.platform.startswith("linux")
    assert float(again) == float(plain)


def test_reuse_freed_memory_nests() -> None:
    with reuse_freed_memory() as outer:
        with reuse_freed_memory() as inner:
            assert inner is outer
        assert machine.ALLOCATOR.depth == (1 if outer else 0)
    assert machine.ALLOCATOR.depth == 0


def test_reuse_freed_memory_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_TEACH_MALLOPT", "0")
    with reuse_freed_memory() as applied:
        assert applied is False


def test_matmul_gflops_is_positive() -> None:
    assert matmul_gflops(64, repeats=2) > 0


def test_tutorial_baseline_doctests() -> None:
    module = _load_bench("tutorial_baseline")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_tutorial_units_give_the_tutorial_loss(images) -> None:  # type: ignore[no-untyped-def]
    """nst_teach's loss with converted weights equals the tutorial's, for both layer sets."""
    bench = _load_bench("bench_stylize")
    content, style = images
    for layers in ("tutorial", "paper"):
        content_img = (
            torch.nn.functional.interpolate(content, size=(32, 48))
            if layers == "paper"
            else content
        )
        style_img = torch.nn.functional.interpolate(style, size=content_img.shape[-2:])
        base = bench.Baseline(content_img, style_img, layers)
        x = (0.3 * content_img + 0.7 * style_img).contiguous()
        expected = base.loss(x)
        kwargs = bench.ours_kwargs(content_img, layers)
        style_layers, content_layers = kwargs["style_layers"], kwargs["content_layers"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vgg = VGG19Features(
                tuple(dict.fromkeys(style_layers + content_layers)), weights="random"
            )
        objective = StyleObjective(vgg, content_img, style_img, content_layers=content_layers,
                                   style_layers=style_layers, alpha=kwargs["alpha"],
                                   beta=kwargs["beta"], layer_weights=kwargs["layer_weights"])  # fmt: skip
        assert float(objective(x)["total"]) == pytest.approx(expected, rel=1e-5)


def test_benchmark_quick_mode(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load_bench("bench_stylize")
    threads = torch.get_num_threads()
    try:
        report = bench.main(["--quick"])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "Seconds per objective evaluation" in out and "Targets" in out
    json_lines = [ln for ln in out.splitlines() if ln.startswith('{"benchmark": "bench_stylize"')]
    assert len(json_lines) == 1
    assert {r["layers"] for r in report["per_eval"]} == {"tutorial", "paper"}
    for row in report["per_eval"]:
        assert row["baseline_s"] > 0 and row["nst_teach_s"] > 0
        assert row["nst_teach_flops"] < row["baseline_flops"]
    assert len(report["ablation"]) == 7
    assert all(row["matmul_fraction"] > 0 for row in report["per_eval"])
    assert [t["size"] for t in report["time_to_loss"]] == [32, 48]  # two sizes, as 256 and 512
    for ttl in report["time_to_loss"]:
        assert ttl["runs"]["nst_teach"]["first_loss_rel_diff"] < 1e-5  # the same loss function
    assert report["matmul_gflops"] > 0
    assert report["machine"]["device"].startswith("cpu") and "device cpu" in out
    # the issue's four targets, each with a verdict, and target 1's figure as the last line
    assert [t["number"] for t in report["issue_targets"]] == [1, 2, 3, 4]
    assert all(t["holds"] in (True, False, None) for t in report["issue_targets"])
    assert "Targets of the issue" in out
    for n in range(1, 5):
        assert any(ln.lstrip().startswith(f"{n}. ") for ln in out.splitlines())
    last = out.strip().splitlines()[-1]
    assert last.startswith("time-to-lowest-loss ratio: ")
    assert float(last.split(": ")[1]) == pytest.approx(
        report["time_to_lowest_loss_ratio"], rel=1e-2
    )


def test_benchmark_time_to_loss_mode(capsys: pytest.CaptureFixture[str]) -> None:
    """``--time-to-loss``: only target 1, its figure as the last line."""
    bench = _load_bench("bench_stylize")
    threads = torch.get_num_threads()
    try:
        report = bench.main(["--quick", "--time-to-loss", "--ttl-optimizers", "projected-lbfgs"])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert report["per_eval"] == [] and "ablation" not in report
    runs = report["time_to_loss"][0]["runs"]
    assert set(runs) == {"nst_teach", "nst_teach projected-lbfgs"}
    # the stricter reading: against the tutorial as published today (weights frozen), which
    # follows the same path (same losses) with less work per evaluation
    for ttl in report["time_to_loss"]:
        assert ttl["today_seconds_to_best"] > 0
    worst = max(
        t["runs"]["nst_teach"]["reach_baseline_best"]["ratio_today"]
        if t["runs"]["nst_teach"]["reach_baseline_best"]
        else math.inf
        for t in report["time_to_loss"]
    )
    assert report["time_to_lowest_loss_ratio"] == worst
    assert out.strip().splitlines()[-1] == f"time-to-lowest-loss ratio: {worst:.3f}"
    # two alternating rounds (quick mode): each program timed twice, the medians reported
    for ttl in report["time_to_loss"]:
        assert len(ttl["baseline_round_seconds_to_best"]) == 2
        assert ttl["baseline_seconds_to_best"] == pytest.approx(
            sum(ttl["baseline_round_seconds_to_best"]) / 2
        )
        best = ttl["runs"]["nst_teach"]["reach_baseline_best"]
        if best is not None:
            assert len(best["round_seconds"]) == 2
            assert best["ratio"] == pytest.approx(best["seconds"] / ttl["baseline_seconds_to_best"])


def test_target_one_names_the_other_optimisers() -> None:
    """Target 1's line gives the default's ratio and, after it, each optimiser timed."""
    bench = _load_bench("bench_stylize")
    run = {"reach_baseline_best": {"evals": 44, "seconds": 22.0, "ratio": 0.45}}
    alt = {"reach_baseline_best": {"evals": 40, "seconds": 18.0, "ratio": 0.37}}
    report = {
        "time_to_loss": [
            {"size": 256, "runs": {"nst_teach": run, "nst_teach projected-lbfgs": alt,
                                   "nst_teach lbfgsb": {"reach_baseline_best": None}}}
        ],
        "per_eval": [],
    }  # fmt: skip
    assert bench.time_to_lowest_loss_ratio(report) == 0.45
    first = bench.issue_targets(report)[0]
    assert first["holds"] is False  # 0.45 > 0.4, and 512 px was not measured
    assert first["detail"].endswith(
        "; also projected-lbfgs 256 px 0.37 (40 evals), lbfgsb 256 px not reached"
    )
