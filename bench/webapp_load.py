"""The web app under load: CONCURRENT streaming chat completions at once against `python -m webapp` serving the
tiny preset, on a loopback port. Every request must complete and the server must still answer /health after.

Reported: tokens/s over the burst, latency (request to last event) p50/p90/p99 and time to first text, against
the same requests made as direct `model.chat.generate_reply` calls in this process (the generation itself, no
HTTP, no queue) and sent one at a time over HTTP; each side twice, in turn, the best kept. The model has random
weights and a tokenizer trained on the bundled sample: the load is what is measured, not the replies.
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
from pathlib import Path

import sentencepiece as spm
import torch

from bench.results_table import BenchResult
from model.chat import generate_reply
from model.config import preset
from model.gemma3 import Gemma3ForCausalLM
from model.hf import from_hf, to_hf
from tokenizer.config import SampleConfig, TokenizerConfig, TrainConfig
from tokenizer.train import train_tokenizer

REPO = Path(__file__).resolve().parents[1]
CONCURRENT, MAX_TOKENS = 20, 64
THREADS = 1  # torch threads on both sides: one token of a tiny model is too little work to split
ROUNDS = 2  # each side measured this many times, in turn; the best of each is reported
QUESTIONS = ["भारत की राजधानी क्या है?", "मानसून के बारे में बताइए", "kal movie dekhne chalein?", "aaj mausam kaisa hai?"]


def _checkpoint(folder: Path) -> Path:
    """A random-weight tiny model beside a 400-piece tokenizer trained on the bundled sample."""
    sample = REPO / "pipeline" / "sample_data" / "sample_cc100_style.txt"  # (sample_docs.jsonl has broken lines)
    model_file = train_tokenizer(TokenizerConfig(out=str(folder / "tok"), sample=SampleConfig(inputs=[str(sample)]),
                                                 train=TrainConfig(vocab_size=400, hard_vocab_limit=False)))
    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    torch.manual_seed(0)
    to_hf(Gemma3ForCausalLM(preset("tiny").with_vocab(sp.get_piece_size())), folder / "ckpt")
    (folder / "ckpt" / "tokenizer.model").write_bytes(Path(model_file).read_bytes())
    return folder / "ckpt"


def _request(n: int) -> dict:
    return {"model": "bench", "messages": [{"role": "user", "content": QUESTIONS[n % len(QUESTIONS)]}],
            "max_tokens": MAX_TOKENS, "temperature": 0.8, "top_k": 50, "seed": n, "stream": True,
            "stream_options": {"include_usage": True}}


def _stream(port: int, body: dict) -> dict:
    """One streaming request: seconds to the first text and to [DONE], and the completion tokens it reports."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
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


def _start_server(checkpoint: Path, log: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "webapp", "--checkpoint", str(checkpoint), "--model-name", "bench",
               "--port", str(port), "--max-waiting", str(CONCURRENT), "--device", "cpu", "--threads", str(THREADS)]
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


def _direct_tokens_per_s(module, sp: spm.SentencePieceProcessor) -> float:
    """The same requests as direct generate_reply calls, one after another: the generation alone."""
    start, tokens = time.perf_counter(), 0
    for n in range(CONCURRENT):
        body = _request(n)
        reply = generate_reply(module, sp, body["messages"], MAX_TOKENS, temperature=0.8, top_k=50, top_p=None,
                               repetition_penalty=1.0, seed=n)
        tokens += len(reply.token_ids)  # as the server's usage counts them: without the stop token
    return tokens / (time.perf_counter() - start)


def _over_http(port: int, concurrent: bool) -> tuple[list[dict], float]:
    """The requests sent all at once (or one at a time) and the seconds until the last one finished."""
    start = time.perf_counter()
    if concurrent:
        with ThreadPoolExecutor(CONCURRENT) as pool:
            results = list(pool.map(lambda n: _stream(port, _request(n)), range(CONCURRENT)))
    else:
        results = [_stream(port, _request(n)) for n in range(CONCURRENT)]
    return results, time.perf_counter() - start


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _figures(burst: list[dict], burst_s: float, sequential: tuple[list[dict], float], healthy: bool) -> dict:
    latency = [r["total_s"] for r in burst]
    figures = {f"latency_p{q}_s": round(_percentile(latency, q), 3) for q in (50, 90, 99)}
    one_by_one, sequential_s = sequential
    return figures | {
        "first_text_p50_s": round(statistics.median(r["first_s"] for r in burst), 3),
        "burst_s": round(burst_s, 3), "completion_tokens": sum(r["tokens"] for r in burst),
        "sequential_http_tokens_per_s": round(sum(r["tokens"] for r in one_by_one) / sequential_s, 1),
        "sequential_latency_p50_s": round(statistics.median(r["total_s"] for r in one_by_one), 3),
        "completed": f"{sum(r['status'] == 200 and r['done'] for r in burst)}/{CONCURRENT}", "health_after": healthy,
    }


def run() -> list[BenchResult]:
    torch.set_num_threads(THREADS)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = _checkpoint(Path(tmp))
        module = from_hf(checkpoint).eval()
        sp = spm.SentencePieceProcessor(model_file=str(checkpoint / "tokenizer.model"))
        generate_reply(module, sp, _request(0)["messages"], MAX_TOKENS, seed=0)  # warm-up, as the server gets one
        process, port = _start_server(checkpoint, Path(tmp) / "server.log")
        direct, sequential, bursts = [], [], []
        try:
            _stream(port, _request(0))
            for _ in range(ROUNDS):  # in turn, so that a slow spell of this shared machine hits every side
                direct.append(_direct_tokens_per_s(module, sp))
                sequential.append(_over_http(port, concurrent=False))
                bursts.append(_over_http(port, concurrent=True))
            healthy = _health(port) == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    failed = [sum(not (r["status"] == 200 and r["done"]) for r in burst) for burst, _ in bursts]
    if any(failed) or not healthy:
        raise SystemExit(f"webapp_load: requests that did not complete, per round: {failed}; /health: {healthy}")
    burst, burst_s = min(bursts, key=lambda b: b[1])
    figures = _figures(burst, burst_s, min(sequential, key=lambda s: s[1]), healthy)
    tokens_per_s = figures["completion_tokens"] / burst_s
    print(f"webapp_load: {CONCURRENT} concurrent streams, {tokens_per_s:.1f} tokens/s; {figures}; direct "
          f"generate_reply {max(direct):.1f} tokens/s (best of {ROUNDS} rounds each)")
    return [BenchResult(
        name="webapp_load", value=tokens_per_s, unit="tokens/s", baseline=max(direct),
        baseline_name="the same 20 replies as direct model.chat.generate_reply calls (no HTTP, no queue)",
        details=figures | {"concurrent": CONCURRENT, "max_tokens": MAX_TOKENS, "preset": "tiny (random weights)",
                           "torch_threads": THREADS, "rounds": ROUNDS, "command": "python -m bench webapp_load"},
    )]
