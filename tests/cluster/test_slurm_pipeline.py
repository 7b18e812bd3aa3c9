"""The whole chain (01-06) through `executor.kind: slurm` on a real one-machine Slurm cluster: the books equal a
local run's, and a stage's array job cancelled mid-run (scancel) then the run started again finishes with nothing
lost and nothing written twice."""

import json
import subprocess

import pytest

from tests.cluster.books import assert_same_books
from tests.cluster.clusters import REPO, local_slurm, project_env, squeue, wait_until
from tests.cluster.conftest import chain_command, run_chain

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    with local_slurm(tmp_path_factory.mktemp("slurm")) as state:
        yield state


def on_slurm(*extra: str) -> list[str]:
    """One CPU and 1 GB a task (the two-core machine runs two at once); the run waits for its jobs."""
    return ["--executor.kind=slurm", "--executor.slurm.wait=true", "--executor.slurm.cpus_per_task=1",
            "--executor.slurm.mem_per_cpu_gb=1", "--executor.slurm.time=01:00:00",
            f"--executor.slurm.venv_path={REPO / '.venv' / 'bin' / 'activate'}", *extra]


def test_the_chain_on_slurm_has_the_books_of_a_local_run(slurm, local_run, sample_tokenizer, tmp_path):
    done = run_chain(tmp_path, sample_tokenizer, *on_slurm())
    assert "submitted to Slurm as job(s)" in done.stdout
    assert_same_books(local_run, tmp_path / "sample")
    assert any((tmp_path / "sample" / "02_filter" / "logs" / "slurm").glob("*.out")), "Slurm's own logs are kept"


def test_a_stage_cancelled_mid_run_finishes_on_the_rerun_with_nothing_lost_or_twice(
    slurm, local_run, sample_tokenizer, tmp_path
):
    # one task at a time, so that cancelling the stage while its first task runs always leaves the second undone
    # (`workers` is no part of a stage's fingerprint: the rerun runs two at once on the same markers)
    command = chain_command(tmp_path, sample_tokenizer, *on_slurm("--executor.workers=1"))
    first = subprocess.Popen(command, cwd=REPO, env=project_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    running = wait_until(lambda: [line.split()[0] for line in squeue("--format=%F %j %T")
                                  if "sample_02_filter RUNNING" in line.split(maxsplit=1)[1]],
                         "stage 02_filter's array job to run")
    subprocess.run(["scancel", running[0]], check=True)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 2 and "without finishing 02_filter" in err, out[-2000:] + err[-2000:]
    assert not squeue(), "the later stages' jobs, whose dependency can no longer be met, left the queue"
    assert json.loads((tmp_path / "sample" / "02_filter" / "stats.json").read_text())["tasks_completed"] < 2

    run_chain(tmp_path, sample_tokenizer, *on_slurm())
    assert_same_books(local_run, tmp_path / "sample")
