"""The ingest stage on real text from ../shared/corpus, through the command line as a user runs it."""

import gzip
import json
import subprocess
import sys

from tests.conftest import REPO, corpus_path, read_jsonl_folder


def test_ingest_of_the_web_like_corpus_balances_and_writes_its_card(tmp_path):
    corpus = corpus_path("hi_web_like")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "run",
            "configs/local.yaml",
            "--stage",
            "ingest",
            "--input",
            str(corpus),
            "--workdir",
            str(tmp_path / "w"),
            f"--cards_dir={tmp_path / 'cards'}",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (run_dir,) = (tmp_path / "w").glob("local-hi_web_like-*")  # named after the input, with a hash of its path
    stage = run_dir / "01_ingest"
    stats = json.loads((stage / "stats.json").read_text())
    records = sum(1 for path in corpus.rglob("*.jsonl*") for _ in _lines(path))
    assert stats["documents_in"] == records
    assert stats["documents_in"] == stats["documents_out"] + stats["documents_set_aside"]
    assert len(read_jsonl_folder(stage / "output")) == stats["documents_out"]
    card = tmp_path / "cards" / run_dir.name
    assert "holds exactly" in (card / "01_ingest.md").read_text()
    assert len(list(card.glob("01_ingest_*.png"))) == 3


def _lines(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        yield from (line for line in f if line.strip())
