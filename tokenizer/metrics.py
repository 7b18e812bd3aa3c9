"""Tokenizer figures on a text: tokens per word, characters and bytes per token, single-token words, byte
fallback, round-trip exactness. Words are whitespace-split, so the figures compare across tokenizers."""

from __future__ import annotations

from collections import Counter

from pipeline.markdown import markdown_table
from tokenizer.references import Encoder


def evaluate(encoder: Encoder, lines: list[str]) -> dict:
    tokens = fallback = exact = 0
    for line in lines:
        ids = encoder.encode(line)
        tokens += len(ids)
        fallback += sum(i in encoder.byte_ids for i in ids)
        exact += encoder.decode(ids) == line
    words = Counter(word for line in lines for word in line.split())
    n_words = sum(words.values())
    # a word mid-sentence follows a space: count its tokens after "a" (a bare " word" gets a second space
    # from tokenizers that add a dummy prefix, such as Llama 2's)
    base = len(encoder.encode("a"))
    single = sum(count for word, count in words.items() if len(encoder.encode("a " + word)) - base == 1)
    chars = sum(len(line) for line in lines)
    n_bytes = sum(len(line.encode("utf-8")) for line in lines)
    return {
        "tokenizer": encoder.name,
        "lines": len(lines),
        "words": n_words,
        "tokens": tokens,
        "tokens_per_word": round(tokens / max(n_words, 1), 4),
        "chars_per_token": round(chars / max(tokens, 1), 3),
        "bytes_per_token": round(n_bytes / max(tokens, 1), 3),
        "single_token_words": round(single / max(n_words, 1), 4),
        "byte_fallback_rate": round(fallback / max(tokens, 1), 5) if encoder.byte_ids else None,
        "round_trip_exact": round(exact / max(len(lines), 1), 4),
    }


def comparison_table(rows: list[dict]) -> str:
    """The figures of several tokenizers on the same text, as a Markdown table."""
    header = ["tokenizer", "tokens/word", "chars/token", "bytes/token", "single-token words", "byte fallback",
              "round trip"]
    cells = [[r["tokenizer"], f"{r['tokens_per_word']:.3f}", f"{r['chars_per_token']:.2f}",
              f"{r['bytes_per_token']:.2f}", f"{r['single_token_words']:.1%}",
              "n/a" if r["byte_fallback_rate"] is None else f"{r['byte_fallback_rate']:.3%}",
              f"{r['round_trip_exact']:.1%}"] for r in rows]
    return "\n".join(markdown_table(header, cells))
