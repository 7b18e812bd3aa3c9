"""The ingest stage through datatrove's RayPipelineExecutor on a local Ray instance."""

import json

import pytest
import ray  # noqa: E402  (a dev dependency: make setup installs it)

from pipeline.__main__ import main
from tests.conftest import SAMPLE_CONFIG, read_jsonl_folder


@pytest.fixture
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ingest_runs_through_ray_with_the_same_books_as_local(tmp_path, local_ray):
    common = [f"--cards_dir={tmp_path / 'cards'}", "--stage", "ingest"]
    assert main(["run", str(SAMPLE_CONFIG), "--workdir", str(tmp_path / "local"), *common]) == 0
    assert (
        main(["run", str(SAMPLE_CONFIG), "--workdir", str(tmp_path / "ray"), "--executor.kind=ray", *common])
        == 0
    )
    local, via_ray = (
        json.loads((tmp_path / w / "sample" / "01_ingest" / "stats.json").read_text())
        for w in ("local", "ray")
    )
    assert via_ray["balanced"] and via_ray["tasks_completed"] == 2
    for key in ("documents_in", "documents_out", "set_aside_by_filter"):
        assert via_ray[key] == local[key]
    ids = sorted(d["id"] for d in read_jsonl_folder(tmp_path / "ray" / "sample" / "01_ingest" / "output"))
    assert ids == sorted(
        d["id"] for d in read_jsonl_folder(tmp_path / "local" / "sample" / "01_ingest" / "output")
    )
