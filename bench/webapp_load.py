"""The web app under load, on both backends: CONCURRENT streaming chat completions at once against `python -m
webapp` serving a gemma3-270m-shaped checkpoint with PyTorch (one request at a time), and its q8_0 GGUF export with
llama.cpp, as served by default (GGUF_PARALLEL requests decoded together) and with `--parallel CONCURRENT`, each
on a loopback port, in one run. Every request must complete and each server must still answer /health after.

Reported per side: tokens/s over the burst, latency (request to last event) p50/p90/p99 and time to first text;
each side ROUNDS times, in turn, the best kept; the default llama.cpp side against the PyTorch one (#30 asks for
4×). The model has random weights and a tokenizer trained on the bundled sample: the load is what is measured, not
the replies (which run to max_tokens, as random weights rarely end a turn).
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import torch

from bench.results_table import BenchResult
from model.config import preset
from model.gemma3 import Gemma3ForCausalLM
from model.gguf.backend import GGUF_PARALLEL
from model.gguf.export import export_gguf
from model.hf import to_hf
from tokenizer.config import SampleConfig, TokenizerConfig, TrainConfig
from tokenizer.train import train_tokenizer

REPO = Path(__file__).resolve().parents[1]
CONFIG = preset("gemma3-270m")
CONCURRENT, MAX_TOKENS = 20, 64
THREADS = 1  # per server (torch's, llama.cpp's): a busy shared machine punishes threads that wait for each other
LLAMA = f"llama.cpp q8_0, --parallel {GGUF_PARALLEL} (default)"  # the side the target is on
ROUNDS = 2  # bursts per side, the sides in turn; the best of each is reported (the 270M PyTorch burst takes minutes)
QUESTIONS = ["भारत की राजधानी क्या है?", "मानसून के बारे में बताइए", "kal movie dekhne chalein?", "aaj mausam kaisa hai?"]


def _checkpoint(folder: Path) -> Path:
    """Random gemma3-270m weights (vocab 50,048) beside a 400-piece tokenizer trained on the bundled sample, with
    the turn pieces (the embedding rows beyond its pieces are never sampled)."""
    sample = REPO / "pipeline" / "sample_data" / "sample_cc100_style.txt"  # (sample_docs.jsonl has broken lines)
    model_file = train_tokenizer(TokenizerConfig(out=str(folder / "tok"), sample=SampleConfig(inputs=[str(sample)]),
                                                 train=TrainConfig(vocab_size=400, hard_vocab_limit=False)))
    torch.manual_seed(0)
    to_hf(Gemma3ForCausalLM(CONFIG), folder / "ckpt")
    (folder / "ckpt" / "tokenizer.model").write_bytes(Path(model_file).read_bytes())
    return folder / "ckpt"


def _request(n: int) -> dict:
    return {"model": "bench", "messages": [{"role": "user", "content": QUESTIONS[n % len(QUESTIONS)]}],
            "max_tokens": MAX_TOKENS, "temperature": 0.8, "top_k": 50, "seed": n, "stream": True,
            "stream_options": {"include_usage": True}}


def _stream(port: int, body: dict) -> dict:
    """One streaming request: seconds to the first text and to [DONE], and the completion tokens it reports."""
    start = time.perf_counter()
    # the last of 20 queued requests waits for the 19 before it: with PyTorch on a busy CPU, over ten minutes
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    first, tokens, done = None, 0, False
    for line in response:
        if not line.startswith(b"data: "):
            continue
        if line.strip() == b"data: [DONE]":
            done = True
            break
        chunk = json.loads(line[6:])
        if first is None and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
            first = time.perf_counter() - start
        tokens = (chunk.get("usage") or {}).get("completion_tokens", tokens)
    connection.close()
    return {"status": response.status, "done": done, "first_s": first or 0.0, "total_s": time.perf_counter() - start,
            "tokens": tokens}


def _start_server(checkpoint: Path, log: Path, *options: str) -> tuple[subprocess.Popen, int]:
    """`python -m webapp` on CHECKPOINT (a folder: PyTorch; a .gguf file: llama.cpp), both on THREADS threads."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "webapp", "--checkpoint", str(checkpoint), "--model-name", "bench",
               "--port", str(port), "--max-waiting", str(CONCURRENT), "--device", "cpu", "--threads", str(THREADS),
               *options]
    process = subprocess.Popen(command, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline and process.poll() is None:
        try:
            if _health(port) == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the web app did not start: {log.read_text()[-2000:]}")


def _health(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/health")
    status = connection.getresponse().status
    connection.close()
    return status


def _burst(port: int) -> tuple[list[dict], float, list[float]]:
    """The CONCURRENT requests sent all at once; the seconds until the last one finished; the seconds each /health
    took, asked every half second meanwhile (one that fails ends the bench)."""
    with ThreadPoolExecutor(CONCURRENT) as pool:
        streams = [pool.submit(_stream, port, _request(n)) for n in range(CONCURRENT)]
        health = []
        while not all(stream.done() for stream in streams):
            asked = time.perf_counter()
            if _health(port) != 200:
                raise SystemExit("webapp_load: /health did not answer 200 during the burst")
            health.append(time.perf_counter() - asked)
            time.sleep(0.5)
        results = [stream.result() for stream in streams]
    return results, max(r["total_s"] for r in results), health


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _figures(burst: list[dict], burst_s: float, health_s: list[float], healthy: bool) -> dict:
    latency = [r["total_s"] for r in burst]
    tokens = sum(r["tokens"] for r in burst)
    return {f"latency_p{q}_s": round(_percentile(latency, q), 3) for q in (50, 90, 99)} | {
        "tokens_per_s": round(tokens / burst_s, 1),
        "first_text_p50_s": round(statistics.median(r["first_s"] for r in burst), 3),
        "burst_s": round(burst_s, 3), "completion_tokens": tokens,
        "completed": f"{sum(r['status'] == 200 and r['done'] for r in burst)}/{CONCURRENT}", "health_after": healthy,
        "health_during": f"{len(health_s)} × 200, slowest {max(health_s, default=0):.3f} s",
    }


def _sides(folder: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """What each side serves, with which options: the checkpoint folder (PyTorch) and its q8_0 GGUF export
    (llama.cpp, as served by default and with one batch place per concurrent request)."""
    checkpoint = _checkpoint(folder)
    gguf = export_gguf(checkpoint, folder / "model_q8_0.gguf", "q8_0")
    return {"torch": (checkpoint, ()), LLAMA: (gguf, ()),
            f"llama.cpp q8_0, --parallel {CONCURRENT}": (gguf, ("--parallel", str(CONCURRENT)))}


def run() -> list[BenchResult]:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        sides = {}
        for name, (path, options) in _sides(Path(tmp)).items():
            process, port = _start_server(path, Path(tmp) / f"{name}.log", *options)
            stack.callback(_stop, process)
            _stream(port, _request(0))  # warm-up: the first request pays for lazy initialisation
            sides[name] = port
        bursts = {name: [] for name in sides}
        for _ in range(ROUNDS):  # in turn, so that a slow spell of this shared machine hits every side
            for name, port in sides.items():
                bursts[name].append(_burst(port))
        health = {name: _health(port) == 200 for name, port in sides.items()}
    failed = {name: [sum(not (r["status"] == 200 and r["done"]) for r in burst) for burst, *_ in runs]
              for name, runs in bursts.items()}
    if any(any(counts) for counts in failed.values()) or not all(health.values()):
        raise SystemExit(f"webapp_load: requests that did not complete, per side and round: {failed}; /health: "
                         f"{health}")
    figures = {name: _figures(*min(runs, key=lambda b: b[1]), health[name]) for name, runs in bursts.items()}
    for name, side in figures.items():
        print(f"webapp_load {name}: {CONCURRENT} concurrent streams, {side}")
    common = {"concurrent": CONCURRENT, "max_tokens": MAX_TOKENS, "preset": "gemma3-270m (random weights)",
              "threads": THREADS, "rounds": ROUNDS, "llama_cpp_default_parallel": GGUF_PARALLEL,
              "command": "python -m bench webapp_load"}
    return [BenchResult(
        name="webapp_load", value=figures[LLAMA]["tokens_per_s"], unit="tokens/s",
        baseline=figures["torch"]["tokens_per_s"],
        baseline_name="the same requests to python -m webapp serving the checkpoint with PyTorch (same run)",
        target_ratio=4.0, details=common | {"sides": figures},
    )]


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:  # still decoding a request whose client left: at most one token more
        process.kill()
        process.wait()
