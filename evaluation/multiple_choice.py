"""Multiple choice by log-likelihood, and the next-sentence task the project builds from held-out documents.

An item is a context and its options; the model's pick is the option whose tokens, after the context, have the
highest summed log-probability (`accuracy`), or the highest per character of the option (`accuracy_norm`, which
does not favour short options). Both are scored the way lm-evaluation-harness scores a `multiple_choice` task
(`acc`, `acc_norm`), so the two tools agree on the same files.

The next-sentence task: a context of up to three consecutive sentences of a document, its true next sentence,
and three sentences drawn from other documents (which must have enough distinct usable sentences), in an order
fixed by the seed.
"""

from __future__ import annotations

import random
import re

import sentencepiece as spm
import torch
import torch.nn.functional as F
from tqdm import tqdm

from model.errors import ModelInputError

SENTENCE_END = re.compile(r"(?<=[।॥?!.])\s+")
CONTEXT_SENTENCES, OPTIONS = 3, 4
MIN_WORDS, MAX_WORDS = 4, 40  # a sentence outside these is a heading, a list item or a run-on: not an option


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def _usable(sentence: str) -> bool:
    return MIN_WORDS <= len(sentence.split()) <= MAX_WORDS


def next_sentence_items(documents: list[str], seed: int = 0, per_document: int = 10) -> list[dict]:
    """Up to `per_document` items per document, from non-overlapping runs of up to CONTEXT_SENTENCES sentences
    (at least one) and the next, each with OPTIONS - 1 distractors from other documents; the same documents and
    seed give the same items."""
    split = [sentences(text) for text in documents]
    pool = [(d, s) for d, doc in enumerate(split) for s in doc if _usable(s)]
    if len({d for d, _ in pool}) < 2:
        raise ModelInputError("the next-sentence task needs at least two documents with usable sentences")
    distinct = len({s for _, s in pool})
    rng, items = random.Random(seed), []
    for d, doc in enumerate(split):
        start, made = 0, 0
        if distinct - len(set(doc)) < OPTIONS:  # too few sentences elsewhere to draw distinct distractors from
            continue
        while start < len(doc) - 1 and made < per_document:
            k = min(CONTEXT_SENTENCES, len(doc) - start - 1)
            context, answer = doc[start : start + k], doc[start + k]
            start += k + 1
            if not _usable(answer):
                continue
            distractors = []
            while len(distractors) < OPTIONS - 1:
                other, sentence = pool[rng.randrange(len(pool))]
                if other != d and sentence not in distractors and sentence != answer:
                    distractors.append(sentence)
            label = rng.randrange(OPTIONS)
            choices = distractors[:label] + [answer] + distractors[label:]
            items.append({"id": f"d{d}s{start - k - 1}", "context": " ".join(context), "choices": choices,
                          "label": label})
            made += 1
    return items


def romanized_items(items: list[dict]) -> list[dict]:
    """The same items in Latin letters, as people type Hindi (pipeline/hinglish/romanize.py, its deterministic mode)."""
    from pipeline.hinglish.romanize import romanize

    return [item | {"id": item["id"] + "-Latn", "context": romanize(item["context"]),
                    "choices": [romanize(choice) for choice in item["choices"]]} for item in items]


def _option_rows(sp: spm.SentencePieceProcessor, item: dict) -> list[tuple[list[int], int]]:
    """(ids, continuation length) per option: <bos> + context + " " + option, split where the context's own
    tokens end (lm-evaluation-harness's way, so a piece that spans the boundary counts once)."""
    context = [sp.bos_id()] + sp.encode(item["context"])
    rows = []
    for choice in item["choices"]:
        whole = [sp.bos_id()] + sp.encode(item["context"] + " " + choice)
        rows.append((whole, len(whole) - len(context)))
    return rows


@torch.no_grad()
def option_loglikelihoods(module, sp: spm.SentencePieceProcessor, items: list[dict], batch_size: int = 16,
                          device="cpu", progress: bool = True) -> list[list[float]]:
    """Summed log-probability of each option's tokens given its context, per item."""
    rows = [row for item in items for row in _option_rows(sp, item)]
    scores: list[float] = []
    was_training = module.training
    module.eval()
    for first in tqdm(range(0, len(rows), batch_size), desc="choices", unit="batch", disable=not progress):
        batch = rows[first : first + batch_size]
        width = max(len(ids) for ids, _ in batch) - 1
        inputs = torch.tensor([ids[:-1] + [0] * (width - len(ids) + 1) for ids, _ in batch], device=device)
        hidden = module.hidden_states(inputs)  # (B, T, C); logits only where an option's tokens are predicted
        for row, (ids, count) in enumerate(batch):
            positions = torch.arange(len(ids) - 1 - count, len(ids) - 1, device=device)
            logits = F.linear(hidden[row, positions], module.lm_head_weight).float()  # (count, V)
            targets = torch.tensor(ids[len(ids) - count :], device=device)
            scores.append(float(torch.log_softmax(logits, dim=-1)[torch.arange(count), targets].sum()))
    module.train(was_training)
    per_item, at = [], 0
    for item in items:
        per_item.append(scores[at : at + len(item["choices"])])
        at += len(item["choices"])
    return per_item


def accuracy(items: list[dict], loglikelihoods: list[list[float]]) -> dict:
    """accuracy and accuracy_norm (per character of the option), with the chance level of these items."""
    hits = hits_norm = 0
    for item, scores in zip(items, loglikelihoods, strict=True):
        normalised = [s / max(len(c), 1) for s, c in zip(scores, item["choices"], strict=True)]
        hits += max(range(len(scores)), key=scores.__getitem__) == item["label"]
        hits_norm += max(range(len(scores)), key=normalised.__getitem__) == item["label"]
    n = max(len(items), 1)
    return {"items": len(items), "accuracy": hits / n, "accuracy_norm": hits_norm / n,
            "chance": sum(1 / len(item["choices"]) for item in items) / n}
