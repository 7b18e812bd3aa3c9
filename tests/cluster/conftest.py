"""Fixtures of the cluster tests (`make test-cluster`; the default `make test` leaves them out): a tokenizer for
stage 06 and a local run of the whole sample chain, the reference every cluster run is held against."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster.clusters import PATIENCE_S, project_env
from tests.conftest import REPO, SAMPLE_CONFIG


def chain_command(workdir: Path, tokenizer: Path, *overrides: str) -> list[str]:
    """The whole chain (01-06) on the bundled sample, without the romanised-Hindi detector (training it takes
    longer than the rest of the chain on this sample)."""
    return [sys.executable, "-m", "pipeline", "run", str(SAMPLE_CONFIG), "--workdir", str(workdir),
            f"--cards_dir={workdir / 'cards'}", "--stages.filter.language.hinglish_model=none",
            f"--stages.tokenize.tokenizer={tokenizer}", *overrides]


def run_chain(workdir: Path, tokenizer: Path, *overrides: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(chain_command(workdir, tokenizer, *overrides), cwd=REPO, env=project_env(),
                          capture_output=True, text=True, timeout=PATIENCE_S)
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="session")
def local_run(tmp_path_factory) -> Path:
    """The run folder of the whole chain on the local executor: stages 01-05, the tokenizer trained on 05's
    output as `make tokenizer` trains it, then stage 06 with it."""
    workdir = tmp_path_factory.mktemp("local")
    no_tokenizer = chain_command(workdir, Path())[:-1]
    done = subprocess.run(no_tokenizer, cwd=REPO, env=project_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    subprocess.run([sys.executable, "-m", "tokenizer", "train", str(REPO / "configs" / "tokenizer_sample.yaml"),
                    f"--run_dir={workdir / 'sample'}", "--out", str(workdir / "tokenizer")], cwd=REPO,
                   env=project_env(), check=True, capture_output=True)
    run_chain(workdir, workdir / "tokenizer" / "tokenizer.model", "--stage", "tokenize")
    return workdir / "sample"


@pytest.fixture(scope="session")
def sample_tokenizer(local_run) -> Path:
    """The tokenizer the local run's stage 06 used, so that one cluster submission runs all six stages."""
    return local_run.parent / "tokenizer" / "tokenizer.model"
