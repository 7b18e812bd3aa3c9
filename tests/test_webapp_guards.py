"""The web app's defences over the real server on a loopback port: the body limit on chunked bodies, the Host
check (DNS rebinding), the queue place taken before a conversation is tokenised (off the event loop), a
non-streamed generation cancelled once its client leaves, sampling values the sampler cannot use refused with
a 400. `python -m webapp` in a subprocess (the session's `served`), or in this process where a test holds the
real tokenizer at a gate to see what the server does meanwhile (tests/webapp_helpers.py's `GatedTokenizer`)."""

import http.client
import json
import socket
import subprocess
import sys
import threading

import pytest

from tests.conftest import REPO
from tests.webapp_helpers import gated_server, raw_response, wait_for
from webapp.request_guards import allowed_host_names, host_name

MESSAGES = [{"role": "user", "content": "भारत की राजधानी"}]
LONG = 1900  # tokens: a generation that lasts long enough to be interrupted


@pytest.fixture(scope="module")
def in_process(served, tmp_path_factory):
    """The app in this process (uvicorn on a loopback port) over the same checkpoint, with --max-waiting 0 and
    one added Host name; its tokenizer stops at a gate on any text holding GatedTokenizer.MARK."""
    with gated_server(served.checkpoint, tmp_path_factory.mktemp("gated"), max_waiting=0,
                      allowed=["hindi.lan"]) as server:
        yield server


