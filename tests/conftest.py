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
    """Common CLI arguments that keep a test's work and cards inside its tmp_path. No romanised-Hindi detector
    (training one takes ~15 s): the tests that need one name it."""
    return ["--workdir", str(tmp_path / "work"), "--set", f"cards_dir={tmp_path / 'cards'}",
            "--set", "stages.filter.language.hinglish_model=none"]


@pytest.fixture(scope="session")
def repeated_text_run(tmp_path_factory):
    """A tiny model trained on one repeated Hindi paragraph (tests/evaluation_helpers.py), shared by the
    evaluation, lm-eval and report tests: one training for all of them."""
    from tests.evaluation_helpers import train_repeated_text

    return train_repeated_text(tmp_path_factory.mktemp("repeated"))


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """The web app's server over a tiny trained checkpoint and the sample's pipeline run (tests/webapp_helpers.py),
    shared by tests/test_webapp.py and tests/test_webapp_pages.py: one server for both."""
    from tests.webapp_helpers import serve

    yield from serve(tmp_path_factory)
