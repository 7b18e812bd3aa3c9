"""Hugging Face tokenizer files for the SentencePiece model, so that an exported model loads with its tokenizer.

The BPE model becomes a `tokenizers` BPE with byte fallback (Gemma's layout: spaces as "▁", no pre-tokenizer,
no dummy prefix). SentencePiece's BPE merges pieces in the order of their ids, so the merge list is every
split of a piece into two pieces, ranked by the piece's id. Tests check that both give the same ids.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, normalizers, processors
from tokenizers.models import BPE

NORMAL, USER_DEFINED = 1, 4  # sentencepiece's piece types
SPECIAL_TOKENS = {"pad_token": "<pad>", "eos_token": "<eos>", "bos_token": "<bos>", "unk_token": "<unk>"}


def _pieces(model_file: Path) -> list[tuple[str, int]]:
    """(piece, type) in id order, read from the model's protobuf (sentencepiece's Python API has no
    is_user_defined)."""
    from sentencepiece import sentencepiece_model_pb2

    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(Path(model_file).read_bytes())
    if proto.trainer_spec.model_type != proto.trainer_spec.BPE or not proto.trainer_spec.byte_fallback:
        raise ValueError(f"{model_file}: the Hugging Face files are written for BPE models with byte fallback")
    return [(p.piece, p.type) for p in proto.pieces]


def bpe_merges(pieces: list[tuple[str, int]]) -> list[tuple[str, str]]:
    mergeable = {piece: i for i, (piece, kind) in enumerate(pieces) if kind == NORMAL}
    ranked = []
    for piece, rank in mergeable.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in mergeable and right in mergeable:
                ranked.append((rank, mergeable[left], mergeable[right], left, right))
    return [(left, right) for *_, left, right in sorted(ranked)]


def hf_tokenizer(model_file: Path) -> Tokenizer:
    pieces = _pieces(model_file)
    vocab = {piece: i for i, (piece, _) in enumerate(pieces)}
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=bpe_merges(pieces), unk_token="<unk>", fuse_unk=True,
                              byte_fallback=True))
    tokenizer.normalizer = normalizers.Replace(" ", "▁")
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tokenizer.add_tokens([AddedToken(piece, normalized=False, special=False)
                          for piece, kind in pieces if kind == USER_DEFINED])
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in SPECIAL_TOKENS.values()])
    bos = ("<bos>", vocab["<bos>"])
    tokenizer.post_processor = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A <bos> $B",
                                                             special_tokens=[bos])  # as Gemma's: <bos> first
    return tokenizer


def write_hf_files(model_file: Path, out: Path) -> None:
    """tokenizer.json, tokenizer_config.json and special_tokens_map.json beside `model_file`. The chat template is
    the model's (model/chat_format.py): a checkpoint's copy of these files carries it (model/hf.py)."""
    hf_tokenizer(model_file).save(str(out / "tokenizer.json"))
    config = {"tokenizer_class": "GemmaTokenizer", "add_bos_token": True, "add_eos_token": False,
              "clean_up_tokenization_spaces": False, "padding_side": "left", **SPECIAL_TOKENS}
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps(SPECIAL_TOKENS, indent=2))
