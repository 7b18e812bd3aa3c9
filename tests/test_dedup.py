"""Stage 03_dedup: matra-safe normalisation, exact and near duplicates with planted copies, books that balance."""

from __future__ import annotations

import json
import random

import pytest
from datatrove.utils.text import TextNormConfig, simplify_text

from pipeline.__main__ import main
from pipeline.dedup.steps import HINDI_TEXT_NORM, DedupConfig, catch_probability, exact_hash, normalised_text
from tests.conftest import SAMPLE_CONFIG, corpus_path, read_jsonl_folder, write_jsonl

YEAR_PAGE = ("{year} ईसा पूर्व ग्रेगोरी कैलेंडर का एक वर्ष है। इस वर्ष की घटनाओं के बारे में बहुत कम जानकारी मिलती है, "
             "क्योंकि उस समय के लिखित अभिलेख कम बचे हैं। इतिहासकार इस वर्ष को {year} ईसा पूर्व के दशक में गिनते हैं और "
             "इसके आसपास के वर्षों की घटनाओं से इसका समय तय करते हैं। इस वर्ष के जन्म और निधन की सूचियाँ अधूरी हैं।\n"
             "इस वर्ष के बारे में जो जानकारी है, वह बाद के लेखकों के ग्रंथों से मिलती है, जिन्होंने पुराने अभिलेखों के आधार "
             "पर लिखा। इन ग्रंथों में वर्षों की गिनती अलग अलग ढंग से की गई है, इसलिए एक ही घटना के कई वर्ष मिलते हैं।")


def test_normaliser_keeps_the_marks_datatrove_strips():
    a, b = "वह घर में है", "वह घर म ह"
    assert simplify_text(a, TextNormConfig()) == simplify_text(b, TextNormConfig())  # datatrove's default merges
    assert simplify_text(a, HINDI_TEXT_NORM) != simplify_text(b, HINDI_TEXT_NORM)
    assert normalised_text("कुल 152 मामले।") == normalised_text("कुल 98, मामले")


def test_exact_means_same_text_up_to_case_whitespace_and_punctuation():
    page = YEAR_PAGE.format(year=1278)
    assert exact_hash(page) == exact_hash(page.upper().replace("।", " ").replace(",", "") + "\n\n")
    assert exact_hash(page) != exact_hash(YEAR_PAGE.format(year=1905))
    assert normalised_text(page) == normalised_text(YEAR_PAGE.format(year=1905))  # MinHash's view: the same


def test_pages_differing_in_numbers_are_near_not_exact_duplicates(run_args, tmp_path):
    pages = [{"id": "y1278", "text": YEAR_PAGE.format(year=1278)},
             {"id": "y1905", "text": YEAR_PAGE.format(year=1905)},
             {"id": "y1278-copy", "text": YEAR_PAGE.format(year=1278).replace("।", "। ").replace(",", " ,")}]
    write_jsonl(tmp_path / "in" / "years.jsonl", pages)
    args = ["run", "configs/local.yaml", "--input", str(tmp_path / "in"), *run_args, "--set", "executor.tasks=1",
            "--stage", "ingest", "--stage", "filter", "--stage", "dedup"]
    assert main(args) == 0
    stage = next((tmp_path / "work").glob("local-*")) / "03_dedup"

    def originals(folder):
        return {r["metadata"]["original_id"]: r["metadata"] for r in read_jsonl_folder(stage / folder)}

    exact, near, kept = originals("removed/exact"), originals("removed/near"), originals("output")
    assert list(exact) == ["y1278-copy"] and list(near) == ["y1905"] and list(kept) == ["y1278"]
    assert near["y1905"]["filter_reason"] == "near_duplicate"
    card = json.loads((tmp_path / "cards" / stage.parent.name / "03_dedup.json").read_text())
    [cluster] = card["largest_clusters"]
    assert (cluster["size"], cluster["exact_copies"], cluster["near_duplicates"]) == (3, 1, 1)
    assert cluster["kept"].startswith("1278 ईसा पूर्व") and cluster["removed_example"]
    assert "Largest clusters" in (tmp_path / "cards" / stage.parent.name / "03_dedup.md").read_text()


