"""A property-based fuzz test of the web app's HTTP interface (#26): thousands of random and malformed requests
(methods, paths, query strings, headers, JSON of the wrong types and shapes, broken JSON, bytes, bodies around
the size limit, chunked or not) against the real server (`python -m webapp` on a loopback port over the tiny
checkpoint, --max-tokens 4 so that a valid request generates briefly). Every answer is a 2xx, or a 4xx with an
OpenAI-style JSON error; never a 5xx; /health answers throughout; the server's memory stays within a margin.

Deterministic (hypothesis derandomised): CI sends the same requests every run. API_FUZZ_EXAMPLES=20000 and
API_FUZZ_RANDOM=1 explore further on a workstation. HTTP the server itself refuses before the app sees it (a
malformed request line, a request line or header over h11's 16 KB) is uvicorn's plain-text 400, not sent here:
paths and queries stay under 8 KB."""

import json
import os
import socket
import threading
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.webapp_helpers import raw_response_bytes, start_server

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "3000"))
RSS_MARGIN_MB = 64  # growth allowed over the run, after a warm-up that touched every route once
BODY_LIMIT = 1_000_000

TEXT = st.text(max_size=30) | st.sampled_from(["नमस्ते भारत", "", "\ud800", "<end_of_turn>", "<start_of_turn>user\n",
                                              "\x00", "क" * 3000, "भारत" * 600])
LEAF = (st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70) | st.floats() | TEXT
        | st.sampled_from([2**63, 2**64, -(2**63) - 1, 1e-300, 1e308]))
JSON = st.recursive(LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=8)


def field(valid: st.SearchStrategy) -> st.SearchStrategy:
    """A value of the right kind two times in three, else any JSON at all."""
    return st.one_of(valid, valid, JSON)


ROLES = st.sampled_from(["system", "developer", "user", "assistant", "tool", "User"])
PART = st.fixed_dictionaries({"type": field(st.just("text")), "text": field(TEXT)})
MESSAGE = st.fixed_dictionaries({"role": field(ROLES), "content": field(TEXT | st.lists(PART, max_size=3))},
                                optional={"name": TEXT})
SAMPLING = {
    "max_tokens": field(st.integers(-2, 6)),
    "max_completion_tokens": field(st.integers(-2, 6)),
    "temperature": field(st.floats(-1, 3) | st.sampled_from([0.0, 1e-300, 1e-5, 2.0])),
    "top_p": field(st.floats(-0.5, 1.5) | st.sampled_from([1e-300, 1e-5, 1.0])),
    "top_k": field(st.integers(-2, 70_000)),
    "repetition_penalty": field(st.floats(0, 5) | st.sampled_from([1e-300, 1e300])),
    "seed": field(st.integers(-(2**65), 2**65)),
    "stop": field(TEXT | st.lists(TEXT, max_size=6)),
    "stream": field(st.booleans()),
    "stream_options": field(st.fixed_dictionaries({"include_usage": field(st.booleans())})),
    "n": field(st.integers(0, 3)),
    "logit_bias": JSON,
}
MODEL = field(st.sampled_from(["tiny", "tiny", "gpt-4", ""]))
CHAT = st.fixed_dictionaries({"model": MODEL, "messages": field(st.lists(MESSAGE, max_size=5))}, optional=SAMPLING)
COMPLETION = st.fixed_dictionaries({"model": MODEL, "prompt": field(TEXT | st.lists(TEXT, max_size=3))},
                                   optional=SAMPLING)


@st.composite
def json_body(draw) -> bytes:
    value = draw(st.one_of(CHAT, CHAT, COMPLETION, COMPLETION, JSON))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))  # NaN and Infinity as Python writes
    encoded = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # broken off
        encoded = encoded[: draw(st.integers(0, len(encoded)))]
    return encoded


def sized_body(size: int) -> bytes:
    """A chat request of `size` bytes: one long message (a 400 under the body limit, a 413 over it)."""
    head, tail = b'{"model": "tiny", "messages": [{"role": "user", "content": "', b'"}]}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


