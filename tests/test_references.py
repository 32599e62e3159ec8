"""nst_teach.lab.references: records, the plateau rule, verification, the CLI's references command."""

from __future__ import annotations

import json

import pytest

from nst_teach.cli import main
from nst_teach.lab import references as refs

TINY = refs.ReferenceSpec(
    "tiny-recon",
    "02",
    "nst_teach.synthesis.reconstruct",
    "a test reconstruction",
    {"image": "hopper", "layer": "relu1_2", "size": 24, "steps": 30, "seed": 0},
    frames=(2, 4),
    window=3,
    tolerance=0.5,
    min_evals=6,
)


def test_plateau_eval_closed_form():
    assert refs.plateau_eval([4.0, 2.0, 1.0]) == 3
    assert refs.plateau_eval([4.0, 1.005, 1.0]) == 2
    assert refs.plateau_eval([1.0, 1.0, 1.0]) == 1
    # a loss that dips below and comes back within 1% still counts from where it stays
    assert refs.plateau_eval([3.0, 0.5, 1.004, 1.0]) == 3
    # with a floor relative to the first loss (a loss going to zero)
    assert refs.plateau_eval([100.0, 1.0, 0.02, 0.01], floor=1e-4) == 3


def test_recorder_stops_at_the_plateau():
    spec = refs.ReferenceSpec(
        "r",
        "00",
        "nst_teach.synthesis.reconstruct",
        "",
        {"steps": 99},
        window=2,
        tolerance=0.01,
        min_evals=3,
    )
    rec = refs._Recorder(spec)
    import torch

    image = torch.zeros(1, 3, 2, 2)
    assert not rec(1, image, {"total": 10.0})
    assert not rec(2, image, {"total": 5.0})
    assert not rec(3, image, {"total": 2.0})  # 10 -> 2 over the last 2: not flat
    assert not rec(4, image, {"total": 1.9})  # 5 -> 1.9
    assert not rec(5, image, {"total": 1.899})  # 2 -> 1.899: still more than 1%
    assert rec(6, image, {"total": 1.895})  # 1.9 -> 1.895: less than 1% over 2


def test_make_reference_records_and_verifies(tmp_path):
    record = refs.make_reference(TINY, tmp_path, weights="random", progress=False)
    assert record["evals"] < 30 and record["plateaued"]  # stopped by the rule, not the cap
    assert 1 <= record["plateau_eval"] <= record["evals"]
    for key in (
        "name",
        "lesson",
        "function",
        "kwargs",
        "seed",
        "weights",
        "long_side",
        "evals",
        "plateau_eval",
        "seconds",
        "device",
        "losses",
        "frames",
    ):
        assert key in record
    assert record["kwargs"]["weights"] == "random" and record["long_side"] == 24
    assert [f["eval"] for f in record["frames"]] == [2, 4, record["evals"]]
    assert len(record["losses"]["total"]) == record["evals"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [e["name"] for e in manifest["references"]] == ["tiny-recon"]
    assert refs.verify(tmp_path, evals=4) == []
    loaded = refs.list_references(tmp_path)[0]
    assert loaded["frames"][-1]["path"].endswith("tiny-recon/final.jpg")

    # a record whose losses were changed is caught, and named
    path = tmp_path / "tiny-recon" / "record.json"
    data = json.loads(path.read_text())
    data["losses"]["total"][1] *= 1.5
    path.write_text(json.dumps(data))
    (problem,) = refs.verify(tmp_path, evals=4)
    assert problem.startswith("tiny-recon: evaluation 2")


def test_make_references_is_resumable(tmp_path):
    logs: list[str] = []
    refs.make_references([TINY], tmp_path, progress=False, log=logs.append)
    refs.make_references([TINY], tmp_path, progress=False, log=logs.append)
    assert logs[-1] == "1 of 1 references already made; 0 to make"


def test_cli_references_make_list_verify(tmp_path, capsys):
    out = str(tmp_path)
    args = ["references", "--make", "--tiny", "--only", "02-reconstruction-relu1_2", "--out", out]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["references", "--json", "--out", out]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    data = json.loads(line)
    assert data["name"] == "02-reconstruction-relu1_2" and data["lesson"] == "02"
    assert data["function"] == "nst_teach.synthesis.reconstruct"
    assert all(isinstance(p, str) for p in data["frames"])
    assert main(["references", "--verify", "--evals", "3", "--out", out]) == 0
    rec = tmp_path / "02-reconstruction-relu1_2" / "record.json"
    bad = json.loads(rec.read_text())
    bad["losses"]["total"][1] *= 1.5
    rec.write_text(json.dumps(bad))
    assert main(["references", "--verify", "--evals", "3", "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "02-reconstruction-relu1_2" in err[0]


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["references", "--make", "--only", "nothing-such"], "names no reference"),
        (["references", "--make", "--tiny"], "give --out"),
        (["references", "--evals", "0"], "--evals"),
    ],
)
def test_cli_references_bad_input(args, text, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert text in err and len(err.strip().splitlines()) == 1


def test_catalogue_meets_the_size_rules():
    specs = refs.catalogue()
    assert len({s.name for s in specs}) == len(specs)
    for s in specs:
        side = s.kwargs["size"]
        assert side >= (192 if s.group == "06-fig3" else 256), s.name
    fig3 = [s for s in specs if s.group == "06-fig3"]
    assert len(fig3) == 20 and all(s.kwargs["pooling"] == "avg" for s in fig3)


def test_shipped_references_are_small_and_complete():
    records = refs.list_references()
    total = (
        sum(p.stat().st_size for p in refs.SHIPPED_DIR.rglob("*") if p.is_file())
        if (refs.SHIPPED_DIR.is_dir())
        else 0
    )
    assert total <= 8 * 2**20
    names = {s.name: s for s in refs.catalogue()}
    for r in records:
        assert r["name"] in names and r["fingerprint"] == names[r["name"]].fingerprint(), r["name"]
        assert r["weights"] == "random"
        for f in r["frames"]:
            assert (refs.SHIPPED_DIR / f["file"]).is_file()
