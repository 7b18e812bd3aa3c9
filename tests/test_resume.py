"""kill -9 half-way through an ingest run, run the same command again: every document exactly once."""

import json
import os
import signal
import subprocess
import sys
import time

from pipeline.config import load_run_config
from tests.conftest import REPO, SAMPLE_CONFIG, read_jsonl_folder, write_jsonl

FILES, DOCS_PER_FILE = 6, 6000


def make_input(folder):
    line = "यह एक परीक्षण वाक्य है जिसे बार-बार लिखा गया है ताकि फ़ाइल बड़ी हो। "
    for f in range(FILES):
        write_jsonl(
            folder / f"part{f}.jsonl",
            [{"id": f"{f}-{i}", "text": f"दस्तावेज़ {f}-{i}: " + line * 8} for i in range(DOCS_PER_FILE)],
        )


def command(folder, workdir, cards):
    return [
        sys.executable,
        "-m",
        "pipeline",
        "run",
        str(SAMPLE_CONFIG),
        "--input",
        str(folder),
        "--workdir",
        str(workdir),
        f"--cards_dir={cards}",
        f"--executor.tasks={FILES}",
        "--executor.workers=1",
        "--stages.filter.language.hinglish_model=none",
    ]


def test_a_killed_run_resumes_and_writes_every_document_exactly_once(tmp_path):
    folder, workdir = tmp_path / "in", tmp_path / "work"
    make_input(folder)
    stage = load_run_config(str(SAMPLE_CONFIG), inputs=[str(folder)], workdir=str(workdir)).run_dir / "01_ingest"
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        command(folder, workdir, tmp_path / "cards"),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not list((stage / "logs" / "completions").glob("*")):
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list((stage / "logs" / "completions").glob("*")))
    assert 1 <= finished < FILES, "the kill should land half-way"

    subprocess.run(
        command(folder, workdir, tmp_path / "cards"),
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    ids = [d["metadata"]["original_id"] for d in read_jsonl_folder(stage / "output")]
    assert len(ids) == FILES * DOCS_PER_FILE
    assert len(set(ids)) == len(ids)
    stats = json.loads((stage / "stats.json").read_text())
    assert stats["documents_in"] == stats["documents_out"] == FILES * DOCS_PER_FILE
    assert stats["balanced"] and stats["tasks_completed"] == FILES
