"""The web app over the real server (`python -m webapp` on a loopback port, a tiny trained checkpoint, the
sample's pipeline run): the OpenAI-compatible API through the official client, bad requests, the queue, and
the data and training JSON the pages read. The pages themselves: tests/test_webapp_pages.py."""

import http.client
import json
import re
import shutil
import urllib.parse
import urllib.request
from urllib.parse import quote

import openai
import pytest
import sentencepiece as spm
import torch

from model.backend import TorchBackend
from model.chat import generate_reply
from model.generate import generate
from model.hf import from_hf
from model.sampling import Sampling
from tests.webapp_helpers import wait_for
from webapp.training_log import read_new_records

MESSAGES = [{"role": "system", "content": "जवाब हिंदी में दें।"}, {"role": "user", "content": "भारत की राजधानी"}]
LONG = 1900  # tokens: a generation that lasts long enough to be interrupted


@pytest.fixture(scope="module")
def client(served):
    return openai.OpenAI(base_url=f"{served.server.url}/v1", api_key="unused", max_retries=0)


@pytest.fixture(scope="module")
def local_model(served):
    checkpoint = served.checkpoint
    return from_hf(checkpoint).eval(), spm.SentencePieceProcessor(model_file=str(checkpoint / "tokenizer.model"))


def test_a_streamed_chat_completion_has_the_tokens_model_chat_gives_with_the_same_seed(client, local_model):
    stream = client.chat.completions.create(
        model="tiny", messages=MESSAGES, stream=True, max_tokens=40, temperature=0.9, top_p=0.95, seed=7,
        stream_options={"include_usage": True}, extra_body={"top_k": 50, "repetition_penalty": 1.2})
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    module, sp = local_model
    reply = generate_reply(TorchBackend(module, sp), MESSAGES, 40, Sampling(0.9, 50, 0.95, 1.2, seed=7))
    assert streamed == reply.text and len(streamed) > 0
    assert chunks[-1].usage.completion_tokens == len(reply.token_ids)
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) > 1, "streamed in pieces"


def test_a_text_completion_continues_the_prompt_as_model_generate_does(client, local_model):
    answer = client.completions.create(model="tiny", prompt="भारत", max_tokens=12, temperature=0)
    module, sp = local_model
    ids = generate(module, torch.tensor([[module.config.bos_token_id, *sp.encode("भारत")]]), 12,
                   vocab_limit=sp.get_piece_size())
    assert answer.choices[0].text == sp.decode(ids[0, 2:].tolist())
    assert answer.usage.completion_tokens == 12 and answer.choices[0].finish_reason == "length"


def test_a_stop_string_ends_the_reply_before_it_streamed_or_not(client):
    settings = {"model": "tiny", "messages": MESSAGES, "max_tokens": 30, "temperature": 0}
    whole = client.chat.completions.create(**settings).choices[0].message.content
    stop = whole.split()[3]
    cut = client.chat.completions.create(**settings, stop=[stop])
    streamed = "".join(c.choices[0].delta.content or ""
                       for c in client.chat.completions.create(**settings, stop=stop, stream=True) if c.choices)
    assert cut.choices[0].message.content == whole[: whole.index(stop)] == streamed
    assert cut.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("body, status, says", [
    (b'{"model": "tiny", "messages": [', 400, "malformed JSON in the request body at character"),
    ({"model": "gpt-4", "messages": MESSAGES}, 404, "model 'gpt-4' does not exist on this server"),
    ({"model": "tiny", "messages": [{"role": "user", "content": "क" * 501}]}, 400,
     "messages.0.content has 501 characters, over this server's limit of 500"),
    ({"model": "tiny", "messages": MESSAGES, "max_tokens": -5}, 400, "max_tokens: Input should be greater than"),
    ({"model": "tiny", "messages": MESSAGES, "max_tokens": 5000}, 400, "over this server's limit of 2000"),
    ({"model": "tiny", "messages": [{"role": "assistant", "content": "नमस्ते"}]}, 400, "roles must alternate"),
    ({"model": "tiny", "messages": []}, 400, "messages: List should have at least 1 item"),
    (b'["not", "an", "object"]', 400, "must be a JSON object"),
])
def test_a_bad_request_gets_a_4xx_with_an_openai_style_message(served, body, status, says):
    code, answer = served.server.request("POST", "/v1/chat/completions", body)
    assert code == status
    assert says in answer["error"]["message"] and "Traceback" not in json.dumps(answer)


