"""datatrove executors from the run config: local by default, Slurm or Ray when the config says so.
Steps never know which one runs them."""

from __future__ import annotations

from pathlib import Path

from datatrove.executor.base import PipelineExecutor
from datatrove.pipeline.base import PipelineStep

from pipeline.config import ExecutorConfig


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

        # fork keeps start-up cheap and needs no importable __main__; the steps hold no threads yet.
        return LocalPipelineExecutor(pipeline, start_method="fork", depends=depends, **common)
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
