"""The trainer: exact resume after kill -9, logs that hold every step, checkpoint fallback, overfitting,
torchrun with two processes, and refusal of shards that do not fit."""

import math
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest
import torch

from pipeline.typed_config import load_config
from tests.conftest import REPO
from tests.trainer_helpers import build_shards, kill_after_step, records_so_far, step_losses
from trainer.__main__ import main
from trainer.config import TrainConfig
from trainer.logger import read_log
from trainer.loop import Trainer
from trainer.schedule import learning_rate

TINY = REPO / "configs" / "train_tiny.yaml"
QUIET = ["--tensorboard=false", "--sample_tokens=0"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return build_shards(tmp_path_factory.mktemp("data"))


def config(shards, out_dir, **overrides) -> TrainConfig:
    items = [f"data_dir={shards}", f"out_dir={out_dir}", "tensorboard=false", "sample_tokens=0"]
    return load_config(TrainConfig, TINY, items + [f"{k}={v}" for k, v in overrides.items()])


def trainer_command(shards, out_dir, *extra) -> list[str]:
    return [sys.executable, "-m", "trainer", str(TINY), f"--data_dir={shards}", f"--out_dir={out_dir}", *QUIET, *extra]


@pytest.fixture(scope="module")
def killed_and_resumed(shards, tmp_path_factory):
    """An uninterrupted run; the same run killed with SIGKILL after step 60, its log then, and its resumption."""
    base = tmp_path_factory.mktemp("runs")
    settings = ["--max_steps=150", "--checkpoint_every=25", "--eval_every=50", "--batch_size=16", "--block_size=64"]
    subprocess.run(trainer_command(shards, base / "whole", *settings), check=True, capture_output=True, cwd=REPO)
    log_at_kill = kill_after_step(trainer_command(shards, base / "killed", *settings), base / "killed", 60, REPO)
    return read_log(base / "whole"), log_at_kill, read_log(base / "killed")


def test_a_resumed_run_continues_the_same_losses_bit_for_bit(killed_and_resumed):
    whole, _, resumed = killed_and_resumed
    resume = next(r for r in resumed if r.get("event") == "resume")
    assert resume["step"] in (50, 75, 100, 125), "resumes from the last checkpoint before the kill"
    after = resumed[resumed.index(resume) + 1 :]
    continued = step_losses(after)
    assert sorted(continued) == list(range(resume["step"] + 1, 151))
    assert all(continued[s] == step_losses(whole)[s] for s in continued)  # exact equality, not closeness


def test_a_resumed_run_logs_each_step_once(killed_and_resumed, tmp_path_factory):
    _, at_kill, resumed = killed_and_resumed
    steps = [r["step"] for r in resumed if "event" not in r]
    assert steps == list(range(1, 151)), "the steps between the checkpoint and the kill are not logged twice"
    resume = next(r for r in resumed if r.get("event") == "resume")
    run_again = max(r["step"] for r in at_kill if "event" not in r) - resume["step"]
    assert resume["steps_run_again"] == run_again > 0


def test_a_skipped_step_moves_the_learning_rate_schedule_with_it(shards, tmp_path):
    trainer = Trainer(config(shards, tmp_path, max_steps=20, warmup_steps=5), resume=False)
    with torch.no_grad():
        trainer.module.model.embed_tokens.weight[0, 0] = math.inf  # every loss is inf for this step
    assert trainer.train_step()["skipped"]
    c = trainer.config
    assert trainer.scheduler.get_last_lr()[0] == pytest.approx(learning_rate(1, c.lr, c.min_lr, 5, 20))


def test_the_log_holds_every_step_up_to_the_kill(killed_and_resumed):
    _, at_kill, _ = killed_and_resumed
    steps = [r["step"] for r in at_kill if "event" not in r]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 60


def test_a_truncated_latest_checkpoint_falls_back_to_the_previous_one(shards, tmp_path):
    Trainer(config(shards, tmp_path, max_steps=20, checkpoint_every=10, eval_every=10), resume=False).run()
    weights = tmp_path / "checkpoints" / "step_00000020" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # a write cut short
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Trainer(config(shards, tmp_path, max_steps=30, checkpoint_every=10, eval_every=10), resume=True).run()
    assert any("step_00000020 is unusable" in str(w.message) for w in caught)
    resume = next(r for r in read_log(tmp_path) if r.get("event") == "resume")
    assert resume["step"] == 10


def test_the_tiny_model_overfits_a_repeated_text(tmp_path):
    text = "गंगा नदी हिमालय से निकलती है और बंगाल की खाड़ी में गिरती है।"
    shards = build_shards(tmp_path / "data", [text] * 60, val_fraction=0.1)
    trainer = Trainer(config(shards, tmp_path / "run", max_steps=150, warmup_steps=10, eval_every=150,
                             checkpoint_every=150, block_size=32, lr=0.01, min_lr=0.001), resume=False)
    trainer.run()
    assert step_losses(read_log(tmp_path / "run"))[150] < 0.1


@pytest.fixture(scope="module")
def one_process_losses(shards, tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    subprocess.run(trainer_command(shards, out, *TWO_PROCESS_SETTINGS, "--grad_accum=2"), check=True,
                   capture_output=True, cwd=REPO)
    return step_losses(read_log(out))


TWO_PROCESS_SETTINGS = ["--max_steps=8", "--warmup_steps=2", "--eval_every=4", "--checkpoint_every=4",
                        "--batch_size=4"]


@pytest.mark.parametrize("kind", ["ddp", "fsdp"])
def test_two_processes_give_the_losses_of_one_with_the_same_global_batch(shards, one_process_losses, tmp_path,
                                                                          kind):
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    settings = [*TWO_PROCESS_SETTINGS, "--grad_accum=1", f"--distributed={kind}"]
    two = torchrun + trainer_command(shards, tmp_path / "two", *settings)[1:]
    subprocess.run(two, check=True, capture_output=True, cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"})
    one, two = one_process_losses, step_losses(read_log(tmp_path / "two"))
    assert sorted(one) == sorted(two) == list(range(1, 9))
    assert all(abs(one[s] - two[s]) <= 1e-5 for s in one)


def test_shards_of_another_tokenizer_are_refused_with_what_to_rerun(shards, tmp_path, capsys):
    other = build_shards(tmp_path / "other", ["दूसरा पाठ " * 50] * 20)
    args = [str(TINY), f"--data_dir={shards}", f"--tokenizer={other.parent / 'tok' / 'tokenizer.model'}",
            f"--out_dir={tmp_path / 'run'}"]
    assert main(args) == 2
    assert "re-run `make shards`" in capsys.readouterr().err


def test_sigterm_saves_a_checkpoint_at_the_next_step_and_exits(shards, tmp_path):
    never = "100000"
    command = trainer_command(shards, tmp_path, f"--max_steps={never}", f"--checkpoint_every={never}",
                              f"--eval_every={never}")
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while max(step_losses(records_so_far(tmp_path)), default=0) < 5:
            assert process.poll() is None
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:  # a failed wait must not leave a run of 100,000 steps behind
        process.kill()
    stopped = next(r for r in read_log(tmp_path) if r.get("event") == "stopped")
    assert (tmp_path / "checkpoints" / f"step_{stopped['step']:08d}" / "checksums.json").exists()


def test_non_finite_losses_stop_the_run_with_advice(shards, tmp_path, capsys):
    args = [str(TINY), f"--data_dir={shards}", f"--out_dir={tmp_path}", "--lr=1e30", "--min_lr=1e30",
            "--grad_clip=0", "--max_steps=50", *QUIET]
    assert main(args) == 2
    assert "non-finite losses in a row" in capsys.readouterr().err
    assert any(r.get("skipped") for r in read_log(tmp_path))


def test_an_existing_run_is_neither_overwritten_nor_appended_to_without_resume_or_overwrite(shards, tmp_path, capsys):
    args = [str(TINY), f"--data_dir={shards}", f"--out_dir={tmp_path}", "--max_steps=4", "--warmup_steps=1",
            "--checkpoint_every=2", "--eval_every=4", *QUIET]
    assert main(args) == 0
    first_log = (tmp_path / "log.jsonl").read_text()
    assert main(args) == 2
    error = capsys.readouterr().err
    assert str(tmp_path) in error and "--resume" in error and "--overwrite" in error
    assert (tmp_path / "log.jsonl").read_text() == first_log
    assert main([*args, "--overwrite", "--max_steps=2", "--checkpoint_every=1"]) == 0
    assert [r["step"] for r in read_log(tmp_path) if "event" not in r] == [1, 2]  # one run's steps, from step 1
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("step_*")) == ["step_00000001", "step_00000002"]
    assert main([*args, "--overwrite", "--resume"]) == 2
    assert "either" in capsys.readouterr().err


def test_keep_last_zero_is_a_config_error_not_a_deleted_checkpoint(shards, tmp_path, capsys):
    assert main([str(TINY), f"--data_dir={shards}", f"--out_dir={tmp_path}", "--keep_last=0", *QUIET]) == 2
    assert "keep_last" in capsys.readouterr().err
    assert not (tmp_path / "checkpoints").exists()
