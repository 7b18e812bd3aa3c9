"""A GGUF file served through llama.cpp (`python -m webapp --checkpoint FILE.gguf`) answers as the PyTorch
checkpoint it was exported from: two real servers on loopback ports, one per backend, asked the same through the
official openai client. The model is a tiny one fine-tuned on a few Hindi and Hinglish conversations; the file
is its f32 export (llama.cpp then keeps its KV cache in f32 too, so greedy decoding picks the same tokens)."""

import http.client
import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
import sentencepiece as spm

from model.__main__ import main as model_main
from model.chat import generate_reply
from model.config import preset
from model.gguf.backend import LlamaCppBackend
from model.hf import to_hf
from model.sampling import GREEDY
from pipeline.typed_config import load_config
from tests.conftest import REPO
from tests.model_helpers import random_model
from tests.test_webapp import disconnect_mid_stream
from tests.trainer_helpers import build_shards
from tests.webapp_helpers import start_server, wait_for
from trainer.config import TrainConfig
from trainer.loop import Trainer

try:
    import llama_cpp  # noqa: F401  (loads llama.cpp's shared library)
except Exception as err:  # ImportError, or OSError when the library does not load on this machine
    pytest.skip(f"llama.cpp is not usable here ({err}); `make setup` builds llama-cpp-python", allow_module_level=True)

BYTES_ANSWER = "😀 தமிழ்"  # no piece of the tokenizer: every character comes as UTF-8 bytes (byte fallback)
# the prompt of a chat turn written out, for /v1/completions and `python -m model generate`, which add <bos>
EMOJI_TURN = "<start_of_turn>user\nemoji?<end_of_turn>\n<start_of_turn>model\n"
CONVERSATIONS = [("भारत की राजधानी क्या है?", "नई दिल्ली"), ("kal movie dekhne chalein?", "haan yaar, chalte hain"),
                 ("मानसून कब आता है?", "जून में"), ("aaj mausam kaisa hai?", "bahut accha hai"),
                 ("emoji?", BYTES_ANSWER)]
# the trained questions, and Hindi and Hinglish the model never saw
PROMPTS = [q for q, _ in CONVERSATIONS] + ["गंगा नदी कहाँ बहती है?", "yaar khana kaisa tha?", "दिल्ली में कोहरा"]


def chat_model(folder):
    """A tiny model fine-tuned (from random weights, with a tokenizer that has the turn pieces) on CONVERSATIONS."""
    tokenizer = build_shards(folder / "data").parent / "tok"
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer / "tokenizer.model"))
    to_hf(random_model(preset("tiny").with_vocab(sp.get_piece_size())), folder / "base")
    shutil.copy(tokenizer / "tokenizer.model", folder / "base" / "tokenizer.model")
    rows = [[{"role": "user", "content": q}, {"role": "assistant", "content": a}] for q, a in CONVERSATIONS]
    (folder / "sft").mkdir()
    for split in ("train", "val"):
        (folder / "sft" / f"{split}.jsonl").write_text(
            "".join(json.dumps({"messages": m}, ensure_ascii=False) + "\n" for m in rows), encoding="utf-8")
    items = [f"init_from={folder / 'base'}", f"sft_data={folder / 'sft'}", f"out_dir={folder / 'run'}",
             "tensorboard=false", "sample_tokens=0", "max_steps=60", "warmup_steps=4", "lr=0.01", "eval_every=60",
             "checkpoint_every=60", "batch_size=5", "block_size=64"]
    Trainer(load_config(TrainConfig, REPO / "configs" / "sft_tiny.yaml", items), resume=False).run()
    return folder / "run" / "checkpoints" / "step_00000060"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return chat_model(tmp_path_factory.mktemp("gguf_serving"))


@pytest.fixture(scope="module")
def servers(checkpoint):
    """{'torch': server on the checkpoint, 'llama.cpp': server on its f32 GGUF export}, both named 'tiny'."""
    folder = checkpoint.parents[2]
    gguf = folder / "tiny_f32.gguf"
    assert model_main(["export-gguf", "--checkpoint", str(checkpoint), "--out", str(gguf), "--type", "f32"]) == 0
    (folder / "empty").mkdir()
    limits = ("--max-tokens", "3000", "--max-waiting", "2", "--max-message-chars", "500", "--threads", "1")
    running = {name: start_server(path, folder / "empty", folder / "empty", folder / "empty",
                                  folder / f"{name}.log", *limits)
               for name, path in (("torch", checkpoint), ("llama.cpp", gguf))}
    yield running
    for server in running.values():
        server.stop()


def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)


def both(servers, call):
    """`call(client)` against each server: (PyTorch's answer, llama.cpp's)."""
    return call(client(servers["torch"])), call(client(servers["llama.cpp"]))


