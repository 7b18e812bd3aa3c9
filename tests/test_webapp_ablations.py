"""The ablations page's JSON: every ablation.json under the training folders, and its HTML table, read-only."""

from __future__ import annotations

import json
from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.testclient import TestClient

from webapp.ablations import router
from webapp.api_errors import install_error_handlers
from webapp.training_log import TrainingRuns


def _client(roots) -> TestClient:
    app = FastAPI()
    app.state.server = SimpleNamespace(training=TrainingRuns(roots))
    install_error_handlers(app)
    app.include_router(router)
    return TestClient(app)


def test_lists_ablations_two_levels_down_and_serves_their_table(tmp_path):
    folder = tmp_path / "work" / "ablations" / "cpu"
    folder.mkdir(parents=True)
    record = {"name": "cpu", "baseline": "raw", "arms": {"raw": {}, "filtered": {}}, "seeds": [0, 1],
              "units_finished": 3, "units_total": 4, "finished": "2026-12-03 15:00 UTC", "machine": "cpu, 2 cores"}
    (folder / "ablation.json").write_text(json.dumps(record))
    (folder / "ablation.html").write_text("<table><tr><td>raw</td></tr></table>")
    client = _client([tmp_path / "runs", tmp_path / "work"])

    listed = client.get("/api/ablations").json()["ablations"]
    assert [(a["name"], a["arms"], a["units_finished"], a["report"]) for a in listed] == [
        ("cpu", ["raw", "filtered"], 3, True)]
    assert "<td>raw</td>" in client.get("/ablations/cpu/report.html").text
    missing = client.get("/ablations/other/report.html")
    assert missing.status_code == 404 and "no ablation 'other'" in missing.json()["error"]["message"]
    assert client.get("/ablations/..%2F..%2Fetc/report.html").status_code == 404
