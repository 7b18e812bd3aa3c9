"""Training across nodes: two torchrun invocations (`--nnodes 2`, one process each) meeting at a c10d
rendezvous on localhost (gloo) give the losses of one process with the same global batch, with DDP and FSDP2;
one node killed mid-run and the job started again resumes from its last checkpoint with the uninterrupted
run's losses."""

import subprocess
import sys

import psutil
import pytest

from tests.cluster.clusters import PATIENCE_S, free_port, project_env, wait_until
from tests.cluster.training import last_step, torchrun, trainer_args
from tests.conftest import REPO
from tests.trainer_helpers import build_shards, read_log, step_losses

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return build_shards(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def one_process(shards, tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    subprocess.run([sys.executable, *trainer_args(shards, out, "--grad_accum=2")], check=True, cwd=REPO,
                   env=project_env(), capture_output=True, timeout=PATIENCE_S)
    return step_losses(read_log(out))


def start_nodes(shards, out_dir, port: int, *extra: str) -> list[subprocess.Popen]:
    """Two torchrun 'nodes' on this machine, each in its own process group."""
    return [subprocess.Popen(torchrun(2, 1, *trainer_args(shards, out_dir, *extra), node_rank=rank,
                                      endpoint=f"127.0.0.1:{port}"),
                             cwd=REPO, env=project_env(), start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for rank in (0, 1)]


def finish(nodes: list[subprocess.Popen]) -> None:
    for node in nodes:
        _, err = node.communicate(timeout=PATIENCE_S)
        assert node.returncode == 0, err[-3000:]


def kill_node(node: subprocess.Popen) -> None:
    """SIGKILL a node whole: its torchrun agent and the trainer processes it started (in sessions of their own)."""
    agent = psutil.Process(node.pid)
    for process in [*agent.children(recursive=True), agent]:
        process.kill()
    node.wait()


@pytest.fixture(scope="module", params=["ddp", "fsdp"])
def two_nodes(request, shards, tmp_path_factory):
    """An uninterrupted two-node run: its kind and its out_dir."""
    out = tmp_path_factory.mktemp(f"two_nodes_{request.param}")
    finish(start_nodes(shards, out, free_port(), f"--distributed={request.param}"))
    return request.param, out


def test_two_nodes_give_the_losses_of_one_process_with_the_same_global_batch(two_nodes, one_process):
    losses = step_losses(read_log(two_nodes[1]))
    assert sorted(losses) == sorted(one_process) == list(range(1, 41))
    assert all(abs(losses[s] - one_process[s]) <= 1e-5 for s in one_process)


def test_a_killed_node_and_a_restarted_job_resume_from_the_last_checkpoint(shards, two_nodes, tmp_path):
    kind, whole = two_nodes
    nodes = start_nodes(shards, tmp_path, free_port(), f"--distributed={kind}")
    wait_until(lambda: last_step(tmp_path) >= 15, "step 15", poll_s=0.05)
    kill_node(nodes[1])
    try:  # the surviving node's collective fails on the lost peer and its torchrun gives up
        nodes[0].communicate(timeout=300)
    except subprocess.TimeoutExpired:
        kill_node(nodes[0])
    at_kill = max(step_losses(read_log(tmp_path)))
    last_checkpoint = int((tmp_path / "checkpoints" / "latest").read_text().strip().removeprefix("step_"))
    assert 10 <= last_checkpoint <= at_kill < 40, "killed mid-run, after a checkpoint"

    finish(start_nodes(shards, tmp_path, free_port(), f"--distributed={kind}", "--resume"))
    resumed = read_log(tmp_path)
    resume = next(r for r in resumed if r.get("event") == "resume")
    assert resume["step"] == last_checkpoint
    assert [r["step"] for r in resumed if "event" not in r] == list(range(1, 41)), "each step logged once"
    after = step_losses(resumed[resumed.index(resume) :])
    assert after and all(after[s] == step_losses(read_log(whole))[s] for s in after), "bit for bit"
