"""The cost model of nst_teach.plan: its arithmetic, the budget search, the stored
measurement, ``nst-teach plan``, and its predictions against measured runs."""

from __future__ import annotations

import json
import time

import pytest
import torch

from nst_teach.cli import main
from nst_teach.extras.architecture import evaluation_flops
from nst_teach.lab import plan
from nst_teach.layers import (
    PAPER_CONTENT_LAYERS,
    PAPER_STYLE_LAYERS,
    TUTORIAL_CONTENT_LAYERS,
    TUTORIAL_STYLE_LAYERS,
)
from nst_teach.optimize import make_optimizer

MIB = 2**20
#: A machine described by hand: every constant of the model non-zero.
SPEED = plan.MachineSpeed(
    device="cpu",
    eval_overhead_s=0.02,
    flops_per_s=50e9,
    setup_s=0.3,
    history_s=2e-9,
    base_mib=25.0,
    bytes_per_activation=8.0,
    key="by hand",
)
PAPER = PAPER_STYLE_LAYERS + PAPER_CONTENT_LAYERS


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NST_TEACH_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("NST_TEACH_CACHE", raising=False)
    plan.forget_measurements()
    yield tmp_path
    plan.forget_measurements()


@pytest.fixture
def fake_measure(cache_dir, monkeypatch):
    """``plan._measure`` replaced by one that counts its calls and times nothing."""
    calls = []

    def measure(device, sizes, evals, key):
        calls.append(key)
        return plan.MachineSpeed(**{**SPEED.__dict__, "device": str(device), "key": key})

    monkeypatch.setattr(plan, "_measure", measure)
    return calls


def test_predict_closed_form_256_px_300_evals():
    p = plan.predict(256, 300, speed=SPEED)
    # the paper's layers at 256 x 256: 101.52 GFLOPs per evaluation, 48.9 % of them forward
    flops = evaluation_flops(256, 256, PAPER_STYLE_LAYERS, PAPER_CONTENT_LAYERS)
    assert flops["total"] == 101_518_934_016
    per_eval = 0.02 + flops["total"] / 50e9
    assert p.seconds_per_eval == pytest.approx(per_eval, rel=1e-12)
    assert per_eval == pytest.approx(2.050379, abs=1e-6)
    share = (flops["forward"] + flops["gram_forward"]) / flops["total"]
    # L-BFGS: sum of min(e - 1, 100) over 300 evaluations = 100 * 101 / 2 + 199 * 100
    history = 2e-9 * 3 * 256 * 256 * (5050 + 19900)
    assert history == pytest.approx(9.8107, abs=1e-4)
    expected = 0.3 + (3 * share + 300) * per_eval + history
    assert p.seconds == pytest.approx(expected, rel=1e-12)
    assert p.seconds == pytest.approx(628.2, abs=0.1)
    # memory: weights (12.94 M parameters to relu5_1), 8 bytes per activation value (20 Mi:
    # conv1_1, conv1_2 4 Mi each, pool1 1 Mi, ...),
    # 100 pairs of two 3 x 256 x 256 float32 vectors, and 25 MiB
    weights = plan.weight_bytes(PAPER)
    acts = plan.activation_values(256, 256, PAPER)
    assert (weights, acts) == (51_779_840, 20 * MIB)
    assert plan.optimizer_state_bytes("lbfgs", 300, 3 * 256 * 256) == 100 * 2 * 4 * 196_608
    expected_mib = 25 + (weights + 8 * acts + 157_286_400) / MIB
    assert p.peak_mib == pytest.approx(expected_mib, rel=1e-12)
    assert p.peak_mib == pytest.approx(384.4, abs=0.1)
    assert (p.size, p.evals, p.height, p.width, p.device) == (256, 300, 256, 256, "cpu")