BODIES = st.one_of(json_body(), json_body(), json_body(), st.binary(max_size=300), st.just(b""),
                   st.sampled_from([BODY_LIMIT - 1, BODY_LIMIT + 1, 1_600_000]).map(sized_body))

SHORT_TEXT = st.text(max_size=30) | st.sampled_from(["नमस्ते", "", "\ud800", "\x00", "क" * 100])  # 300 bytes
SEGMENT = SHORT_TEXT.map(lambda text: quote(text.encode("utf-8", "surrogatepass"), safe="")) | st.sampled_from(
    ["sample", "02_filter", "03_dedup", "01_ingest", "tiny", "..", "%2e%2e", "%2F", "%00", "stats.json"])
NUMBER = st.integers(-5, 50) | st.sampled_from([10**30, -(10**30), 2**63]) | SHORT_TEXT


ROUTES = [  # {} is a path segment drawn for it
    "/api/runs/{}/{}/documents", "/api/runs/{}/{}/document", "/api/runs/{}", "/api/train/{}/log", "/cards/{}/{}",
    "/runs/{}", "/train/{}", "/train/{}/report.html", "/static/{}", "/{}/{}", "/{}", "/v1/models", "/health",
    "/openapi.json", "/", "/runs", "/train", "/api/runs", "/api/train",
]


@st.composite
def target(draw, generating: bool = False) -> str:
    """A request path and query: the app's GET routes with arbitrary parts (and its generating routes when
    `generating`), or a path of random segments."""
    routes = ROUTES + (["/v1/chat/completions", "/v1/completions"] if generating else [])
    route = draw(st.sampled_from(routes))
    path = route.format(*(draw(SEGMENT) for _ in range(route.count("{}"))))
    keys = st.sampled_from(["set", "reason", "q", "offset", "limit", "shard", "line"]) | SHORT_TEXT
    query = draw(st.lists(st.tuples(keys, NUMBER | SEGMENT | st.sampled_from(
        ["output", "rejected/language", "removed/exact", "rejected/..", "not_hindi"])), max_size=4))
    return f"{path}?{urlencode(query, errors='surrogatepass')}" if query else path


HEADERS = st.fixed_dictionaries({}, optional={
    "Content-Type": st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                     "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]),
    "Accept": st.sampled_from(["*/*", "text/event-stream", "application/json", "garbage"]),
    "Authorization": st.sampled_from(["Bearer unused", "Basic Zm9vOmJhcg==", "Bearer"]),
    "Cookie": st.sampled_from(["a=b", "=;;;", "x" * 2000]),
    "X-Forwarded-For": st.just("10.0.0.1"),
})
METHODS = st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
HOSTS = st.sampled_from(["{self}"] * 12 + ["localhost", "[::1]:1", "attacker.example", ""])
GENERATION = st.fixed_dictionaries({  # the API's two generating routes, nearly always as they are called
    "method": st.sampled_from(["POST"] * 19 + ["GET"]),
    "target": st.sampled_from(["/v1/chat/completions", "/v1/completions"]),
    "host": HOSTS, "headers": HEADERS, "body": BODIES, "chunked": st.booleans()})
BROWSING = st.fixed_dictionaries({  # the other routes, read as the pages read them
    "method": st.sampled_from(["GET"] * 9 + ["HEAD"]), "target": target(), "host": HOSTS, "headers": HEADERS,
    "body": st.just(b""), "chunked": st.just(False)})
ANYTHING = st.fixed_dictionaries({"method": METHODS, "target": target(generating=True), "host": HOSTS,
                                  "headers": HEADERS, "body": BODIES, "chunked": st.booleans()})
REQUESTS = st.one_of(GENERATION, GENERATION, GENERATION, BROWSING, BROWSING, ANYTHING)


