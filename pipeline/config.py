"""The run config: sources, work folder, executor and every stage's parameters, in one YAML file.

`configs/local.yaml` documents each key next to its default; this module is the single source of the
defaults and of the type checks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.dedup.steps import DedupConfig
from pipeline.filter.settings import FilterConfig
from pipeline.hinglish.settings import HinglishConfig
from pipeline.ingest.settings import IngestConfig
from pipeline.tokenize.settings import TokenizeConfig
from pipeline.typed_config import ConfigError, load_config

SourceKind = Literal["jsonl", "parquet", "text", "hf"]


@dataclass
class SourceConfig:
    """One input: local files (jsonl, parquet, blank-line separated text) or a Hugging Face hub dataset."""

    name: str
    kind: SourceKind
    path: str = ""  # local file or folder (jsonl, parquet, text)
    glob: str | None = None  # only files matching this, relative to `path` (default: by kind)
    text_key: str = "text"
    id_key: str = "id"
    limit: int = -1  # documents per task; -1 reads everything
    dataset: str = ""  # hub dataset id (kind: hf), e.g. wikimedia/wikipedia
    subset: str | None = None  # hub config name, e.g. 20231101.hi
    split: str = "train"
    streaming: bool = True
    license: str = "not recorded: check the source before redistributing"  # shown on the cards

    def __post_init__(self) -> None:
        if self.kind == "hf" and not self.dataset:
            raise ValueError(f"source {self.name!r} is kind hf but names no dataset")
        if self.kind != "hf" and not self.path:
            raise ValueError(f"source {self.name!r} is kind {self.kind} but has no path")


@dataclass
class SlurmConfig:
    """Passed to datatrove's SlurmPipelineExecutor (see README, 'Scaling out')."""

    partition: str = "cpu"
    time: str = "04:00:00"
    cpus_per_task: int = 1
    mem_per_cpu_gb: int = 2
    qos: str = "normal"
    venv_path: str | None = ".venv/bin/activate"
    sbatch_args: dict = field(default_factory=dict)
    # false: `run` submits the stages' array jobs and returns (`python -m pipeline card CONFIG` writes the books and
    # cards once they have finished); true: it waits for the jobs, then writes them as a local run does
    wait: bool = False


@dataclass
class RayConfig:
    """Passed to datatrove's RayPipelineExecutor; `address` None starts a local Ray instance."""

    address: str | None = None
    cpus_per_task: int = 1
    mem_per_cpu_gb: float = 2.0


@dataclass
class ExecutorConfig:
    kind: Literal["local", "slurm", "ray"] = "local"
    tasks: int = 2  # datatrove shards input files over tasks; one output file per task
    workers: int = -1  # tasks running at once; -1 = as many as tasks
    slurm: SlurmConfig = field(default_factory=SlurmConfig)
    ray: RayConfig = field(default_factory=RayConfig)


@dataclass
class StagesConfig:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    filter: FilterConfig = field(default_factory=FilterConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    hinglish: HinglishConfig = field(default_factory=HinglishConfig)
    tokenize: TokenizeConfig = field(default_factory=TokenizeConfig)


@dataclass
class RunConfig:
    run: str = "local"
    workdir: str = "work"
    cards_dir: str = "data_cards"
    sources: list[SourceConfig] = field(default_factory=list)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    stages: StagesConfig = field(default_factory=StagesConfig)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.run):
            raise ValueError(f"run name {self.run!r} may hold only letters, digits, '.', '_' and '-'")
        names = [s.name for s in self.sources]
        if len(names) != len(set(names)):
            raise ValueError(f"source names must be unique, got {names}")

    @property
    def run_dir(self) -> Path:
        return Path(self.workdir) / self.run


def local_sources(paths: list[str]) -> list[SourceConfig]:
    """Sources for `--input PATH ...`: the kind is read off file endings (a folder may hold several kinds)."""
    sources = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ConfigError(f"--input {raw} does not exist")
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        kinds = sorted({kind for f in files if (kind := kind_of_file(f.name))})
        if not kinds:
            raise ConfigError(f"--input {raw} holds no .jsonl[.gz|.zst], .parquet or .txt[.gz|.xz|.zst] file to read")
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.name.split(".")[0]) or "input"
        for kind in kinds:
            name = base if len(kinds) == 1 else f"{base}_{kind}"
            glob = None if path.is_file() else DEFAULT_GLOBS[kind]
            sources.append(SourceConfig(name=name, kind=kind, path=str(path), glob=glob))
    return sources


DEFAULT_GLOBS = {"jsonl": "**/*.jsonl*", "parquet": "**/*.parquet", "text": "**/*.txt*"}


def kind_of_file(name: str) -> SourceKind | None:
    if re.search(r"\.jsonl(\.gz|\.zst)?$", name):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    if re.search(r"\.txt(\.gz|\.xz|\.zst)?$", name):
        return "text"
    return None


def _run_name(prefix: str, sources: list[SourceConfig]) -> str:
    """`<config run>-<source names>-<hash of their absolute paths>`: two folders that share a name (a/input and
    b/input) get their own run folder and cards."""
    paths = "\n".join(str(Path(s.path).resolve()) for s in sources)
    return f"{prefix}-" + "-".join(s.name for s in sources)[:80] + "-" + hashlib.sha1(paths.encode()).hexdigest()[:6]


def load_run_config(
    path: str | None,
    overrides: list[str] | None = None,
    inputs: list[str] | None = None,
    workdir: str | None = None,
    run: str | None = None,
) -> RunConfig:
    """The run config with command-line choices applied: `--input` replaces the sources and, unless
    `--run` is given, names the run after the inputs so that two inputs never share completion markers."""
    config = load_config(RunConfig, path, overrides)
    if inputs:
        config.sources = local_sources(inputs)
        config.run = run or _run_name(config.run, config.sources)
    elif run:
        config.run = run
    if workdir:
        config.workdir = workdir
    if not config.sources:
        raise ConfigError(f"{path}: no sources; add a `sources:` list or pass --input PATH")
    RunConfig.__post_init__(config)
    return config