def test_history_grows_until_full_then_stays():
    n = 3 * 512 * 384
    assert plan.optimizer_state_bytes("lbfgs", 1, n) == 0  # no pair after one step
    assert plan.optimizer_state_bytes("lbfgs", 2, n) == 8 * n
    full = plan.optimizer_state_bytes("lbfgs", 101, n)
    assert full == plan.optimizer_state_bytes("lbfgs", 1000, n) == 800 * n
    assert full / MIB == pytest.approx(450.0)  # the 470 MB of benchmarks/README.md
    assert plan.optimizer_state_bytes("adam", 1, n) == plan.optimizer_state_bytes("adam", 500, n)
    assert plan.optimizer_state_bytes("gd", 500, n) == 0
    assert plan.optimizer_state_bytes("lbfgsb", 1, n) == 8 * n * (2 * 20 + 7)
    for evals, pairs in ((1, 100), (50, 100), (101, 100), (102, 100), (300, 100), (40, 20)):
        brute = sum(min(e - 1, pairs) for e in range(1, evals + 1))
        assert plan.history_pair_sum(evals, pairs) == brute


def test_the_model_knows_torchs_lbfgs_history():
    opt = make_optimizer("lbfgs", [torch.zeros(3, requires_grad=True)], None)
    assert opt.defaults["history_size"] == plan.LBFGS_HISTORY == 100


def test_fewer_and_shallower_layers_cost_less():
    paper = plan.predict(256, 100, speed=SPEED)
    tutorial = plan.predict(
        256,
        100,
        style_layers=TUTORIAL_STYLE_LAYERS,
        content_layers=TUTORIAL_CONTENT_LAYERS,
        speed=SPEED,
    )
    # 37.50 against 101.52 GFLOPs per evaluation at 256 x 256
    flops = evaluation_flops(256, 256, TUTORIAL_STYLE_LAYERS, TUTORIAL_CONTENT_LAYERS)["total"]
    assert tutorial.seconds_per_eval == pytest.approx(0.02 + flops / 50e9)
    assert tutorial.seconds_per_eval / paper.seconds_per_eval == pytest.approx(0.3755, abs=1e-4)
    # but more memory: the tutorial taps conv outputs, whose ReLUs then need copies
    # (26.5 Mi activation values against the paper's 20 Mi); rectified layers as deep as
    # relu3_1 need fewer
    tutorial_layers = TUTORIAL_STYLE_LAYERS + TUTORIAL_CONTENT_LAYERS
    assert plan.activation_values(256, 256, tutorial_layers) == 26.5 * MIB
    assert tutorial.peak_mib > paper.peak_mib
    shallow = ["relu1_1", "relu2_1", "relu3_1"]
    assert plan.activation_values(256, 256, shallow) == 14.5 * MIB
    assert plan.predict(256, 100, style_layers=shallow, content_layers=["relu3_1"],
                        speed=SPEED).peak_mib < paper.peak_mib  # fmt: skip
    adam = plan.predict(256, 100, optimizer="adam", speed=SPEED)
    assert adam.seconds < paper.seconds and adam.peak_mib < paper.peak_mib


def test_aspect_and_size():
    assert plan.image_shape(512, 4 / 3) == (384, 512)
    assert plan.image_shape(512, 3 / 4) == (512, 384)
    wide = plan.predict(512, 10, aspect=4 / 3, speed=SPEED)
    square = plan.predict(512, 10, speed=SPEED)
    assert (wide.height, wide.width) == (384, 512)
    assert wide.seconds < square.seconds and wide.peak_mib < square.peak_mib
    for bad in (0, -1.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="aspect"):
            plan.predict(64, 10, aspect=bad, speed=SPEED)
    with pytest.raises(ValueError, match="at least 16x16"):
        plan.predict(15, 10, speed=SPEED)
    with pytest.raises(ValueError, match="at most 4096"):
        plan.predict(5000, 10, speed=SPEED)
    with pytest.raises(ValueError, match="steps"):
        plan.predict(64, 0, speed=SPEED)


