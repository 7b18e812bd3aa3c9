"""uint16 shards: they decode back to the documents, the split is deterministic, a crashed run resumes,
and a shard folder that disagrees with the tokenizer is refused with what to do."""

import json
from pathlib import Path

import numpy as np
import pytest
import sentencepiece as spm

from pipeline.documents import BadRecordError
from pipeline.tokenize.settings import ShardConfig
from pipeline.tokenize.shards import check_shards, split_of, write_shards
from tests.conftest import REPO, write_jsonl
from tokenizer.__main__ import main
from tokenizer.config import SampleConfig, TokenizerConfig, TrainConfig
from tokenizer.train import train_tokenizer

WORDS = "भारत गंगा नदी मानसून बारिश दिल्ली कोहरा बाज़ार kal movie dekhne yaar accha hai".split()


def documents(count: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{"id": f"doc-{seed}-{i}", "text": " ".join(rng.choice(WORDS, size=int(rng.integers(3, 40))))}
            for i in range(count)]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tok")
    data = write_jsonl(folder / "train.jsonl", documents(200, seed=99))
    return train_tokenizer(TokenizerConfig(out=str(folder / "tok"), sample=SampleConfig(inputs=[str(data)]),
                                           train=TrainConfig(vocab_size=400, hard_vocab_limit=False)))


def shard_config(inputs, out, **kwargs) -> ShardConfig:
    return ShardConfig(inputs=[str(p) for p in inputs], out=str(out), **{"shard_tokens": 500, "val_fraction": 0.2,
                                                                        **kwargs})


def decoded_documents(folder, sp) -> dict[str, list[str]]:
    meta = json.loads((folder / "meta.json").read_text())
    texts = {"train": [], "val": []}
    for shard in meta["shards"]:
        ids = np.fromfile(folder / shard["file"], dtype=np.uint16).tolist()
        start = 0
        for end in [i for i, t in enumerate(ids) if t == meta["eos_id"]]:
            assert ids[start] == meta["bos_id"]
            texts[shard["split"]].append(sp.decode(ids[start + 1 : end]))
            start = end + 1
    return texts


def test_shards_decode_back_to_the_documents_in_order(tmp_path, model_file):
    docs = documents(120)
    data = write_jsonl(tmp_path / "in" / "docs.jsonl", docs)
    meta = write_shards(shard_config([data], tmp_path / "out"), model_file)
    texts = decoded_documents(tmp_path / "out", spm.SentencePieceProcessor(model_file=str(model_file)))
    for split in ("train", "val"):
        assert texts[split] == [d["text"] for d in docs if split_of(d["id"], 0.2) == split]
    assert meta["totals"]["val"]["documents"] == len(texts["val"]) > 0
    assert len([s for s in meta["shards"] if s["split"] == "train"]) > 2, "the test wants several shards"
    assert check_shards(tmp_path / "out", model_file) == []


def test_the_split_depends_on_the_document_not_on_the_run(tmp_path, model_file):
    data = write_jsonl(tmp_path / "in" / "docs.jsonl", documents(60))
    for out in ("a", "b"):
        write_shards(shard_config([data], tmp_path / out), model_file)
    for shard in json.loads((tmp_path / "a" / "meta.json").read_text())["shards"]:
        assert (tmp_path / "a" / shard["file"]).read_bytes() == (tmp_path / "b" / shard["file"]).read_bytes()
    assert split_of("doc-0-1", 0.2) == split_of("doc-0-1", 0.2)


def test_a_crashed_run_resumes_without_rewriting_finished_shards(tmp_path, model_file):
    first, second = documents(100, seed=1), documents(30, seed=2)
    write_jsonl(tmp_path / "in" / "a.jsonl", first)
    broken = tmp_path / "in" / "b.jsonl"
    broken.write_text(json.dumps(second[0]) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(BadRecordError, match="b.jsonl:2"):
        write_shards(shard_config([tmp_path / "in"], tmp_path / "out", batch_documents=10), model_file)
    finished = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.bin")}
    assert finished and not (tmp_path / "out" / "meta.json").exists()

    write_jsonl(broken, second)  # the input is fixed; the same command runs again
    write_shards(shard_config([tmp_path / "in"], tmp_path / "out", batch_documents=10), model_file)
    assert {name: (tmp_path / "out" / name).stat().st_mtime_ns for name in finished} == finished
    write_jsonl(tmp_path / "clean" / "a.jsonl", first)
    write_jsonl(tmp_path / "clean" / "b.jsonl", second)
    write_shards(shard_config([tmp_path / "clean"], tmp_path / "reference", batch_documents=10), model_file)
    resumed, reference = (json.loads((tmp_path / f / "meta.json").read_text()) for f in ("out", "reference"))
    assert [(s["file"], s["tokens"]) for s in resumed["shards"]] == [(s["file"], s["tokens"]) for s in
                                                                      reference["shards"]]
    for shard in reference["shards"]:
        assert (tmp_path / "out" / shard["file"]).read_bytes() == (tmp_path / "reference" / shard["file"]).read_bytes()


def test_shards_made_with_another_tokenizer_are_refused_with_what_to_do(tmp_path, model_file, capsys):
    data = write_jsonl(tmp_path / "in" / "docs.jsonl", documents(20))
    write_shards(shard_config([data], tmp_path / "out"), model_file)
    other = train_tokenizer(TokenizerConfig(out=str(tmp_path / "other"), sample=SampleConfig(inputs=[str(data)]),
                                            train=TrainConfig(vocab_size=350, hard_vocab_limit=False)))
    assert main(["check", str(tmp_path / "out"), "--model", str(other)]) == 1
    assert "re-run `make shards`" in capsys.readouterr().err


def test_other_settings_in_an_existing_shard_folder_are_refused(tmp_path, model_file):
    data = write_jsonl(tmp_path / "in" / "docs.jsonl", documents(20))
    write_shards(shard_config([data], tmp_path / "out"), model_file)
    with pytest.raises(ValueError, match="other settings"):
        write_shards(shard_config([data], tmp_path / "out", val_fraction=0.5), model_file)


def test_shard_command_names_a_missing_tokenizer(tmp_path, capsys):
    data = write_jsonl(tmp_path / "in" / "docs.jsonl", documents(5))
    args = ["shard", str(REPO / "configs" / "tokenizer.yaml"), "--input", str(data), "--out", str(tmp_path / "none")]
    assert main(args) == 2
    assert "make tokenizer" in capsys.readouterr().err


def test_meta_names_its_tokenizer_so_that_training_works_from_another_folder(tmp_path, model_file, monkeypatch):
    from trainer.data import tokenizer_of_shards

    data = write_jsonl(tmp_path / "in" / "docs.jsonl", documents(20))
    monkeypatch.chdir(model_file.parent.parent)  # `make shards` passes the tokenizer relative to where it runs
    write_shards(shard_config([data], tmp_path / "out"), model_file.relative_to(model_file.parent.parent))
    monkeypatch.chdir(tmp_path)
    assert Path(tokenizer_of_shards(tmp_path / "out")).is_file()
