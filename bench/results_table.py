"""The result record every benchmark writes, and the table `make bench` prints."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass
class BenchResult:
    name: str
    value: float
    unit: str
    baseline: float
    baseline_name: str
    target_ratio: float | None = None  # the ratio an issue asks for, when there is one
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")

    def save(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        record = asdict(self) | {
            "ratio": round(self.ratio, 4),
            "machine": platform.machine(),
            "python": platform.python_version(),
        }
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False))
        return path


def print_table(results: list[BenchResult]) -> None:
    header = f"{'benchmark':34} {'value':>12} {'baseline':>12} {'unit':>10} {'ratio':>7} {'target':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        target = f"≥{r.target_ratio:.2f}" if r.target_ratio else ""
        print(f"{r.name:34} {r.value:12.3f} {r.baseline:12.3f} {r.unit:>10} {r.ratio:7.3f} {target:>7}")
        print(f"{'':34} baseline: {r.baseline_name}")