def babbling_stream(server) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """A streaming completion that runs on for 1,900 tokens, its first event read: past its turn the model babbles,
    and it never learnt to end with <eos> (no SFT target holds one). open_stream's chat may end within a few tokens:
    this model has learnt to answer it."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    body = {"model": "tiny", "prompt": EMOJI_TURN, "max_tokens": 1900, "stream": True, "temperature": 0}
    connection.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200
    response.readline()
    return connection, response


@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_replies_are_the_same_text_from_the_gguf_file(servers, prompt):
    ours, llama = both(servers, lambda c: c.chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": prompt}], max_tokens=24, temperature=0))
    assert llama.choices[0].message.content == ours.choices[0].message.content
    assert llama.choices[0].finish_reason == ours.choices[0].finish_reason
    assert llama.usage.model_dump() == ours.usage.model_dump()


def test_the_trained_replies_end_at_end_of_turn_through_llama_cpp(servers):
    for question, answer in CONVERSATIONS:
        reply = client(servers["llama.cpp"]).chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": question}], max_tokens=24, temperature=0)
        assert reply.choices[0].message.content == answer and reply.choices[0].finish_reason == "stop"


def test_a_text_completion_keeps_byte_fallback_characters_whole_on_both_backends(servers):
    ours, llama = both(servers, lambda c: c.completions.create(model="tiny", prompt=EMOJI_TURN, max_tokens=30,
                                                                temperature=0, stop=["<", "\n"]))
    assert ours.choices[0].text.startswith(BYTES_ANSWER) and "\ufffd" not in ours.choices[0].text
    assert llama.choices[0].text == ours.choices[0].text
    assert llama.usage.completion_tokens == ours.usage.completion_tokens


def test_the_generate_cli_shows_byte_fallback_characters_whole(checkpoint, capsys):
    assert model_main(["generate", "--checkpoint", str(checkpoint), "--prompt", EMOJI_TURN, "--temperature", "0",
                       "--repetition-penalty", "1", "--max-new-tokens", "40"]) == 0
    shown = capsys.readouterr().out  # after the turn it babbles on, stray bytes included: those show as U+FFFD
    assert shown.startswith(EMOJI_TURN + BYTES_ANSWER + "<end_of_turn>")


def test_streamed_chunks_join_to_the_whole_reply_with_usage(servers):
    settings = {"model": "tiny", "messages": [{"role": "user", "content": PROMPTS[4]}], "max_tokens": 30,
                "temperature": 0}
    llama = client(servers["llama.cpp"])
    whole = llama.chat.completions.create(**settings)
    chunks = list(llama.chat.completions.create(**settings, stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == whole.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_stop_strings_and_max_tokens_cut_the_reply_as_pytorch_does(servers):
    settings = {"model": "tiny", "messages": [{"role": "user", "content": PROMPTS[5]}], "temperature": 0}
    ours, _ = both(servers, lambda c: c.chat.completions.create(**settings, max_tokens=30))
    text = ours.choices[0].message.content
    assert len(text) > 4, f"the reply should be long enough to cut: {text!r}"
    stop = text[len(text) // 2 : len(text) // 2 + 2]
    ours, llama = both(servers, lambda c: c.chat.completions.create(**settings, max_tokens=30, stop=[stop]))
    assert llama.choices[0].message.content == ours.choices[0].message.content == text[: text.find(stop)]
    assert llama.choices[0].finish_reason == "stop"
    ours, llama = both(servers, lambda c: c.chat.completions.create(**settings, max_tokens=3))
    assert llama.usage.completion_tokens == ours.usage.completion_tokens == 3
    assert llama.choices[0].finish_reason == ours.choices[0].finish_reason == "length"


def test_a_seed_repeats_a_sampled_reply_and_draws_what_pytorch_draws(servers):
    settings = {"model": "tiny", "messages": [{"role": "user", "content": PROMPTS[6]}], "max_tokens": 30,
                "temperature": 1.5, "top_p": 0.95, "seed": 11, "extra_body": {"top_k": 50, "repetition_penalty": 1.3}}
    llama = client(servers["llama.cpp"])
    first, again = (llama.chat.completions.create(**settings).choices[0].message.content for _ in range(2))
    others = {llama.chat.completions.create(**{**settings, "seed": seed}).choices[0].message.content
              for seed in range(12, 17)}  # the model is sure of its trained replies: some seeds draw the same
    ours = client(servers["torch"]).chat.completions.create(**settings).choices[0].message.content
    assert first == again == ours and others - {first}


def test_a_client_that_disconnects_mid_stream_frees_the_llama_cpp_server(servers):
    # a babbling completion: the fine-tuned model may answer open_stream's chat in a few tokens, before it leaves
    before, after = disconnect_mid_stream(servers["llama.cpp"], babbling_stream)
    assert after["served"] == before["served"]


BAD = [
    {"model": "tiny", "messages": []},
    {"model": "other", "messages": [{"role": "user", "content": "नमस्ते"}]},
    {"model": "tiny", "messages": [{"role": "user", "content": "नमस्ते"}], "max_tokens": 5000},
    {"model": "tiny", "messages": [{"role": "user", "content": "नमस्ते"}], "max_tokens": 2048},
    {"model": "tiny", "messages": [{"role": "user", "content": "x" * 600}]},
    {"model": "tiny", "messages": [{"role": "assistant", "content": "नमस्ते"}]},
    {"model": "tiny", "messages": [{"role": "user", "content": "<end_of_turn>"}]},
    {"model": "tiny", "messages": [{"role": "user", "content": "नमस्ते"}], "temperature": -1},
    {"model": "tiny", "messages": [{"role": "user", "content": "नमस्ते"}], "stop": "x" * 1001},
]


@pytest.mark.parametrize("body", BAD, ids=range(len(BAD)))
def test_bad_requests_get_the_same_4xx_from_both_backends(servers, body):
    ours, llama = (servers[name].request("POST", "/v1/chat/completions", body) for name in ("torch", "llama.cpp"))
    assert 400 <= ours[0] < 500 and llama == ours


def test_concurrent_requests_are_decoded_together_and_leave_when_their_clients_do(servers):
    """Up to --parallel requests (4 by default) run at once on the llama.cpp server, one batch per step."""
    server = servers["llama.cpp"]
    before = server.request("GET", "/health")[1]["queue"]
    streams = [babbling_stream(server) for _ in range(3)]
    wait_for(lambda: server.request("GET", "/health")[1]["queue"]["running"] == 3, what="three generations at once")
    for connection, response in streams:
        response.close()
        connection.close()
    after = wait_for(lambda: (q := server.request("GET", "/health")[1]["queue"])["cancelled"] == before["cancelled"] + 3
                     and not q["running"] and q, what="the three generations to be cancelled")
    assert after["served"] == before["served"]


def test_replies_decoded_in_one_batch_do_not_mix(servers):
    """Three trained questions asked at once while a long generation runs: all four share each step's batch
    (f32 kernels depend on the batch in the last bits, so a babbling reply can part from its lone twin after a
    near tie; the trained replies are certain, and a sequence reading another's cache or logits would miss them)."""
    server = servers["llama.cpp"]
    connection, response = babbling_stream(server)
    wait_for(lambda: server.request("GET", "/health")[1]["queue"]["running"] == 1, what="the long generation")

    def ask(question: str) -> str:  # plain HTTP: sent within milliseconds, while the long one has ~1,900 steps to go
        body = {"model": "tiny", "messages": [{"role": "user", "content": question}], "max_tokens": 24,
                "temperature": 0}
        return server.request("POST", "/v1/chat/completions", body)[1]["choices"][0]["message"]["content"]

    with ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(ask, [q for q, _ in CONVERSATIONS[:3]]))
    assert server.request("GET", "/health")[1]["queue"]["running"] == 1  # the long one was there throughout
    response.close()
    connection.close()
    assert replies == [a for _, a in CONVERSATIONS[:3]]


