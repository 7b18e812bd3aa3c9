"""The local web app: one FastAPI application with the OpenAI-compatible API, the chat, data and training pages
and `GET /health`. Everything the pages need is in webapp/static (no CDN, no network at run time)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from model.chat import DEFAULT_SAMPLING
from webapp.ablations import router as ablations_router
from webapp.api_errors import install_error_handlers
from webapp.data_browser import WorkFolder
from webapp.generation import ServedModel
from webapp.generation_queue import GenerationQueue
from webapp.openai_api import router as openai_router
from webapp.pages import router as pages_router
from webapp.request_guards import BodyLimit, HostCheck, allowed_host_names
from webapp.training_log import TrainingRuns

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class ServerLimits:
    """What one request may ask for; beyond these a request is refused with a 4xx that names the limit."""

    max_message_chars: int = 8_000  # per message (chat) or prompt (completions)
    max_messages: int = 64
    max_tokens: int = 1_024  # per request
    default_max_tokens: int = 256  # when a request gives none
    max_waiting: int = 16  # requests queued behind those generating (0: none); more get 429
    max_body_bytes: int = 1_000_000


@dataclass
class Server:
    """What the routes share: the model, its generation queue, the folders the pages read, the limits."""

    model: ServedModel
    queue: GenerationQueue
    work: WorkFolder
    training: TrainingRuns
    limits: ServerLimits
    started: int


def create_app(model: ServedModel, work: WorkFolder, training: TrainingRuns, limits: ServerLimits | None = None,
               allowed_hosts: Iterable[str] | None = None) -> FastAPI:
    """The application around an already loaded model (so /health answers only once it is loaded).
    `allowed_hosts`: the Host names it answers (default: the loopback names; see webapp/request_guards.py)."""
    limits = limits or ServerLimits()
    queue = GenerationQueue(limits.max_waiting, model.backend.parallel)
    server = Server(model, queue, work, training, limits, int(time.time()))

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        server.queue.close()
        model.backend.close()

    # FastAPI's /docs pages load their scripts from a CDN: off. /openapi.json stays.
    app = FastAPI(title="hindi-slm", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.server = server
    install_error_handlers(app)

    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(HostCheck, allowed=allowed_hosts or allowed_host_names("127.0.0.1"))  # the outer one

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "model": model.name, "queue": server.queue.status(), "limits": asdict(limits),
                "sampling": {k: v for k, v in asdict(DEFAULT_SAMPLING).items() if k != "seed"}}

    app.include_router(openai_router)
    app.include_router(pages_router)
    app.include_router(ablations_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
