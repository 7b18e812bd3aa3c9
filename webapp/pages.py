"""The pages (chat `/`, data `/runs/<run>`, training `/train/<run>`) and the JSON they fetch. The pages are
static HTML + JS from webapp/static; the data and training JSON is read from the folders as they are now."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse

from pipeline.documents import BadRecordError
from webapp.api_errors import APIError
from webapp.data_browser import DocumentQuery, NotFound

router = APIRouter()
STATIC = Path(__file__).parent / "static"
MAX_PAGE = 200  # documents per page of the data browser


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html")


def _found(call, *args):
    """`call(*args)`, with a missing run, stage, set or record answered 404 and its message, and a shard that
    cannot be read (still being written, a line that is not a document) 422 with the file and line."""
    try:
        return call(*args)
    except NotFound as err:
        raise APIError(404, str(err)) from None
    except BadRecordError as err:
        raise APIError(422, str(err)) from None


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    return _page("chat.html")


@router.get("/runs", include_in_schema=False)
@router.get("/runs/{run}", include_in_schema=False)
async def data_page() -> FileResponse:
    return _page("runs.html")


@router.get("/train", include_in_schema=False)
@router.get("/train/{run}", include_in_schema=False)
async def training_page() -> FileResponse:
    return _page("train.html")


@router.get("/train/{run}/report.html", include_in_schema=False)
async def training_report(run: str, request: Request) -> FileResponse:
    return FileResponse(_found(request.app.state.server.training.report, run), media_type="text/html")


@router.get("/api/runs")
async def pipeline_runs(request: Request) -> dict:
    work = request.app.state.server.work
    return {"workdir": str(work.root), "runs": work.runs()}


@router.get("/api/runs/{run}")
def pipeline_run(run: str, request: Request) -> dict:
    return _found(request.app.state.server.work.run_summary, run)


@router.get("/api/runs/{run}/{stage}/documents")
def stage_documents(run: str, stage: str, request: Request, document_set: str = Query("output", alias="set"),
                    reason: str = "", q: str = "", offset: int = Query(0, ge=0),
                    limit: int = Query(20, ge=1, le=MAX_PAGE)) -> dict:
    query = DocumentQuery(reason=reason, text=q, offset=offset, limit=limit)
    return _found(request.app.state.server.work.documents, run, stage, document_set, query)


@router.get("/api/runs/{run}/{stage}/document")
def stage_document(run: str, stage: str, request: Request, shard: str, line: int = Query(ge=1),
                   document_set: str = Query("output", alias="set")) -> dict:
    return _found(request.app.state.server.work.document, run, stage, document_set, shard, line)


@router.get("/cards/{run}/{name}", include_in_schema=False)
def card_file(run: str, name: str, request: Request) -> FileResponse:
    path = _found(request.app.state.server.work.card_file, run, name)
    return FileResponse(path, media_type="text/plain; charset=utf-8" if path.suffix == ".md" else None)


@router.get("/api/train")
async def training_runs(request: Request) -> dict:
    training = request.app.state.server.training
    return {"folders": [str(r) for r in training.roots], "runs": training.runs()}


@router.get("/api/train/{run}/log")
def training_log(run: str, request: Request, offset: int = Query(0, ge=0)) -> dict:
    return _found(request.app.state.server.training.poll, run, offset)