def test_the_openai_client_raises_the_servers_message(client):
    with pytest.raises(openai.NotFoundError, match="does not exist on this server"):
        client.chat.completions.create(model="nonexistent", messages=MESSAGES)


def open_stream(server, max_tokens: int = LONG) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """A streaming chat request whose first event has been read: it is generating (or waiting) on the server."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    # greedy: a barely trained model's most likely token is a frequent word, never <eos>, so it runs to the limit
    body = {"model": "tiny", "messages": MESSAGES, "max_tokens": max_tokens, "stream": True, "temperature": 0}
    connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200
    response.readline()  # the role chunk
    return connection, response


def disconnect_mid_stream(server, open_long_stream=None) -> tuple[dict, dict]:
    """The queue's counts before a streaming client leaves mid-reply, and once its generation is cancelled.
    `open_long_stream(server)`: a request that runs long on this server's model (default: open_stream)."""
    before = server.request("GET", "/health")[1]["queue"]
    connection, response = (open_long_stream or open_stream)(server)
    wait_for(lambda: server.request("GET", "/health")[1]["queue"]["running"], what="the generation to start")
    response.close()
    connection.close()
    after = wait_for(lambda: (q := server.request("GET", "/health")[1]["queue"])["cancelled"] > before["cancelled"]
                     and not q["running"] and q, what="the generation to be cancelled")
    return before, after


def test_a_client_that_disconnects_mid_stream_frees_its_slot(served):
    server = served.server
    before, after = disconnect_mid_stream(server)
    assert after["served"] == before["served"], f"the {LONG}-token generation was cut short, not finished: {after}"
    assert server.request("POST", "/v1/chat/completions", {"model": "tiny", "messages": MESSAGES,
                                                           "max_tokens": 4})[0] == 200


def test_requests_beyond_the_queue_limit_get_429_and_those_waiting_are_served(served):
    server = served.server
    running = open_stream(server)
    wait_for(lambda: server.request("GET", "/health")[1]["queue"]["running"], what="the first generation")
    waiting = [open_stream(server, max_tokens=2) for _ in range(2)]  # --max-waiting 2
    code, answer = server.request("POST", "/v1/chat/completions", {"model": "tiny", "messages": MESSAGES})
    assert code == 429 and "2 requests are already waiting" in answer["error"]["message"]
    running[1].close()
    running[0].close()  # frees the generation thread; the two waiting are served to the end
    for connection, response in waiting:
        events = response.read().decode().split("\n\n")
        assert events[-2] == "data: [DONE]" and '"finish_reason": null' not in events[-3]
        connection.close()


def test_the_data_api_pages_set_aside_documents_with_file_line_and_reason(served):
    server = served.server
    code, page = server.request("GET", "/api/runs/sample/02_filter/documents?set=rejected/language&reason=not_hindi"
                                       "&limit=3")
    assert code == 200 and page["has_more"] and len(page["documents"]) == 3
    first = page["documents"][0]
    assert (first["file"], first["line"], first["reason"]) == ("sample_docs.jsonl", 32, "not_hindi")
    assert "devanagari_share" in first["scores"]  # lid.176 runs only on Devanagari text
    _, next_page = server.request("GET", "/api/runs/sample/02_filter/documents?set=rejected/language"
                                         "&reason=not_hindi&limit=3&offset=3")
    assert {d["id"] for d in next_page["documents"]}.isdisjoint(d["id"] for d in page["documents"])
    _, found = server.request("GET", f"/api/runs/sample/03_dedup/documents?set=removed/exact&q={quote('भारत')}")
    assert found["documents"] and all("भारत" in d["text"] for d in found["documents"])
    assert all(d["detail"].startswith("duplicate of ") for d in found["documents"])