RIVER_PAGE = ("गंगा भारत की सबसे लंबी नदी है और इसका उद्गम हिमालय के गंगोत्री हिमनद से होता है। यह नदी उत्तराखंड, उत्तर "
              "प्रदेश, बिहार और पश्चिम बंगाल से होकर बहती है और अंत में बंगाल की खाड़ी में मिल जाती है। इसके किनारे पर "
              "कई बड़े नगर बसे हैं, जिनमें वाराणसी, प्रयागराज और पटना प्रमुख हैं।\n"
              "करोड़ों लोग खेती, पीने के पानी और आजीविका के लिए इस नदी पर निर्भर हैं। पिछले वर्षों में इसकी सफाई के लिए "
              "सरकार ने कई योजनाएँ शुरू की हैं, पर प्रदूषण अब भी एक बड़ी समस्या बना हुआ है।")


def test_a_unique_document_sharing_an_id_with_a_copy_is_kept(run_args, tmp_path):
    """Source ids are not unique: exact dedup names documents by their place, so a unique page that shares its id
    with a copy of another page stays, and the copy (in another input file, hence another task) goes."""
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "p1", "text": YEAR_PAGE.format(year=1278)},
                                              {"id": "same", "text": RIVER_PAGE}])
    write_jsonl(tmp_path / "in" / "b.jsonl", [{"id": "same", "text": YEAR_PAGE.format(year=1278).upper()}])
    args = ["run", "configs/local.yaml", "--input", str(tmp_path / "in"), *run_args, "--set", "executor.tasks=2",
            "--stage", "ingest", "--stage", "filter", "--stage", "dedup"]
    assert main(args) == 0
    stage = next((tmp_path / "work").glob("local-*")) / "03_dedup"
    kept = sorted(r["text"][:4] for r in read_jsonl_folder(stage / "output"))
    [copy] = read_jsonl_folder(stage / "removed" / "exact")
    assert kept == ["1278", "गंगा"] and copy["metadata"]["file"].endswith("b.jsonl")
    assert json.loads((stage / "stats.json").read_text())["balanced"]


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
    args += ["--set", f"cards_dir={tmp_path / 'c'}", "--set", "stages.filter.language.hinglish_model=none"]
    args += ["--stage", "ingest", "--stage", "filter", "--stage", "dedup"]
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


def dedup_test_texts() -> list[str]:  # tests/test_word_split.py reads them too
    from pipeline.documents import read_documents

    texts = [d.text for d in read_documents([corpus_path("hi_wiki_or_news")])][::10][:600]
    texts += [d.text for d in read_documents([corpus_path("hinglish")])][::20][:200]
    return texts + [YEAR_PAGE.format(year=1278), "एक दो तीन चार", "एक दो तीन चार पाँच", "a b c d e f"]


# punctuation, dandas and Indic marks, odd whitespace, digits of two scripts, case that lengthens when lowered
EDGE_TEXTS = ["  ।।Hello,,  World!! \t\n १२३.४५ और 1,5 ", "", "...", "\u00a0x\u2003y\u200b", "İSTANBUL 1।2",
              "a\\b c/d", "꯫x᱾y ꫰", "\x1c\x1d a \x85 b", "॥ पाठ ॥ ---"]


def test_normalisation_is_datatrove_s_own():
    """pipeline/dedup/normalise.py computes simplify_text faster; the same strings."""
    from pipeline.dedup.normalise import simplify
    from pipeline.dedup.steps import EXACT_TEXT_NORM

    for text in dedup_test_texts() + EDGE_TEXTS:
        for config in (HINDI_TEXT_NORM, EXACT_TEXT_NORM, TextNormConfig()):  # the last goes to datatrove's
            assert simplify(text, config) == simplify_text(text, config)
            without_dandas = text.replace("।", " ").replace("॥", " ")
            assert simplify(text, config, drop_dandas=True) == simplify_text(without_dandas, config)


