"""Offline training of the romanised-Hindi detector, a fastText classifier the project trains itself (lid.176 has no
label for Hindi in Latin letters, and nothing can download GlotLID here); its runtime scorer, `HinglishLID`, sits
beside lid.176 in language_id.py, which imports nothing from here.

Labels: `hi_Deva` (Devanagari documents), `hi_Latn` (their romanised copies from pipeline.hinglish.romanize,
seeded so that spellings vary, plus real Hinglish when given), `en` (English documents) and `other` (lines with
few letters: numbers, placeholders, markup). Every input document is assigned by a hash of its id to train (70%),
tune (10%) or test (20%); the threshold on P(hi_Latn) is the one with the best F1 on tune, and the report gives
F1 on test (real Hinglish against English and Devanagari documents) beside what lid.176 says about the same
documents.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from datatrove.data import Document
from tqdm import tqdm

from pipeline.documents import read_documents
from pipeline.filter.language_id import HinglishLID, LocalFT176LID, bundled_lid176, fasttext_text
from pipeline.hinglish.romanize import romanize
from pipeline.script import devanagari_share

LABELS = ("hi_Deva", "hi_Latn", "en", "other")
_LETTER = re.compile(r"[^\W\d_]")
# Hyper-parameters: character 2-5-grams carry romanised spelling variants; a small bucket and dim keep the model
# around 20 MB (fastText's default bucket would make it 250 MB); lr 0.5 diverged (NaN) on small inputs.
TRAINING = {"epoch": 10, "lr": 0.2, "wordNgrams": 2, "minn": 2, "maxn": 5, "dim": 16, "bucket": 200_000}


def split_of(doc_id: str) -> str:
    bucket = int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16) % 10
    return "train" if bucket < 7 else "tune" if bucket < 8 else "test"


@dataclass
class LabelledDocs:
    """Documents per label and split, from the inputs the caller names."""

    docs: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, label: str, doc_id: str, text: str) -> None:
        self.docs.setdefault((label, split_of(doc_id)), []).append(text)

    def get(self, label: str, split: str) -> list[str]:
        return self.docs.get((label, split), [])


def collect(devanagari: list[Path], english: list[Path], hinglish: list[Path], mixed: list[Path]) -> LabelledDocs:
    """`mixed` files are sorted by script: mostly Devanagari → hi_Deva, Latin → en only where lid.176 is sure."""
    data = LabelledDocs()
    lid = LocalFT176LID(bundled_lid176(), languages=["en"])
    for label, paths in (("hi_Deva", devanagari), ("en", english), ("hi_Latn", hinglish), (None, mixed)):
        for path in paths:
            for doc in read_documents([path]):
                if label == "hi_Deva" and devanagari_share(doc.text) < 0.5:
                    continue  # a Devanagari file's English page is not a Devanagari example
                if label is None:
                    label_here = _mixed_label(doc.text, lid)
                    if label_here:
                        data.add(label_here, doc.id, doc.text)
                else:
                    data.add(label, doc.id, doc.text)
    return data


def _mixed_label(text: str, lid) -> str | None:
    if devanagari_share(text) >= 0.5:
        return "hi_Deva"
    (_, _), english = lid.predict(Document(text=text, id=""))
    return "en" if english["en"] >= 0.9 else None


def training_lines(data: LabelledDocs, seed: int, per_label: int) -> list[str]:
    """fastText lines for the train split: each document's lines, romanised copies of the Devanagari ones as
    hi_Latn, letter-poor lines as `other`; at most `per_label` lines per label, shuffled."""
    rng = random.Random(seed)
    lines: dict[str, list[str]] = {label: [] for label in LABELS}
    for label in ("hi_Deva", "en", "hi_Latn"):
        for text in tqdm(data.get(label, "train"), desc=f"hinglish-lid {label} documents", unit=" docs"):
            for line in text.splitlines():
                if len(line.split()) < 2:
                    continue
                target = "other" if len(_LETTER.findall(line)) < 0.5 * len(line) else label
                lines[target].append(line)
                if target == "hi_Deva":
                    lines["hi_Latn"].append(romanize(line, seed=rng.randrange(1 << 30)))
    out = []
    for label, items in lines.items():
        rng.shuffle(items)
        out += [f"__label__{label} {fasttext_text(t)}" for t in items[:per_label]]
    rng.shuffle(out)
    return out


def f1_at(scores: list[float], truth: list[bool], threshold: float) -> dict[str, float]:
    tp = sum(s >= threshold and t for s, t in zip(scores, truth, strict=True))
    fp = sum(s >= threshold and not t for s, t in zip(scores, truth, strict=True))
    fn = sum(s < threshold and t for s, t in zip(scores, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4)}


def evaluate(model: HinglishLID, data: LabelledDocs, split: str) -> tuple[list[float], list[bool]]:
    """P(hi_Latn) of real Hinglish documents (positives) and of negatives: Devanagari documents and English
    split into lines of 3+ words, since English pages are long and easy while Hinglish is mostly short."""
    positives = data.get("hi_Latn", split)
    english_lines = [line for text in data.get("en", split) for line in text.splitlines() if len(line.split()) >= 3]
    negatives = english_lines + data.get("hi_Deva", split)
    texts = positives + negatives
    return [model.hinglish_score(t) for t in texts], [True] * len(positives) + [False] * len(negatives)


def lid176_on(texts: list[str]) -> dict[str, int]:
    """What lid.176 calls the given documents (its top label), for the report."""
    lid = LocalFT176LID(bundled_lid176(), languages=["hi"])
    return dict(Counter(lid.predict(Document(text=t, id=""))[0][0] for t in texts).most_common(8))


def _train(train_file: Path, model_file: Path, settings: dict) -> None:
    import fasttext

    fasttext.train_supervised(str(train_file), **settings).save_model(str(model_file))


def train_hinglish_lid(data: LabelledDocs, out: Path, seed: int = 0, per_label: int = 40_000) -> dict:
    """Train, tune the threshold, test; writes model.bin and report.json to `out`, returns the report."""
    out.mkdir(parents=True, exist_ok=True)
    train_file = out / "train.txt"
    examples = training_lines(data, seed, per_label)
    with train_file.open("w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in examples)
    model_file = out / "model.bin"
    # Small inputs (the bundled sample) need more passes to learn anything: at least ~200k line updates.
    settings = TRAINING | {"epoch": max(TRAINING["epoch"], min(100, 200_000 // max(len(examples), 1)))}
    # In a fresh process: after sentencepiece training in the same process, fastText's training hit NaN
    # (seen in the test suite), and a crash there must not take the caller down with it.
    worker = multiprocessing.get_context("spawn").Process(
        target=_train, args=(train_file, model_file, settings | {"seed": seed, "thread": 1, "verbose": 0})
    )
    worker.start()
    worker.join()
    if worker.exitcode != 0:
        raise RuntimeError(f"fastText training on {train_file} failed (exit code {worker.exitcode}); see above")
    model = HinglishLID(model_file)
    tune_scores, tune_truth = evaluate(model, data, "tune")
    # Best F1 on tune; among equals the threshold nearest 0.5, which depends least on the tune set's mix.
    threshold = max(
        (t / 100 for t in range(5, 100, 5)),
        key=lambda t: (f1_at(tune_scores, tune_truth, t)["f1"], -abs(t - 0.5)),
    )
    test_scores, test_truth = evaluate(model, data, "test")
    report = {
        "model": str(model_file),
        "threshold": threshold,
        "test": f1_at(test_scores, test_truth, threshold)
        | {
            "hinglish_documents": sum(test_truth),
            "negatives": len(test_truth) - sum(test_truth),
        },
        "tune": f1_at(tune_scores, tune_truth, threshold),
        "lid176_on_test_hinglish": lid176_on(data.get("hi_Latn", "test")),
        "training_lines": len(examples),
        "documents": {f"{label}/{split}": len(texts) for (label, split), texts in sorted(data.docs.items())},
        "hyperparameters": settings,
    }
    train_file.unlink()
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return report