def send_chunked(port: int, path: str, total: int, chunk: int = 64 * 1024) -> tuple[int, dict]:
    """POST `total` bytes of a JSON string with Transfer-Encoding: chunked (no Content-Length); (status, body).
    The body is sent on a thread while the answer is read: the server answers before reading it all."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()

    def send_body() -> None:
        try:
            sock.sendall(head)
            sock.sendall(b"%x\r\n%s\r\n" % (1, b'"'))
            for _ in range(total // chunk):
                sock.sendall(b"%x\r\n%s\r\n" % (chunk, b"a" * chunk))
            sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (1, b'"'))
        except OSError:
            pass  # the server answered and closed the connection before the body's end: as it should

    sender = threading.Thread(target=send_body)
    sender.start()
    try:
        return raw_response(sock)
    finally:
        sender.join()
        sock.close()


def test_a_chunked_body_over_the_limit_gets_413_without_being_read_whole(served):
    status, body = send_chunked(served.server.port, "/v1/chat/completions", 3_600_000)
    assert status == 413
    assert "over this server's limit of 1,000,000" in body["error"]["message"]
    assert served.server.request("GET", "/health")[0] == 200


def test_a_chunked_body_under_the_limit_is_read(served):
    status, body = send_chunked(served.server.port, "/v1/chat/completions", 200_000)
    assert status == 400 and "must be a JSON object" in body["error"]["message"], body


def request_with_host(port: int, path: str, host: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/v1/models", "/api/runs", "/health"])
def test_a_request_naming_another_host_is_refused_against_dns_rebinding(served, path):
    port = served.server.port
    status, body = request_with_host(port, path, f"attacker.example:{port}")
    assert status == 421 and "does not answer for Host 'attacker.example:" in body["error"]["message"]
    assert "--allowed-host" in body["error"]["message"]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "LOCALHOST", f"[::1]:{port}"):
        assert request_with_host(port, path, host)[0] == 200, host


def test_an_http_1_0_request_without_a_host_header_is_refused(served):
    # (HTTP/1.1 requires a Host: uvicorn itself refuses one without)
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=60) as sock:
        sock.sendall(b"GET /v1/models HTTP/1.0\r\n\r\n")
        status, body = raw_response(sock)
    assert status == 400 and "no Host header" in body["error"]["message"]


def test_allowed_host_adds_a_name_and_the_bound_address(in_process):
    assert request_with_host(in_process.port, "/v1/models", "hindi.lan:8000")[0] == 200
    assert request_with_host(in_process.port, "/v1/models", "other.lan")[0] == 421
    assert allowed_host_names("192.168.1.5", ["Hindi.LAN:8000"]) >= {"192.168.1.5", "hindi.lan", "localhost"}
    assert "0.0.0.0" not in allowed_host_names("0.0.0.0")
    assert host_name("[::1]:8000") == "[::1]" and host_name("::1") == "[::1]"


def open_generation(port: int, stream: bool, max_tokens: int = LONG) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    # greedy: a barely trained model's most likely token is a frequent word, never <eos>, so it runs to the limit
    body = {"model": "tiny", "messages": MESSAGES, "max_tokens": max_tokens, "stream": stream, "temperature": 0}
    connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    return connection


def test_a_non_streamed_generation_whose_client_left_is_cancelled(served):
    server = served.server
    before = server.request("GET", "/health")[1]["queue"]
    connection = open_generation(server.port, stream=False)
    wait_for(lambda: server.request("GET", "/health")[1]["queue"]["running"], what="the generation to start")
    connection.close()
    after = wait_for(lambda: (q := server.request("GET", "/health")[1]["queue"])["cancelled"] > before["cancelled"]
                     and not q["running"] and q, what="the generation to be cancelled")
    assert after["served"] == before["served"], f"the {LONG}-token generation ran to its end: {after}"


def test_a_request_beyond_the_queue_is_refused_before_its_conversation_is_tokenised(served):
    server = served.server  # --max-waiting 2
    holders = [open_generation(server.port, stream=True)]
    wait_for(lambda: server.request("GET", "/health")[1]["queue"]["running"], what="the first generation")
    holders += [open_generation(server.port, stream=True, max_tokens=2) for _ in range(2)]
    wait_for(lambda: server.request("GET", "/health")[1]["queue"]["waiting"] == 2, what="two requests waiting")
    # max_tokens 2000 leaves 48 tokens of the tiny model's context of 2048 for a 500-character message: a 400
    # once tokenised
    too_long = [{"role": "user", "content": ("भारत की राजधानी " * 40)[:500]}]
    status, body = server.request("POST", "/v1/chat/completions", {"model": "tiny", "messages": too_long,
                                                                   "max_tokens": 2000})
    assert status == 429 and body["error"]["code"] == "queue_full", body
    for connection in holders:
        connection.close()
    wait_for(lambda: (q := server.request("GET", "/health")[1]["queue"])["waiting"] == 0 and not q["running"],
             what="the queue to empty")


def test_health_answers_while_a_conversation_is_being_tokenised(in_process):
    messages = [{"role": "user", "content": f"{in_process.tokenizer.MARK} नमस्ते"}]
    answer: list = []
    chat = threading.Thread(target=lambda: answer.append(in_process.request(
        "POST", "/v1/chat/completions", {"model": "tiny", "messages": messages, "max_tokens": 2})))
    chat.start()
    try:
        assert in_process.tokenizer.reached.wait(60), "the request never reached the tokenizer"
        status, health = in_process.request("GET", "/health", timeout=20)  # times out while the event loop waits
        assert status == 200 and health["status"] == "ok"
        # --max-waiting 0: the request being tokenised holds the only place
        status, body = in_process.request("POST", "/v1/completions", {"model": "tiny", "prompt": "भारत"})
        assert status == 429 and "lets none wait" in body["error"]["message"]
    finally:
        in_process.tokenizer.gate.set()
        chat.join()
    assert answer[0][0] == 200, answer


@pytest.mark.parametrize("settings, param", [
    ({"seed": 2**64}, "seed"),
    ({"seed": 2**63}, "seed"),
    ({"temperature": 1e-300}, "temperature"),
    ({"top_p": 1e-300}, "top_p"),
    ({"repetition_penalty": 1e-300}, "repetition_penalty"),
])
def test_a_value_the_sampler_cannot_use_gets_a_400_naming_it(served, settings, param):
    body = {"model": "tiny", "messages": MESSAGES, "max_tokens": 2, **settings}
    status, answer = served.server.request("POST", "/v1/chat/completions", body)
    assert status == 400 and answer["error"]["param"] == param, answer


def test_nan_and_infinity_get_a_400(served):
    body = b'{"model": "tiny", "prompt": "x", "max_tokens": 2, "temperature": NaN, "repetition_penalty": Infinity}'
    status, answer = served.server.request("POST", "/v1/completions", body)
    assert status == 400 and "temperature" in answer["error"]["message"], answer


@pytest.mark.parametrize("seed", [-1, -(2**63), 2**63 - 1])
def test_any_int64_seed_is_taken_and_repeats(served, seed):
    body = {"model": "tiny", "prompt": "भारत", "max_tokens": 6, "temperature": 1.0, "seed": seed}
    first, second = (served.server.request("POST", "/v1/completions", body) for _ in range(2))
    assert first[0] == 200 and first[1]["choices"][0]["text"] == second[1]["choices"][0]["text"]


@pytest.mark.parametrize("option", ["--max-waiting=-1", "--max-tokens=0", "--port=0"])
def test_a_limit_out_of_range_is_a_one_line_cli_error(tmp_path, option):
    done = subprocess.run([sys.executable, "-m", "webapp", "--checkpoint", str(tmp_path), option], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "less than" in done.stderr and "Traceback" not in done.stderr
