"""lm-evaluation-harness on an exported model, with the task YAMLs the project ships (evaluation/lm_eval_tasks/):
its bits per byte agree with `python -m evaluation evaluate`'s."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.__main__ import main
from model.__main__ import main as model_main
from tests.conftest import REPO, write_jsonl
from tests.evaluation_helpers import TRAINED, UNRELATED, latest_checkpoint

pytest.importorskip("lm_eval", reason="lm-eval is in the eval extra (pip install -e '.[eval]')")


def test_lm_eval_bits_per_byte_equal_ours_on_the_exported_model(repeated_text_run, tmp_path, capsys):
    write_jsonl(tmp_path / "held.jsonl", [{"text": t} for t in (f"{TRAINED} {UNRELATED}", UNRELATED, TRAINED * 2)])
    tasks = tmp_path / "work" / "eval_tasks"  # where the shipped YAMLs look, relative to the working directory
    assert main(["make-tasks", "--input", str(tmp_path / "held.jsonl"), "--out", str(tasks)]) == 0
    checkpoint = latest_checkpoint(repeated_text_run)
    assert model_main(["export-hf", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "hf")]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", str(tmp_path / "hf"), "--json", "--text", str(tasks / "heldout_hi.jsonl"),
                 str(tasks / "heldout_hinglish.jsonl")]) == 0
    ours = json.loads(capsys.readouterr().out)["texts"]
    # the documented command, in its own process (the pipeline tests fork their workers: no harness threads here).
    # add_bos_token=False: the harness puts <bos> before a rolling window itself; with the tokenizer's own <bos>
    # too, it would also score a <bos> after <bos>
    command = [str(Path(sys.executable).with_name("lm_eval")), "--model", "hf",
               "--model_args", f"pretrained={tmp_path / 'hf'},add_bos_token=False",
               "--include_path", str(REPO / "evaluation" / "lm_eval_tasks"),
               "--tasks", "hindi_slm_bpb_hi,hindi_slm_bpb_hinglish", "--device", "cpu", "--batch_size", "4",
               "--output_path", str(tmp_path / "lm_eval")]
    offline = os.environ | {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, env=offline)
    theirs = json.loads(next((tmp_path / "lm_eval").rglob("results_*.json")).read_text())["results"]
    for name in ("hi", "hinglish"):
        assert theirs[f"hindi_slm_bpb_{name}"]["bits_per_byte,none"] == pytest.approx(
            ours[f"heldout_{name}"]["bits_per_byte"], rel=0.01)