def test_largest_size_is_the_brute_force_answer():
    def brute(fits):
        return max(s for s in range(16, 1025) if fits(plan.predict(s, 300, speed=SPEED)))

    found = plan.largest_size(budget_seconds=60, steps=300, maximum=1024, speed=SPEED)
    assert found.size == brute(lambda p: p.seconds <= 60) == 79
    assert found.seconds <= 60 < plan.predict(80, 300, speed=SPEED).seconds
    by_memory = plan.largest_size(budget_mib=500, steps=300, maximum=1024, speed=SPEED)
    assert by_memory.size == brute(lambda p: p.peak_mib <= 500) == 300
    both = plan.largest_size(60, 500, 300, maximum=1024, speed=SPEED)
    assert both.size == 79
    capped = plan.largest_size(budget_mib=500, steps=300, maximum=200, speed=SPEED)
    assert capped.size == 200


def test_largest_size_refuses(fake_measure):
    with pytest.raises(ValueError, match="give a time budget"):
        plan.largest_size(steps=10, speed=SPEED)
    for bad in (0, -1, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="budget_seconds must be a finite number > 0"):
            plan.largest_size(bad, steps=10, speed=SPEED)
    for bad_aspect in (float("inf"), 0.0):
        with pytest.raises(ValueError, match="aspect"):
            plan.largest_size(budget_mib=100, aspect=bad_aspect, speed=SPEED)
    with pytest.raises(ValueError, match="steps"):
        plan.largest_size(budget_mib=100, steps=0)
    assert fake_measure == []  # refused before measuring
    with pytest.raises(ValueError, match=r"even 16 px does not fit: about 8\.8 s"):
        plan.largest_size(budget_seconds=1, steps=300, speed=SPEED)


def test_measurement_is_stored_and_reused(fake_measure, cache_dir, monkeypatch):
    first = plan.measure_machine(device="cpu")
    assert len(fake_measure) == 1
    assert plan.measure_machine(device="cpu") == first  # kept for the session
    (path,) = cache_dir.glob("machine-*.json")
    record = json.loads(path.read_text())
    assert record["key"] == first.key and record["flops_per_s"] == 50e9
    assert f"{torch.get_num_threads()} threads" in first.key and torch.__version__ in first.key
    plan.forget_measurements()  # a new session: read from disk, not measured
    assert plan.measure_machine(device="cpu") == first
    assert plan.predict(64, 10, device="cpu").seconds_per_eval == pytest.approx(
        plan.predict(64, 10, speed=SPEED).seconds_per_eval
    )
    assert len(fake_measure) == 1
    plan.measure_machine(device="cpu", refresh=True)
    assert len(fake_measure) == 2
    threads = torch.get_num_threads()
    try:  # another thread count is another machine
        torch.set_num_threads(threads + 1)
        plan.measure_machine(device="cpu")
    finally:
        torch.set_num_threads(threads)
    assert len(fake_measure) == 3 and len(list(cache_dir.glob("machine-*.json"))) == 2


def test_damaged_or_disabled_store(fake_measure, cache_dir, monkeypatch):
    plan.measure_machine(device="cpu")
    (path,) = cache_dir.glob("machine-*.json")
    path.write_text("{not json")
    plan.forget_measurements()
    plan.measure_machine(device="cpu")
    assert len(fake_measure) == 2 and json.loads(path.read_text())["key"] == fake_measure[-1]
    path.unlink()
    monkeypatch.setenv("NST_TEACH_CACHE", "0")
    plan.forget_measurements()
    plan.measure_machine(device="cpu")
    assert len(fake_measure) == 3 and not path.exists()


def _one_line(capsys) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out.strip(), captured.err.strip()


