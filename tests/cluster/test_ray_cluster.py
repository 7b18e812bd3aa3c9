"""The whole chain (01-06) through `executor.kind: ray` with `address: auto` on a real Ray cluster of two raylets
on this machine: the books equal a local run's, and with the second raylet killed mid-stage the run completes
(datatrove gives the lost tasks to the surviving node; started again if it still had to), nothing lost, nothing
written twice."""

import subprocess

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


def start_chain(cluster: RayCluster, workdir, tokenizer) -> subprocess.Popen:
    return subprocess.Popen(chain_command(workdir, tokenizer, *ON_RAY), cwd=REPO,
                            env=project_env(RAY_ADDRESS=cluster.address), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_the_chain_on_two_raylets_has_the_books_of_a_local_run(ray_cluster, local_run, sample_tokenizer, tmp_path):
    chain = start_chain(ray_cluster, tmp_path, sample_tokenizer)
    out, err = chain.communicate(timeout=PATIENCE_S)
    assert chain.returncode == 0, out[-2000:] + err[-3000:]
    assert_same_books(local_run, tmp_path / "sample")


def test_a_worker_raylet_killed_mid_stage_loses_nothing(ray_cluster, local_run, sample_tokenizer, tmp_path):
    chain = start_chain(ray_cluster, tmp_path, sample_tokenizer)
    filter_logs = tmp_path / "sample" / "02_filter" / "logs"
    wait_until(lambda: (filter_logs / "executor.json").exists() or chain.poll() is not None, "stage 02_filter")
    assert chain.poll() is None, "the chain ended before the filter stage"
    ray_cluster.kill_worker_raylet()
    out, err = chain.communicate(timeout=PATIENCE_S)
    if chain.returncode != 0:  # datatrove retries lost tasks three times; a rerun runs only the unfinished ones
        chain = start_chain(ray_cluster, tmp_path, sample_tokenizer)
        out, err = chain.communicate(timeout=PATIENCE_S)
    assert chain.returncode == 0, out[-2000:] + err[-3000:]
    assert ray_cluster.alive_nodes() == 1, "the worker raylet stayed dead: the head finished the run alone"
    assert_same_books(local_run, tmp_path / "sample")