def test_the_data_api_never_leaves_the_work_folder(served):
    server = served.server
    for path in ("/api/runs/sample/02_filter/documents?set=rejected/..", "/api/runs/sample/..%2F..%2F/documents",
                 "/api/runs/sample/02_filter/document?set=output&shard=..%2F..%2Fstats.json&line=1",
                 "/cards/sample/..%2F..%2Fsecret.png"):
        code, answer = server.request("GET", path)
        assert code == 404, path
        assert answer["error"]["message"]


def test_a_shard_being_written_or_a_line_that_is_no_document_is_a_clean_error(served):
    stage = served.run_dir.parent / "unfinished" / "01_ingest"
    shutil.copytree(served.run_dir / "01_ingest", stage)
    shard = next((stage / "output").glob("*.jsonl.gz"))
    shard.write_bytes(shard.read_bytes()[: len(shard.read_bytes()) // 2])  # what a writer leaves mid-file
    bad_line = stage / "rejected" / "bad_records" / "00000.jsonl"
    bad_line.parent.mkdir(parents=True, exist_ok=True)
    bad_line.write_text('{"id": "a", "text": "ठीक"}\n["not", "a", "document"]\n', encoding="utf-8")
    for path, names in (("/api/runs/unfinished/01_ingest/documents?set=output", shard.name),
                        ("/api/runs/unfinished/01_ingest/documents?set=rejected/bad_records", "00000.jsonl:2"),
                        ("/api/runs/unfinished/01_ingest/document?set=rejected/bad_records&shard=00000.jsonl&line=2",
                         "00000.jsonl:2")):
        code, answer = served.server.request("GET", path)
        assert code == 422, path
        assert names in answer["error"]["message"]


def test_the_training_log_is_read_in_complete_lines_and_from_0_after_a_rewrite(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"step": 1, "loss": 5.0}\n{"event": "eval", "step": 1, "val_bpb": 2.0}\n{"step": 2, "lo')
    first = read_new_records(log, 0)
    assert [s["step"] for s in first["steps"]] == [1] and first["events"][0]["val_bpb"] == 2.0
    with log.open("a") as f:
        f.write('ss": 4.0}\n')
    second = read_new_records(log, first["offset"])
    assert second["steps"] == [{"step": 2, "loss": 4.0}] and not second["reset"]
    log.write_text('{"step": 1, "loss": 5.0}\n')  # a resumed run rewinds the log
    assert read_new_records(log, second["offset"])["reset"]


def test_the_reports_links_to_stage_cards_resolve_inside_the_web_app(served):
    from evaluation.report import _stage_rows, render_html

    cards = served.run_dir.parent.parent / "cards"
    stage = {"stage": "02_filter", "run": served.run_dir.name, "documents_in": 40, "documents_out": 30}
    report = served.out_dir / "report.html"
    report.write_text(render_html("report", [("table", ["stage"], _stage_rows([stage], cards, served.out_dir))]))
    try:
        page = urllib.request.urlopen(f"{served.server.url}/train/{served.out_dir.name}/report.html").read().decode()
        href = re.search(r'<a href="([^"]+)"', page).group(1)
        card = urllib.request.urlopen(urllib.parse.urljoin(f"{served.server.url}/train/{served.out_dir.name}/", href))
        assert card.status == 200 and "02_filter" in card.read().decode()
        assert (served.out_dir / urllib.parse.unquote(re.search(r'<a href="([^"]+)"', report.read_text()).group(1))
                ).resolve() == (cards / served.run_dir.name / "02_filter.md").resolve()  # and as a file too
    finally:
        report.unlink()


def test_make_serve_after_make_demo_serves_the_chat_model_sft_made():
    import subprocess

    from tests.conftest import REPO

    command = subprocess.run(["make", "-n", "serve", "WORKDIR=w"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout
    assert "--checkpoint w/sample_sft " in command  # make demo's SFT run, not the pretrained sample_run
