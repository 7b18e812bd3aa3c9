"""Ablations: the verdict rule on known numbers, and 2 arms × 2 seeds on the bundled sample end to end: killed, it
resumes without running finished units again, and a unit run again with its seed gives the same figures."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from evaluation.ablation.cli import main
from evaluation.ablation.table import BETTER, NO_SPREAD, NOISE, WORSE, summarize, verdict
from tests.conftest import REPO


@pytest.mark.parametrize(("delta", "arm", "base", "lower_better", "expected"), [
    (-0.10, 0.02, 0.03, True, BETTER),  # 0.10 > 2 × 0.03
    (-0.05, 0.02, 0.03, True, NOISE),  # 0.05 <= 0.06
    (+0.10, 0.02, 0.01, True, WORSE),
    (+0.10, 0.01, 0.01, False, BETTER),  # accuracy: higher is better
    (-0.10, 0.01, 0.04, False, WORSE),  # the larger spread of the two counts: 0.10 > 0.08
    (-0.10, None, 0.01, True, NO_SPREAD),  # one seed
])
def test_verdict_rule(delta, arm, base, lower_better, expected):
    assert verdict(delta, arm, base, lower_better) == expected


def test_summary_compares_means_against_the_baseline():
    units = [{"arm": arm, "seed": seed, "metrics": {"bpb/heldout_hi": value}, "tokens": 100, "epochs": 0.5,
              "train_tokens_available": 200, "parameters": 10, "seconds": 1.0}
             for arm, seed, value in [("raw", 0, 1.0), ("raw", 1, 1.2), ("filtered", 0, 0.5), ("filtered", 1, 0.7)]]
    row = summarize(units, ["raw", "filtered"], "raw")["filtered"]["metrics"]["bpb/heldout_hi"]
    assert row["mean"] == pytest.approx(0.6) and row["delta"] == pytest.approx(-0.5)
    assert row["spread"] == pytest.approx(0.1414, abs=1e-4) and row["verdict"] == BETTER


def _result(out, unit: str):
    return out / "units" / unit / "result.json"


def test_sample_ablation_runs_resumes_after_a_kill_and_repeats_a_seed_exactly(tmp_path):
    out = tmp_path / "out"
    command = [str(REPO / "configs" / "ablation_sample.yaml"), f"--out_dir={out}",
               f"--pipeline.workdir={tmp_path / 'runs'}", "--train.tokens=640", "--train.curve_points=1"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "evaluation", "ablate", *command], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not _result(out, "raw-seed0").exists() and time.time() < deadline:
        assert process.poll() is None, "the ablation ended before it could be killed"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    first = _result(out, "raw-seed0").stat().st_mtime_ns

    assert main(command) == 0
    assert _result(out, "raw-seed0").stat().st_mtime_ns == first, "a finished unit is not run again"
    record = json.loads((out / "ablation.json").read_text())
    assert record["units_finished"] == 4 and {(u["arm"], u["seed"]) for u in record["units"]} == {
        ("raw", 0), ("raw", 1), ("full", 0), ("full", 1)}
    unit = record["units"][0]
    assert unit["tokens"] == 640 and unit["epochs"] > 0 and unit["parameters"] > 0
    assert {"bpb/heldout_hi", "bpb/heldout_hinglish", "acc_norm/next_sentence_hi"} <= set(unit["metrics"])
    full = record["summary"]["full"]["metrics"]["bpb/heldout_hi"]
    assert full["verdict"] in (BETTER, WORSE, NOISE) and (out / "ablation_bpb.png").stat().st_size > 0
    assert "| full |" in (out / "ablation.md").read_text() and "<table>" in (out / "ablation.html").read_text()

    repeated = json.loads(_result(out, "full-seed1").read_text())
    others = {name: _result(out, name).stat().st_mtime_ns for name in ("raw-seed0", "raw-seed1", "full-seed0")}
    shutil.rmtree(out / "units" / "full-seed1")
    assert main(command) == 0
    assert json.loads(_result(out, "full-seed1").read_text())["metrics"] == repeated["metrics"]
    assert {name: _result(out, name).stat().st_mtime_ns for name in others} == others
