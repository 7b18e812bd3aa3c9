"""datatrove executors from the run config: local by default, Slurm or Ray when the config says so.
Steps never know which one runs them."""

from __future__ import annotations

import getpass
import subprocess
import sys
import threading
import time
from pathlib import Path

from datatrove.executor.base import PipelineExecutor
from datatrove.pipeline.base import PipelineStep

from pipeline.config import ExecutorConfig

# Python threads a forked worker can do without: fsspec's IO loop, which every datatrove DataFolder starts (fsspec
# resets its loop in a forked child, and the pool's workers unpickle their own folders).
_FORK_SAFE_THREADS = frozenset({"fsspecIO"})


def _start_method() -> str:
    """fork while every other thread of this process is fork-safe: workers start at once. A caller that has run
    torch, tokenizers or lm-eval holds native threads, and a child forked from it can deadlock on a lock one of them
    held (seen in the test suite), so then forkserver, whose server starts clean but imports the project again in
    each worker (1-2 CPU s per executor run). numpy's OpenBLAS pool is such a thread unless it is limited to one
    before numpy is imported, as `python -m pipeline` does (pipeline/__main__.py)."""
    threads = Path("/proc/self/task")
    if not threads.is_dir():
        return "forkserver"
    fork_safe = sum(thread.name in _FORK_SAFE_THREADS for thread in threading.enumerate())
    return "fork" if len(list(threads.iterdir())) == 1 + fork_safe else "forkserver"


def build_executor(
    settings: ExecutorConfig,
    pipeline: list[PipelineStep],
    logs: Path,
    job_name: str,
    depends: PipelineExecutor | None = None,
    tasks: int | None = None,
) -> PipelineExecutor:
    """`tasks` overrides the config's for pipelines whose task count is fixed (MinHash buckets and clusters)."""
    common = dict(tasks=tasks or settings.tasks, workers=settings.workers, logging_dir=str(logs))
    if settings.kind == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(pipeline, start_method=_start_method(), depends=depends, **common)
    if settings.kind == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        slurm = settings.slurm
        return SlurmPipelineExecutor(
            pipeline,
            job_name=job_name,
            partition=slurm.partition,
            time=slurm.time,
            cpus_per_task=slurm.cpus_per_task,
            mem_per_cpu_gb=slurm.mem_per_cpu_gb,
            qos=slurm.qos,
            venv_path=slurm.venv_path,
            sbatch_args=slurm.sbatch_args,
            slurm_logs_folder=str(logs / "slurm"),
            depends=depends,
            **common,
        )
    from datatrove.executor import RayPipelineExecutor

    return RayPipelineExecutor(
        pipeline,
        cpus_per_task=settings.ray.cpus_per_task,
        mem_per_cpu_gb=settings.ray.mem_per_cpu_gb,
        depends=depends,
        **common,
    )


def wait_for_slurm_jobs(job_ids: list[str], poll_s: float = 10.0) -> None:
    """Return once Slurm no longer lists any of these (array) jobs, whatever their end: the stages' completion
    markers, not the jobs' states, tell what finished. A job whose dependency can never be met (an earlier stage
    failed or was cancelled) is cancelled here, since it would otherwise wait forever on clusters without
    kill_invalid_depend. Prints the remaining jobs when they change, so a long wait shows progress."""
    waiting, shown = {j for j in job_ids if str(j) != "-1"}, None
    while waiting:
        states = _queued_states(waiting)
        stuck = sorted({j for j, state in states.items() if "DependencyNeverSatisfied" in state})
        if stuck:
            print(f"cancelling Slurm job(s) {', '.join(stuck)}: their dependency can never be met", file=sys.stderr)
            subprocess.run(["scancel", *stuck], check=True)
        waiting = set(states)
        if waiting and states != shown:
            listed = "; ".join(f"{j} {states[j]}" for j in sorted(waiting, key=int))
            print(f"waiting for {len(waiting)} Slurm job(s): {listed}", file=sys.stderr, flush=True)
            shown = states
        if waiting:
            time.sleep(poll_s)


def _queued_states(job_ids: set[str]) -> dict[str, str]:
    """job id -> "name state reason" of those of `job_ids` that Slurm still lists (array jobs by their id)."""
    queued = subprocess.run(
        ["squeue", "--noheader", "--format=%F %j %T %r", f"--user={getpass.getuser()}"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    return {line.split()[0]: line.split(maxsplit=1)[1] for line in queued if line.split()[0] in job_ids}
