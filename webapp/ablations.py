"""The ablations page (`/ablations`): every `ablation.json` (python -m evaluation ablate) under the training folders
(`--runs`, default runs and the work folder), up to two levels down (work/ablations/<name>/), read-only: the list
with each one's state, and its self-contained HTML table and plot."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from webapp.api_errors import APIError
from webapp.data_browser import NotFound, safe_name

router = APIRouter()
STATIC = Path(__file__).parent / "static"
RECORD, REPORT = "ablation.json", "ablation.html"


def find_ablations(roots: list[Path]) -> dict[str, Path]:
    """name (its folder's name) → folder, the first found per name."""
    found: dict[str, Path] = {}
    for root in roots:
        for record in sorted([*root.glob(f"*/{RECORD}"), *root.glob(f"*/*/{RECORD}")]) if root.is_dir() else []:
            found.setdefault(record.parent.name, record.parent)
    return found


def _folder(request: Request, name: str) -> Path:
    ablations = find_ablations(request.app.state.server.training.roots)
    folder = ablations.get(safe_name(name, "ablation"))
    if folder is None:
        raise APIError(404, f"no ablation {name!r} (a folder with {RECORD}); found: {', '.join(ablations) or 'none'}")
    return folder


def _overview(folder: Path) -> dict:
    record = json.loads((folder / RECORD).read_text())
    return {"name": folder.name, "folder": str(folder), "ablation": record["name"], "baseline": record["baseline"],
            "arms": list(record["arms"]), "seeds": record["seeds"],
            "units_finished": record.get("units_finished", len(record.get("units", []))),
            "units_total": record.get("units_total", len(record["arms"]) * len(record["seeds"])),
            "finished": record.get("finished", ""), "machine": record.get("machine", ""),
            "report": (folder / REPORT).is_file()}


@router.get("/ablations", include_in_schema=False)
async def ablations_page() -> FileResponse:
    return FileResponse(STATIC / "ablation.html", media_type="text/html")


@router.get("/api/ablations")
def ablations(request: Request) -> dict:
    roots = request.app.state.server.training.roots
    return {"folders": [str(r) for r in roots], "ablations": [_overview(f) for f in find_ablations(roots).values()]}


@router.get("/ablations/{name}/report.html", include_in_schema=False)
def ablation_report(name: str, request: Request) -> FileResponse:
    try:
        path = _folder(request, name) / REPORT
    except NotFound as err:
        raise APIError(404, str(err)) from None
    if not path.is_file():
        raise APIError(404, f"ablation {name!r} has no {REPORT} yet: no unit has finished")
    return FileResponse(path, media_type="text/html")
