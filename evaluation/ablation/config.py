"""The ablation config (configs/ablation_cpu.yaml documents every key): arms, the one tokenizer, the one recipe and
token budget, seeds, the held-out evaluation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass
class ArmConfig:
    """One data variant: the output of `stage` of the pipeline run, that run taking `overrides` (KEY=VALUE of the
    run config, e.g. stages.hinglish.romanised_fraction=0) when given."""

    name: str
    stage: str
    overrides: list[str] = field(default_factory=list)


@dataclass
class PipelineSettings:
    config: str = "configs/local.yaml"
    inputs: list[str] = field(default_factory=list)  # --input paths (replace the config's sources)
    workdir: str = "work/ablation_runs"  # the arms' pipeline runs; variants share every stage they do not change
    overrides: list[str] = field(default_factory=list)  # for every arm (executor.tasks=2, ...)


@dataclass
class TokenizerSettings:
    """One tokenizer for all arms, trained on one arm's data: only the data differs between arms. Bits per byte
    does not depend on the tokenizer, so a small vocabulary (fewer embedding parameters, faster steps) is fair."""

    arm: str = ""  # the arm whose documents it is trained on; empty: the baseline arm
    config: str = "configs/tokenizer.yaml"
    overrides: list[str] = field(default_factory=lambda: ["train.vocab_size=8000", "sample.sentences=100000"])


@dataclass
class TrainSettings:
    config: str = "configs/train_tiny.yaml"
    overrides: list[str] = field(default_factory=list)  # KEY=VALUE of the training config (model, block_size, lr ...)
    tokens: int = 1_000_000  # training tokens per arm and seed: an arm with less data repeats it (epochs reported)
    curve_points: int = 4  # held-out evaluations during training, for the plot of bits per byte over tokens
    # torch CPU threads for training and evaluation; 0: torch's default (one per core). On a machine whose cores
    # other work shares, 1 is many times faster than 2 (threads wait for each other): docs/ablations.md.
    threads: int = 0


@dataclass
class EvalSettings:
    """Held-out Hindi and real Hinglish for bits per byte; the next-sentence items (Devanagari and romanised) are
    made from the Hindi documents (evaluation tasks, `make eval-tasks`)."""

    hindi: list[str] = field(default_factory=list)
    hinglish: list[str] = field(default_factory=list)
    hindi_documents: int = 10  # the first this many documents of each language (0: all)
    hinglish_documents: int = 300
    # the first this many of each for the evaluations during training (the plot): fewer, they run several times
    curve_hindi_documents: int = 3
    curve_hinglish_documents: int = 100
    seed: int = 0


@dataclass
class AblationConfig:
    name: str = "ablation"
    out_dir: str = "work/ablations/ablation"  # ablation.json, ablation.md/.html, the plot, units/, tokenizer/
    baseline: str = ""  # the arm the others are compared with; empty: the first
    seeds: list[int] = field(default_factory=lambda: [0, 1])
    arms: list[ArmConfig] = field(default_factory=list)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    tokenizer: TokenizerSettings = field(default_factory=TokenizerSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    eval: EvalSettings = field(default_factory=EvalSettings)
    val_fraction: float = 0.01  # of each arm's documents (by root id) for the trainer's validation loss

    def __post_init__(self) -> None:
        names = [arm.name for arm in self.arms]
        if len(names) < 1 or len(names) != len(set(names)):
            raise ValueError(f"arms need unique names, got {names}")
        for name in [self.name, *names]:
            if not NAME.fullmatch(name):
                raise ValueError(f"name {name!r} may hold only letters, digits, '.', '_' and '-'")
        self.baseline = self.baseline or names[0]
        self.tokenizer.arm = self.tokenizer.arm or self.baseline
        for key, arm in (("baseline", self.baseline), ("tokenizer.arm", self.tokenizer.arm)):
            if arm not in names:
                raise ValueError(f"{key} {arm!r} is not an arm; arms: {', '.join(names)}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct and at least one, got {self.seeds}")
        if not self.eval.hindi:
            raise ValueError("eval.hindi names no held-out Hindi documents")

    def arm(self, name: str) -> ArmConfig:
        return next(arm for arm in self.arms if arm.name == name)
