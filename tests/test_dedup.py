"""Stage 03_dedup: matra-safe normalisation, exact and near duplicates with planted copies, books that balance."""

from __future__ import annotations

import json
import random

import pytest
from datatrove.utils.text import TextNormConfig, simplify_text

from pipeline.__main__ import main
from pipeline.dedup import HINDI_TEXT_NORM, DedupConfig, catch_probability, normalised_text
from tests.conftest import SAMPLE_CONFIG, corpus_path, read_jsonl_folder, write_jsonl


def test_normaliser_keeps_the_marks_datatrove_strips():
    a, b = "वह घर में है", "वह घर म ह"
    assert simplify_text(a, TextNormConfig()) == simplify_text(b, TextNormConfig())  # datatrove's default merges
    assert simplify_text(a, HINDI_TEXT_NORM) != simplify_text(b, HINDI_TEXT_NORM)
    assert normalised_text("कुल 152 मामले।") == normalised_text("कुल 98, मामले")


def test_s_curve_and_rehydration_weights():
    assert catch_probability(0.5, 40, 4) > 0.9 and catch_probability(0.2, 40, 4) < 0.07
    assert catch_probability(0.6, 14, 8) < 0.25  # datatrove's default misses most 5%-edited copies
    config = DedupConfig()
    assert [config.weight(n) for n in (1, 2, 4, 5, 99, 100)] == [1, 2, 2, 3, 3, 1]


def test_sample_run_books_and_kept_copy_named(run_args, tmp_path):
    assert main(["run", str(SAMPLE_CONFIG), *run_args]) == 0
    stage = tmp_path / "work" / "sample" / "03_dedup"
    stats = json.loads((stage / "stats.json").read_text())
    kept = {r["id"] for r in read_jsonl_folder(stage / "output")}
    exact = read_jsonl_folder(stage / "removed" / "exact")
    assert stats["balanced"] and stats["documents_in"] == len(kept) + len(exact) + len(
        read_jsonl_folder(stage / "removed" / "near")
    )
    assert exact and all(r["metadata"]["duplicate_of"] in kept for r in exact)
    assert (tmp_path / "cards" / "sample" / "03_dedup_s_curve.png").exists()


def _shingles(text: str) -> set[str]:
    words = normalised_text(text).split()
    return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _mutate(words: list[str], rng: random.Random) -> str:
    kept = [w for w in words if rng.random() > 0.05]  # about 5% of the words dropped
    return "ताज़ा ख़बरें | होम | राज्य | देश\n" + " ".join(kept) + "\nसभी अधिकार सुरक्षित। हमें फ़ॉलो करें"


@pytest.mark.slow
def test_planted_duplicates_in_corpus_news(tmp_path):
    rng = random.Random(0)
    news = corpus_path("hi_wiki_or_news", "hindi_covid_news_2020.jsonl")
    docs = [json.loads(line) for line in news.read_text(encoding="utf-8").splitlines()]
    docs = [d for d in docs if len(d["text"].split()) >= 150][:600]
    planted = []
    for n, doc in enumerate(docs[:150]):
        planted.append({"id": f"near-{n}", "text": _mutate(doc["text"].split(), rng), "of": doc["id"]})
    for n, doc in enumerate(docs[150:200]):
        planted.append({"id": f"exact-{n}", "text": doc["text"], "of": doc["id"]})
    write_jsonl(tmp_path / "in" / "docs.jsonl", docs + [{"id": p["id"], "text": p["text"]} for p in planted])
    args = ["run", "configs/local.yaml", "--input", str(tmp_path / "in"), "--workdir", str(tmp_path / "w")]
    args += ["--set", f"cards_dir={tmp_path / 'c'}", "--stage", "ingest", "--stage", "filter", "--stage", "dedup"]
    assert main(args) == 0
    run_dir = next((tmp_path / "w").glob("local-*"))

    def original_ids(folder):
        return {r["metadata"]["original_id"] for r in read_jsonl_folder(folder)}

    filtered = original_ids(run_dir / "02_filter" / "output")
    kept = original_ids(run_dir / "03_dedup" / "output")
    pairs = [(p["id"], p["of"]) for p in planted if p["id"] in filtered and p["of"] in filtered]
    near = [pair for pair in pairs if pair[0].startswith("near")]
    exact = [pair for pair in pairs if pair[0].startswith("exact")]
    caught_near = sum(not (a in kept and b in kept) for a, b in near)
    print(json.dumps({"near": [caught_near, len(near)], "exact": len(exact)}))
    assert len(near) >= 100 and caught_near >= 0.95 * len(near), f"{caught_near} of {len(near)}"
    assert exact and all(not (a in kept and b in kept) for a, b in exact)
    in_pairs = {i for pair in pairs for i in pair}
    # The corpus has near duplicates of its own (the same wire story in two papers): "distinct" leaves out every
    # document with 5-gram Jaccard ≥ 0.7 to another one, checked by brute force.
    shingles = {d["id"]: _shingles(d["text"]) for d in docs[200:] if d["id"] in filtered and d["id"] not in in_pairs}
    distinct = [i for i, a in shingles.items() if all(_jaccard(a, b) < 0.7 for j, b in shingles.items() if j != i)]
    print(json.dumps({"distinct": [sum(i in kept for i in distinct), len(distinct)]}))
    assert len(distinct) >= 350 and sum(i in kept for i in distinct) >= 0.99 * len(distinct)
    stats = json.loads((run_dir / "03_dedup" / "stats.json").read_text())
    assert stats["balanced"]