def test_cli_json(fake_measure, capsys):
    assert main(["plan", "--size", "512", "--steps", "300", "--json", "--device", "cpu"]) == 0
    out, err = _one_line(capsys)
    report = json.loads(out)
    assert len(out.splitlines()) == 1 and "measuring cpu once" in err
    assert {"seconds", "peak_mib"} <= set(report) and "size" not in report
    p = plan.predict(512, 300, speed=SPEED)
    assert report["seconds"] == pytest.approx(p.seconds, abs=0.01)
    assert report["peak_mib"] == pytest.approx(p.peak_mib, abs=0.1)
    assert (report["evals"], report["height"], report["width"]) == (300, 512, 512)
    code = main(
        ["plan", "--budget-seconds", "60", "--budget-mib", "2000", "--json", "--device", "cpu"]
    )
    assert code == 0
    out, err = _one_line(capsys)
    report = json.loads(out)
    assert report["size"] == 79 and report["seconds"] <= 60 and err == ""  # measured before
    assert main(["plan", "--size", "200", "--budget-mib", "500", "--device", "cpu"]) == 0
    out, _ = _one_line(capsys)
    assert out.startswith("largest size within 500 MiB: 200x200 px, 300 evaluations")
    assert len(fake_measure) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "0"], "--size 0: size must be a positive whole number"),
        (["--size", "8"], "--size 8: a 8x8 image is too small"),
        (["--size", "5000"], "--size 5000: size must be at most 4096"),
        (["--size", "2.5"], "argument --size: invalid int value"),
        (["--steps", "0"], "--steps 0: steps must be a whole number >= 1"),
        (["--budget-seconds", "-1"], "--budget-seconds -1.0: the budget must be a finite"),
        (["--budget-mib", "nan"], "--budget-mib nan: the budget must be a finite number > 0"),
        (["--budget-mib", "0"], "--budget-mib 0.0: the budget must be a finite number > 0"),
        (["--aspect", "0"], "--aspect 0.0: aspect (width / height) must be"),
        (["--style-layers", "conv9_1"], "unknown style layer 'conv9_1'"),
        (["--content-layers", ""], "no content layers given"),
        (["--optimizer", "sgd"], "argument --optimizer: invalid choice"),
        (["--device", "tpu"], "--device 'tpu': unknown device"),
    ],
)
def test_cli_bad_input_one_line_exit_2_before_measuring(fake_measure, capsys, args, message):
    assert main(["plan", *args]) == 2
    out, err = _one_line(capsys)
    assert out == "" and len(err.splitlines()) == 1 and err.startswith("nst-teach: error: ")
    assert message in err and "Traceback" not in err
    assert fake_measure == []


def test_cli_budget_that_nothing_fits(fake_measure, capsys):
    assert main(["plan", "--budget-seconds", "1", "--device", "cpu"]) == 2
    _, err = _one_line(capsys)
    assert err.splitlines()[-1] == ("nst-teach: error: even 16 px does not fit: about 8.8 s and 76 MiB "
                        "for 300 evaluations")  # fmt: skip


def _measured_run(size: int, evals: int) -> tuple[float, float]:
    """Wall time of a stylize run (the network already built) and the memory the run adds
    with its network (the same definition as :attr:`Plan.peak_mib`)."""
    from nst_teach.stylize import stylize

    gen = torch.Generator().manual_seed(1)
    content = torch.rand(1, 3, size, size, generator=gen)
    style = torch.rand(1, 3, size, size, generator=gen)
    with plan.peak_memory(torch.device("cpu")) as memory:
        start = time.perf_counter()
        stylize(content, style, size=size, steps=evals, weights="random", device="cpu",
                progress=False)  # fmt: skip
        seconds = time.perf_counter() - start
    return seconds, memory["mib"] + plan.weight_bytes(PAPER) / MIB


def test_predictions_match_measured_runs_within_25_percent(cache_dir):
    """Measure this machine (one thread: steadier on a shared machine), then run 6
    evaluations at 80 and 128 px: the seconds and peak memory predicted are within 25%
    of those measured. A busy machine can spoil one attempt: it may try twice."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    failures = []
    try:
        for _attempt in range(2):
            speed = plan.measure_machine(device="cpu", refresh=True)
            ratios = {}
            for size in (80, 128):
                predicted = plan.predict(size, 6, device="cpu", speed=speed)
                seconds, mib = _measured_run(size, 6)
                ratios[size] = (predicted.seconds / seconds, predicted.peak_mib / mib)
            if all(0.75 <= r <= 1.25 for pair in ratios.values() for r in pair):
                return
            failures.append(ratios)
    finally:
        torch.set_num_threads(threads)
    pytest.fail(f"predicted / measured (seconds, MiB) at 80 and 128 px: {failures}")
