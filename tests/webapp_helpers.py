"""What the web app tests serve: a pipeline run of the bundled sample, a briefly trained tiny checkpoint, and the
real server (`python -m webapp`) in a subprocess on a free loopback port, one for the session (tests/conftest.py's
`served`, for tests/test_webapp.py and tests/test_webapp_pages.py); plus raw HTTP for what a client library would
not send."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from model.backend import load_backend
from pipeline.typed_config import load_config
from tests.conftest import REPO, SAMPLE_CONFIG
from tests.trainer_helpers import build_shards
from trainer.config import TrainConfig
from trainer.loop import Trainer
from webapp.data_browser import WorkFolder
from webapp.generation import ServedModel
from webapp.request_guards import allowed_host_names
from webapp.server import ServerLimits, create_app
from webapp.training_log import TrainingRuns

TINY = REPO / "configs" / "train_tiny.yaml"


def run_sample_pipeline(workdir: Path, cards: Path) -> Path:
    """Ingest, filter and dedup of the bundled sample (rejected/ and removed/ documents, cards); the run folder.
    In a subprocess: datatrove forks its workers, and this process has threads by now (a fork could inherit a
    held lock). Without the romanised-Hindi detector (training it takes longer than the rest), Latin text is set
    aside."""
    command = [sys.executable, "-m", "pipeline", "run", str(SAMPLE_CONFIG), "--workdir", str(workdir),
               "--set", f"cards_dir={cards}", "--set", "stages.filter.language.hinglish_model=none",
               "--stage", "ingest", "--stage", "filter", "--stage", "dedup"]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    return workdir / "sample"


def train_tiny_checkpoint(folder: Path, steps: int = 12) -> Path:
    """A tiny model trained a few steps on written Hindi/Hinglish (its log.jsonl has step and eval records);
    returns the training run's out_dir."""
    shards = build_shards(folder / "data")
    out_dir = folder / "runs" / "tiny"
    items = [f"data_dir={shards}", f"out_dir={out_dir}", "tensorboard=false", "sample_tokens=0",
             f"max_steps={steps}", "warmup_steps=4", f"eval_every={steps // 2}", f"checkpoint_every={steps}"]
    Trainer(load_config(TrainConfig, TINY, items), resume=False).run()
    return out_dir


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_request(port: int, method: str, path: str, body: bytes | dict | None = None,
                 timeout: float = 60) -> tuple[int, dict]:
    """(status, JSON body) of one request; a dict body is sent as JSON, bytes as they are."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def raw_response_bytes(sock: socket.socket, method: str = "GET") -> tuple[int, bytes]:
    """(status, body) of the answer on a socket the test wrote the request to itself."""
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    return response.status, response.read()


def raw_response(sock: socket.socket) -> tuple[int, dict]:
    """(status, JSON body) of the answer on a socket the test wrote the request to itself."""
    status, body = raw_response_bytes(sock)
    return status, json.loads(body or b"null")


@dataclass
class RunningServer:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | dict | None = None, timeout: float = 60) -> tuple:
        return http_request(self.port, method, path, body, timeout)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_server(checkpoint: Path, workdir: Path, cards: Path, runs: Path, log: Path, *flags: str) -> RunningServer:
    """`python -m webapp` on a free port; returns once /health answers (the model is loaded)."""
    port = free_port()
    command = [sys.executable, "-m", "webapp", "--checkpoint", str(checkpoint), "--model-name", "tiny",
               "--workdir", str(workdir), "--cards", str(cards), "--runs", str(runs), "--port", str(port), *flags]
    process = subprocess.Popen(command, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = RunningServer(process, port, log)
    deadline = time.time() + 120
    while time.time() < deadline:
        assert process.poll() is None, f"the server exited: {log.read_text()[-3000:]}"
        try:
            if server.request("GET", "/health")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)  # not listening yet: it loads the model first
    server.stop()
    raise TimeoutError(f"the server did not answer /health within 120 s: {log.read_text()[-3000:]}")


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):
    """Poll `condition()` until it returns something truthy (its value), or fail after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Served:
    server: RunningServer
    checkpoint: Path  # the checkpoint the server loaded
    out_dir: Path  # its training run (log.jsonl), listed on the training page as "tiny"
    run_dir: Path  # the pipeline run "sample"


def serve(tmp_path_factory) -> Iterator[Served]:
    """The session's server (tests/conftest.py's `served` fixture) over a tiny checkpoint and the sample's
    pipeline run, with small limits the tests reach."""
    root = tmp_path_factory.mktemp("webapp")
    run_dir = run_sample_pipeline(root / "work", root / "cards")
    out_dir = train_tiny_checkpoint(root)
    checkpoint = sorted((out_dir / "checkpoints").glob("step_*"))[-1]
    server = start_server(out_dir, root / "work", root / "cards", out_dir.parent, root / "server.log",
                          "--max-tokens", "2000", "--max-waiting", "2", "--max-message-chars", "500")
    yield Served(server, checkpoint, out_dir, run_dir)
    server.stop()


class GatedTokenizer:
    """A SentencePiece tokenizer that stops at a gate when it encodes a text holding MARK, until the test opens
    it: the test sees what the server does while a request is being tokenised. Everything else is the tokenizer's."""

    MARK = "<<gate>>"

    def __init__(self, sp):
        self.sp, self.reached, self.gate = sp, threading.Event(), threading.Event()

    def encode(self, text, *args, **kwargs):
        if isinstance(text, str) and self.MARK in text:
            self.reached.set()
            self.gate.wait(120)
        return self.sp.encode(text, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.sp, name)


@dataclass
class InProcessServer:
    port: int
    tokenizer: GatedTokenizer

    def request(self, method: str, path: str, body: bytes | dict | None = None, timeout: float = 60) -> tuple:
        return http_request(self.port, method, path, body, timeout)


@contextmanager
def gated_server(checkpoint: Path, folder: Path, max_waiting: int, allowed: list[str]) -> Iterator[InProcessServer]:
    """The web app in this process (uvicorn on a thread, a free loopback port) over `checkpoint`, with its
    tokenizer behind a GatedTokenizer; answers the model name "tiny"."""
    model = ServedModel(load_backend(checkpoint), "tiny")
    model.backend.vocab = GatedTokenizer(model.backend.vocab)
    app = create_app(model, WorkFolder(folder, folder), TrainingRuns([folder]), ServerLimits(max_waiting=max_waiting),
                     allowed_host_names("127.0.0.1", allowed))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn")
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=60, what="uvicorn to listen")
        yield InProcessServer(server.config.port, model.backend.vocab)
    finally:
        model.backend.vocab.gate.set()
        server.should_exit = True
        thread.join(timeout=30)