def test_more_requests_than_places_wait_their_turn_and_closing_ends_those_decoding(servers, checkpoint):
    """The backend itself, two places: four trained questions from four threads all get their replies (two wait
    for a place); closing it while a request decodes ends that request with an error instead of leaving it
    waiting forever."""
    backend = LlamaCppBackend(checkpoint.parents[2] / "tiny_f32.gguf", threads=1, parallel=2)
    try:
        def ask(question: str) -> str:
            return generate_reply(backend, [{"role": "user", "content": question}], 24, GREEDY).text

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(ask, [q for q, _ in CONVERSATIONS[:4]])) == [a for _, a in CONVERSATIONS[:4]]
        started, failure = threading.Event(), []

        def babble() -> None:
            prompt = [backend.vocab.bos_id(), *backend.vocab.encode(EMOJI_TURN)]
            try:
                backend.generate(prompt, 1900, GREEDY, set(), lambda _: started.set())
            except RuntimeError as err:
                failure.append(str(err))

        decoding = threading.Thread(target=babble)
        decoding.start()
        assert started.wait(60)
    finally:
        backend.close()
    decoding.join(60)
    assert failure == ["the llama.cpp backend was closed"]


def test_token_bytes_are_right_when_many_threads_stream_at_once(servers, checkpoint):
    """Every request streams its text on its own thread: a piece buffer shared between them once gave one reply
    another's bytes ("न�  दिल्ली" for "नई दिल्ली")."""
    backend = LlamaCppBackend(checkpoint.parents[2] / "tiny_f32.gguf", threads=1)
    try:
        tokens = range(backend.vocab.get_piece_size())
        alone = [backend.token_bytes(t) for t in tokens]
        with ThreadPoolExecutor(8) as pool:
            together = list(pool.map(lambda _: [backend.token_bytes(t) for t in tokens], range(8)))
    finally:
        backend.close()
    assert all(each == alone for each in together)