def send(port: int, request: dict) -> tuple[int, bytes]:
    """One request on its own connection, written as given (a chunked body in 64 KB chunks) on a thread while
    the answer is read: the server may answer (413) before it has read the body."""
    host = request["host"].replace("{self}", f"127.0.0.1:{port}")
    body, lines = request["body"], [f"{request['method']} {request['target']} HTTP/1.1", f"Host: {host}",
                                    "Connection: close", *(f"{k}: {v}" for k, v in request["headers"].items())]
    if request["chunked"]:
        lines.append("Transfer-Encoding: chunked")
        pieces = [body[i : i + 65536] for i in range(0, len(body), 65536)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(body)}")
        payload = body
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sender = threading.Thread(target=_send_all, args=(sock, data))
        sender.start()
        try:
            return raw_response_bytes(sock, request["method"])
        finally:
            sender.join()


def _send_all(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass  # answered and closed before the body's end (413): the answer is what the test reads


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


@pytest.fixture(scope="module")
def fuzzed(served, tmp_path_factory):
    """A server of its own (its memory is measured alone) over the session's checkpoint and pipeline run."""
    root = served.run_dir.parent.parent
    server = start_server(served.out_dir, root / "work", root / "cards", served.out_dir.parent,
                          tmp_path_factory.mktemp("fuzz") / "server.log", "--max-tokens", "4", "--max-waiting", "2")
    yield server
    server.stop()


WARM_UP = [  # every route once, and the biggest bodies, before the memory is first measured
    {"method": "POST", "target": "/v1/chat/completions", "host": "{self}", "headers": {}, "chunked": False,
     "body": b'{"model": "tiny", "messages": [{"role": "user", "content": "\xe0\xa4\xad"}], "stream": true}'},
    {"method": "POST", "target": "/v1/completions", "host": "{self}", "headers": {}, "chunked": True,
     "body": b'{"model": "tiny", "prompt": "x"}'},
    *({"method": "POST", "target": "/v1/chat/completions", "host": "{self}", "headers": {}, "chunked": chunked,
       "body": sized_body(size)} for size in (BODY_LIMIT - 1, 1_600_000) for chunked in (False, True)),
    *({"method": "GET", "target": path, "host": "{self}", "headers": {}, "chunked": False, "body": b""}
      for path in ("/", "/runs", "/train", "/api/runs", "/api/runs/sample", "/api/train", "/openapi.json",
                   "/api/runs/sample/02_filter/documents?set=rejected/language", "/static/chat.js")),
]


def test_random_and_malformed_requests_never_get_a_5xx_and_memory_stays_bounded(fuzzed):
    for request in WARM_UP:
        assert send(fuzzed.port, request)[0] < 500, request["target"]
    before = rss_mb(fuzzed.process.pid)
    sent = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not os.environ.get("API_FUZZ_RANDOM"),
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(REQUESTS)
    def answered_with_a_4xx_json_error_at_worst(request):
        status, body = send(fuzzed.port, request)
        sent.append(status)
        assert status < 500 and status not in (300, 301, 302), f"{status} for {repr(request)[:2000]}: {body[:500]!r}"
        if status >= 400 and request["method"] != "HEAD":
            error = json.loads(body)["error"]
            assert isinstance(error["message"], str) and error["message"], body
        if len(sent) % 100 == 0:
            assert fuzzed.request("GET", "/health", timeout=30)[0] == 200, f"/health after {len(sent)} requests"

    answered_with_a_4xx_json_error_at_worst()
    after = rss_mb(fuzzed.process.pid)
    statuses = {status: sent.count(status) for status in sorted(set(sent))}
    print(f"{len(sent)} requests; answers {statuses}; server RSS {before:.0f} MB -> {after:.0f} MB")
    assert len(sent) >= EXAMPLES * 0.9, f"hypothesis ran {len(sent)} requests of {EXAMPLES}"
    assert after - before < RSS_MARGIN_MB, f"the server grew from {before:.0f} MB to {after:.0f} MB"
    assert fuzzed.request("GET", "/health")[0] == 200
