"""Reference tokenizers from ../shared/corpus/reference_tokenizers, behind one interface: encode, decode and
(for SentencePiece-style models) which ids are byte-fallback pieces."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import sentencepiece as spm

REFERENCE_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "reference_tokenizers"


@dataclass
class Encoder:
    name: str
    encode: object  # str -> list[int]
    decode: object  # list[int] -> str
    byte_ids: frozenset = field(default_factory=frozenset)  # byte-fallback pieces; empty for byte-level BPEs


def sentencepiece_encoder(name: str, model_file: Path) -> Encoder:
    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    return Encoder(name, sp.encode, sp.decode, frozenset(i for i in range(sp.get_piece_size()) if sp.is_byte(i)))


def _hf_encoder(name: str, path: Path) -> Encoder:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(gzip.decompress(path.read_bytes()).decode("utf-8"))
    byte_ids = frozenset(i for token, i in tokenizer.get_vocab().items()
                         if len(token) == 6 and token.startswith("<0x") and token.endswith(">"))
    return Encoder(name, lambda text: tokenizer.encode(text, add_special_tokens=False).ids,
                   lambda ids: tokenizer.decode(ids, skip_special_tokens=False), byte_ids)


def _tiktoken_encoder(name: str, path: Path) -> Encoder:
    import tiktoken

    encoding = path.stem  # r50k_base.tiktoken → r50k_base, described in encodings_meta.json beside it
    meta = json.loads((path.parent / "encodings_meta.json").read_text())[encoding]
    lines = path.read_text().splitlines()
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in lines)}
    enc = tiktoken.Encoding(name=encoding, pat_str=meta["pat_str"], mergeable_ranks=ranks,
                            special_tokens=meta.get("special_tokens", {}))
    return Encoder(name, lambda text: enc.encode(text, disallowed_special=()), enc.decode)


def reference_encoders(folder: Path = REFERENCE_DIR) -> list[Encoder]:
    """Those present in `folder` (a missing one is skipped: the corpus is not shipped with the project)."""
    known = [
        ("GPT-2", "openai_tiktoken/r50k_base.tiktoken", _tiktoken_encoder),
        ("cl100k", "openai_tiktoken/cl100k_base.tiktoken", _tiktoken_encoder),
        ("o200k", "openai_tiktoken/o200k_base.tiktoken", _tiktoken_encoder),
        ("Llama 2", "llama2/tokenizer.model", sentencepiece_encoder),
        ("Llama 3", "llama3/tokenizer.json.gz", _hf_encoder),
        ("Gemma 1/2", "gemma/tokenizer.json.gz", _hf_encoder),
        ("Gemma 3", "gemma3/tokenizer.json.gz", _hf_encoder),
    ]
    return [load(name, folder / file) for name, file, load in known if (folder / file).exists()]
