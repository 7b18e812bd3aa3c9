"""Encoding throughput per core of our tokenizer, as `tokenizer shard` encodes (sentencepiece behind a word
cache, pipeline/tokenize/word_cache.py), against Hugging Face `tokenizers` loading the tokenizer.json we write for the
same model; one thread each, the same documents, the same ids (checked).

The model is trained here with configs/tokenizer.yaml on ../shared/corpus (hi_wiki_or_news + hi_wikipedia +
hinglish + english, ~15 s); the text is every document of hi_wiki_or_news and hinglish (16 MB), encoded in batches of
2048 documents with a cache that starts empty, so new words cost what they cost on a corpus of this size (on a
larger one the cache is warm for most words). Plain sentencepiece, one thread, is in the details. MB/s are of
UTF-8 input. Timed REPEATS times in turn, best kept.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import sentencepiece as spm
from tokenizers import Tokenizer

from bench.results_table import BenchResult
from bench.timing import best_alternating
from pipeline.documents import read_documents
from pipeline.tokenize.word_cache import WordCachedEncoder
from pipeline.typed_config import load_config
from tokenizer.config import TokenizerConfig
from tokenizer.train import train_tokenizer

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
REPEATS = 3
BATCH = 2048


def _ours(sp, texts):
    encoder = WordCachedEncoder(sp, threads=1)
    return [ids for start in range(0, len(texts), BATCH) for ids in encoder.encode(texts[start : start + BATCH])]


def run() -> list[BenchResult]:
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is absent: the tokenizer benchmark reads the shared corpus")
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # one thread, as ours
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(TokenizerConfig, REPO / "configs" / "tokenizer.yaml")
        config.out = folder
        sources = ("hi_wiki_or_news", "hi_wikipedia", "hinglish", "english")
        config.sample.inputs = [str(CORPUS / name) for name in sources]
        model = train_tokenizer(config)
        sp = spm.SentencePieceProcessor(model_file=str(model))
        hf = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    texts = [doc.text for doc in read_documents([CORPUS / "hi_wiki_or_news", CORPUS / "hinglish"])]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    theirs = lambda: [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]  # noqa: E731
    assert _ours(sp, texts) == theirs() == sp.encode(texts), "the encoders disagree: the comparison is meaningless"
    t_ours, t_theirs = best_alternating(lambda: _ours(sp, texts), theirs, REPEATS)
    start = time.perf_counter()
    sp.encode(texts, num_threads=1)
    plain = megabytes / (time.perf_counter() - start)
    result = BenchResult("tokenizer_encode", megabytes / t_ours, "MB/s/core", megabytes / t_theirs,
                         "Hugging Face tokenizers encode_batch, same model (our tokenizer.json), one thread",
                         target_ratio=3.0, details={"megabytes": round(megabytes, 2), "documents": len(texts),
                                                    "plain_sentencepiece_mb_per_s": round(plain, 2),
                                                    "target_mb_per_s_per_core": 15})
    print(f"tokenizer_encode: ours {result.value:.1f} MB/s/core, tokenizers {result.baseline:.1f}, "
          f"ratio {result.ratio:.2f}")
    return [result]
