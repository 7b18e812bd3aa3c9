"""Training through Slurm: trainer/slurm_train.sbatch launches torchrun through srun (CPU, gloo, 2 processes);
the job cancelled (scancel) and submitted again resumes from its last checkpoint with the losses of an
uninterrupted run, bit for bit."""

import subprocess

import pytest

from tests.cluster.clusters import PATIENCE_S, REPO, local_slurm, project_env, wait_for_slurm_job_end, wait_until
from tests.cluster.training import last_step, torchrun, trainer_args
from tests.trainer_helpers import build_shards, read_log, step_losses

pytestmark = pytest.mark.cluster
TEMPLATE = REPO / "trainer" / "slurm_train.sbatch"


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    with local_slurm(tmp_path_factory.mktemp("slurm")) as state:
        yield state


def submit(shards, out_dir) -> str:
    """sbatch the template as a user would, from the repository; returns the job id."""
    command = ["sbatch", "--parsable", f"--output={out_dir}.%j.out", str(TEMPLATE), *trainer_args(shards, out_dir)[2:]]
    env = project_env(NPROC_PER_NODE="2", VENV=str(REPO / ".venv"))
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_a_cancelled_training_job_submitted_again_resumes_exactly(slurm, tmp_path):
    shards = build_shards(tmp_path / "data")
    whole, cancelled = tmp_path / "whole", tmp_path / "cancelled"
    subprocess.run(torchrun(1, 2, *trainer_args(shards, whole)), cwd=REPO, env=project_env(), check=True,
                   capture_output=True, timeout=PATIENCE_S)

    job = submit(shards, cancelled)
    wait_until(lambda: last_step(cancelled) >= 15, "step 15 of the Slurm job",
               poll_s=0.05)
    subprocess.run(["scancel", job], check=True)
    wait_for_slurm_job_end(job)
    at_cancel = max(step_losses(read_log(cancelled)))
    last_checkpoint = int((cancelled / "checkpoints" / "latest").read_text().strip().removeprefix("step_"))
    assert 10 <= last_checkpoint <= at_cancel < 40, "cancelled mid-run, after a checkpoint"

    again = submit(shards, cancelled)
    wait_for_slurm_job_end(again)
    resumed = read_log(cancelled)
    assert max(step_losses(resumed)) == 40, (tmp_path / f"cancelled.{again}.out").read_text()[-3000:]
    resume = next(r for r in resumed if r.get("event") == "resume")
    assert resume["step"] == last_checkpoint
    assert [r["step"] for r in resumed if "event" not in r] == list(range(1, 41)), "each step logged once"
    after = step_losses(resumed[resumed.index(resume) :])
    assert after and all(after[s] == step_losses(read_log(whole))[s] for s in after), "bit for bit"