def test_signatures_and_buckets_are_datatrove_s_own(tmp_path, monkeypatch):
    """pipeline/dedup/signatures.py and buckets.py compute MinHash signatures and duplicate pairs faster; the
    shingles, signatures, bucket files and pair files must be datatrove's, byte for byte (blocks and reads
    made small so that documents and equal signatures straddle them)."""
    from datatrove.data import Document
    from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets, MinhashDedupSignature

    from pipeline.dedup import buckets, signatures

    texts = dedup_test_texts()
    config = DedupConfig().minhash()
    stock = MinhashDedupSignature(str(tmp_path / "stock"), config=config, language="hin_Deva")
    fast = signatures.HindiMinhashSignature(str(tmp_path / "ours"), config=config, language="hin_Deva")
    for text in texts:
        shingles = stock.get_shingles(text)
        assert (fast.get_shingles(text) == shingles).all()
        if shingles.size:
            assert fast.get_signature(shingles) == stock.get_signature(shingles)

    monkeypatch.setattr(signatures, "BLOCK_DOCUMENTS", 7)
    monkeypatch.setattr(buckets, "RECORDS_PER_READ", 5)
    random.seed(3)
    texts += random.sample(texts, 100) + [t + " और" for t in random.sample(texts, 100)]  # exact and near copies
    random.shuffle(texts)
    for rank in range(3):
        shard = [Document(text=t, id=str(i)) for i, t in enumerate(texts[rank::3])]
        stock.run(iter(shard), rank, 3)
        fast.run(iter(shard), rank, 3)
    _assert_same_files(tmp_path / "stock", tmp_path / "ours", "**/*.sig", config.num_buckets * 3)
    tasks = 2 * config.num_buckets  # two workers per bucket, each a hash range
    sigs = str(tmp_path / "stock")
    for rank in range(tasks):
        MinhashDedupBuckets(sigs, str(tmp_path / "stock_pairs"), config=config).run(None, rank, tasks)
        buckets.HindiMinhashBuckets(sigs, str(tmp_path / "pairs"), config=config).run(None, rank, tasks)
    _assert_same_files(tmp_path / "stock_pairs", tmp_path / "pairs", "*.dups", tasks)
    pairs = sum(f.stat().st_size for f in (tmp_path / "pairs").glob("*.dups")) // 16
    assert pairs >= 100 * config.num_buckets  # the exact copies' pairs at least


def _assert_same_files(expected, got, pattern: str, count: int) -> None:
    names = sorted(p.relative_to(expected) for p in expected.glob(pattern))
    assert len(names) == count
    assert [n for n in names if (expected / n).read_bytes() != (got / n).read_bytes()] == []


def _exact_dedup(shards: list[list[str]], folder) -> tuple[list[list[str]], list[int]]:
    """Runs the three exact phases as len(shards) tasks each; returns the texts each task keeps and the number
    of hash records each exact-groups task held."""
    from datatrove.data import Document

    from pipeline.dedup.steps import DropExactDuplicates, ExactGroups, ExactHashes

    def docs(rank):
        return [Document(text=t, id="same-id-for-all") for t in shards[rank]]  # ids must not matter

    tasks = len(shards)
    for rank in range(tasks):
        list(ExactHashes(str(folder)).run(docs(rank), rank, tasks))
    held = [sum(1 for f in (folder / "hashes" / f"{p:05d}").glob("*.tsv") for _ in f.open()) for p in range(tasks)]
    for partition in range(tasks):
        list(ExactGroups(str(folder)).run(None, partition, tasks))
    return [[d.text for d in DropExactDuplicates(str(folder)).run(docs(r), r, tasks)] for r in range(tasks)], held


def test_exact_groups_are_partitioned_over_the_tasks_with_the_same_decisions(tmp_path):
    """No single-task exact phase: each exact-groups task holds one hash partition (about 1/tasks of the
    documents), and the kept documents are the same whatever the task count: the first copy by task, then place."""
    rng = random.Random(1)
    texts = [YEAR_PAGE.format(year=y) for y in range(1000, 1300)]
    shards = [[rng.choice(texts) for _ in range(120)] for _ in range(4)]
    kept_by_four, held = _exact_dedup(shards, tmp_path / "four")
    [kept_by_one], [held_by_one] = _exact_dedup([sum(shards, [])], tmp_path / "one")
    assert sum(kept_by_four, []) == kept_by_one
    assert len(kept_by_one) == len(set(sum(shards, []))) < held_by_one == 480
    assert sum(held) == 480 and max(held) < 480 / 4 * 1.4
