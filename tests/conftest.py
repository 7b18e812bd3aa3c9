"""Shared fixtures. Tests never touch the network; corpus tests skip when ../shared/corpus is absent."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLE_CONFIG = REPO / "configs" / "sample.yaml"


def corpus_path(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: these tests read the shared corpus, expected at ../shared/corpus")
    return path


def read_jsonl_folder(folder: Path) -> list[dict]:
    records = []
    for path in sorted(Path(folder).rglob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            records += [json.loads(line) for line in f]
    return records


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def run_args(tmp_path):
    """Common CLI arguments that keep a test's work and cards inside its tmp_path."""
    return ["--workdir", str(tmp_path / "work"), "--set", f"cards_dir={tmp_path / 'cards'}"]
