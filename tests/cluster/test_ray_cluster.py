"""The whole chain (01-06) through `executor.kind: ray` with `address: auto` on a real Ray cluster of two raylets
on this machine: the books equal a local run's, and with the second raylet killed mid-stage the run completes
(datatrove gives the lost task to the surviving node; the run is started again where it had to be), nothing
lost, nothing written twice."""

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cluster.books import assert_same_books
from tests.cluster.clusters import PATIENCE_S, REPO, RayCluster, project_env, wait_until
from tests.cluster.conftest import chain_command

pytestmark = pytest.mark.cluster
ON_RAY = ["--executor.kind=ray", "--executor.ray.address=auto", "--executor.ray.mem_per_cpu_gb=0.5"]


@pytest.fixture
def ray_cluster():
    cluster = RayCluster(cpus_per_node=1)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def start_chain(cluster: RayCluster, workdir: Path, tokenizer: Path) -> subprocess.Popen:
    """The chain as a process whose output goes to workdir/chain.log (a pipe nobody reads would stall it)."""
    with open(workdir / "chain.log", "a") as log:
        return subprocess.Popen(chain_command(workdir, tokenizer, *ON_RAY), cwd=REPO,
                                env=project_env(RAY_ADDRESS=cluster.address), stdout=log, stderr=subprocess.STDOUT)


def finished(chain: subprocess.Popen, workdir: Path) -> None:
    chain.wait(timeout=PATIENCE_S)
    assert chain.returncode == 0, (workdir / "chain.log").read_text()[-4000:]


def test_the_chain_on_two_raylets_has_the_books_of_a_local_run(ray_cluster, local_run, sample_tokenizer, tmp_path):
    finished(start_chain(ray_cluster, tmp_path, sample_tokenizer), tmp_path)
    assert_same_books(local_run, tmp_path / "sample")


def markers(run: Path) -> int:
    return sum(1 for _ in run.glob("*/logs/**/completions/*"))


def run_until_done_or_stalled(chain: subprocess.Popen, run: Path, stall_s: float = 240) -> int:
    """The chain's exit status; a chain that finishes no task for `stall_s` is interrupted (Ctrl-C): datatrove
    0.10.1's Ray executor can wait forever for the replacement of a task lost with its node."""
    last, count = time.time(), markers(run)
    while chain.poll() is None:
        if markers(run) != count:
            last, count = time.time(), markers(run)
        elif time.time() - last > stall_s:
            chain.send_signal(signal.SIGINT)
            chain.wait(timeout=120)
        time.sleep(1)
    return chain.returncode


def test_a_worker_raylet_killed_mid_stage_loses_nothing(ray_cluster, local_run, sample_tokenizer, tmp_path):
    chain = start_chain(ray_cluster, tmp_path, sample_tokenizer)
    filter_logs = tmp_path / "sample" / "02_filter" / "logs"
    wait_until(lambda: (filter_logs / "executor.json").exists() or chain.poll() is not None, "stage 02_filter")
    assert chain.poll() is None, "the chain ended before the filter stage"
    ray_cluster.kill_worker_raylet()
    if run_until_done_or_stalled(chain, tmp_path / "sample") != 0:  # a rerun runs only the unfinished tasks
        chain = start_chain(ray_cluster, tmp_path, sample_tokenizer)
    finished(chain, tmp_path)
    assert ray_cluster.alive_nodes() == 1, "the worker raylet stayed dead: the head finished the run alone"
    assert_same_books(local_run, tmp_path / "sample")
