"""Real local clusters for the cluster tests: a one-machine Slurm (pipeline/cluster/local_slurm.sh) and a Ray
cluster of two raylets, each started here and stopped even when a test fails. Nothing is mocked."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO

LOCAL_SLURM = REPO / "pipeline" / "cluster" / "local_slurm.sh"
# A loaded two-core machine starts Python, torch and datatrove slowly: generous limits, never timed assertions.
PATIENCE_S = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_env(**extra: str) -> dict[str, str]:
    """The environment of a project command: this checkout's packages first, one thread per process. Ray's token
    authentication off: `ray start --head` turns it on by default (Ray >= 2.5x) once a token exists in ~/.ray, while
    a client started without RAY_AUTH_MODE=token sends none; these clusters listen on this machine only."""
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
            "RAY_AUTH_MODE": "disabled", **extra}


def wait_until(condition, what: str, timeout_s: float = PATIENCE_S, poll_s: float = 0.5):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"gave up after {timeout_s:.0f} s waiting for {what}")


@contextmanager
def local_slurm(state: Path):
    missing = [t for t in ("slurmctld", "slurmd", "sbatch", "munged") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: apt-get install slurmctld slurmd slurm-client munge (.ci/run "
                    "does as root)")
    before = os.environ.get("SLURM_CONF")
    try:
        subprocess.run([str(LOCAL_SLURM), "start", str(state)], check=True, capture_output=True, text=True)
        os.environ["SLURM_CONF"] = str(state / "slurm.conf")
        yield state
    except subprocess.CalledProcessError as err:
        raise AssertionError(f"local_slurm.sh start failed: {err.stderr}") from err
    finally:
        subprocess.run([str(LOCAL_SLURM), "stop", str(state)], capture_output=True)
        if before is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = before


def squeue(*args: str) -> list[str]:
    return subprocess.run(["squeue", "--noheader", *args], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def wait_for_slurm_job_end(job_id: str) -> None:
    wait_until(lambda: not squeue(f"--jobs={job_id}"), f"Slurm job {job_id} to leave the queue", poll_s=1)


class RayCluster:
    """`ray start --head` and a second `ray start --address` on this machine, each `--block`ed in a process of
    ours, so that stopping them (or killing the worker's raylet) touches no other Ray on the machine."""

    def __init__(self, cpus_per_node: int = 1):
        self.temp_dir = Path(tempfile.mkdtemp(prefix="ray"))  # short: Ray's socket paths must fit 107 bytes
        self.address = f"127.0.0.1:{free_port()}"
        self.cpus = cpus_per_node
        self.nodes: list[subprocess.Popen] = []

    def _start(self, *role: str) -> subprocess.Popen:
        ray = Path(sys.executable).parent / "ray"
        ports = [f"--{name}={free_port()}" for name in (
            "node-manager-port", "object-manager-port", "dashboard-agent-grpc-port", "dashboard-agent-listen-port",
            "metrics-export-port", "runtime-env-agent-port")]
        command = [str(ray), "start", *role, f"--num-cpus={self.cpus}", "--object-store-memory=150000000", "--block",
                   "--disable-usage-stats", *ports]
        log = open(self.temp_dir / f"node{len(self.nodes)}.log", "w")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(command, env=project_env(RAY_ADDRESS=""), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def start(self) -> None:
        host, port = self.address.split(":")
        self.nodes.append(self._start("--head", f"--node-ip-address={host}", f"--port={port}",
                                      f"--temp-dir={self.temp_dir}", "--include-dashboard=false",
                                      f"--ray-client-server-port={free_port()}"))
        wait_until(lambda: self.alive_nodes() >= 1, "the Ray head node", timeout_s=180)
        self.nodes.append(self._start(f"--address={self.address}", f"--node-ip-address={host}"))
        wait_until(lambda: self.alive_nodes() >= 2, "the second raylet to join", timeout_s=180)

    def alive_nodes(self) -> int:
        probe = ("import ray; ray.init(address='auto', logging_level='ERROR'); "
                 "print(sum(n['Alive'] for n in ray.nodes()))")
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=project_env(RAY_ADDRESS=self.address))
        return int(done.stdout.split()[-1]) if done.returncode == 0 and done.stdout.split() else 0

    def kill_worker_raylet(self) -> int:
        """SIGKILL the second node's raylet, as a crashed machine would lose it; returns its pid."""
        import psutil

        raylet = next(p for p in psutil.Process(self.nodes[1].pid).children(recursive=True) if p.name() == "raylet")
        raylet.kill()
        return raylet.pid

    def stop(self) -> None:
        for node in reversed(self.nodes):
            if node.poll() is None:
                node.terminate()  # `ray start --block` stops the processes it started
                try:
                    node.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(node.pid, 9)
                    node.wait()
        shutil.rmtree(self.temp_dir, ignore_errors=True)
