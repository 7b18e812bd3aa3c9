"""Our SentencePiece model as a GGUF vocabulary (llama.cpp's "llama" tokenizer, SentencePiece's BPE by scores).

Every piece keeps its id, text, score and type (normal, unknown, control, user-defined, unused, byte), so that
llama.cpp tokenises as sentencepiece does. `<start_of_turn>` and `<end_of_turn>` become control tokens (llama.cpp
ends a chat turn on `<end_of_turn>` only when it is one); the rows by which the embedding is padded to a multiple
of 128 get unused `[PAD<id>]` pieces, because llama.cpp wants one token per embedding row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gguf

from model.chat_format import END, START
from model.config import ModelConfig
from model.errors import ModelInputError

CHAT_CONTROL_PIECES = (START, END)


@dataclass(frozen=True)
class GGUFVocabulary:
    pieces: list[str]
    scores: list[float]
    types: list[gguf.TokenType]
    add_space_prefix: bool  # SentencePiece's add_dummy_prefix (ours: false)

    def id_of(self, piece: str) -> int | None:
        return self.pieces.index(piece) if piece in self.pieces else None


def read_sentencepiece(model_file: Path):
    """The ModelProto of a SentencePiece model file (its pieces with scores and types)."""
    from sentencepiece import sentencepiece_model_pb2

    proto = sentencepiece_model_pb2.ModelProto()
    try:
        proto.ParseFromString(Path(model_file).read_bytes())
    except Exception as err:  # protobuf's DecodeError names no file
        raise ModelInputError(f"{model_file} is not a SentencePiece model: {err}") from None
    return proto


def gguf_vocabulary(model_file: Path, vocab_size: int) -> GGUFVocabulary:
    """The model's `vocab_size` tokens: the SentencePiece pieces, then unused padding pieces."""
    proto = read_sentencepiece(model_file)
    if not proto.pieces:
        raise ModelInputError(f"{model_file} holds no pieces")
    spec = proto.normalizer_spec
    if spec.name != "identity" or spec.remove_extra_whitespaces:
        raise ModelInputError(f"{model_file}: normalisation {spec.name!r} (remove_extra_whitespaces="
                         f"{spec.remove_extra_whitespaces}) is not reproduced by llama.cpp, which would tokenise "
                         f"differently; train the tokenizer with python -m tokenizer (identity, whitespace kept)")
    if len(proto.pieces) > vocab_size:
        raise ModelInputError(f"{model_file} has {len(proto.pieces):,} pieces but the model's embedding only "
                         f"{vocab_size:,} rows: this tokenizer is not the one the model was trained with")
    pieces = [p.piece for p in proto.pieces]
    scores = [p.score for p in proto.pieces]
    types = [gguf.TokenType(p.type) for p in proto.pieces]  # sentencepiece's numbering is GGUF's
    for i, piece in enumerate(pieces):
        if piece in CHAT_CONTROL_PIECES:
            types[i] = gguf.TokenType.CONTROL
    padding = range(len(pieces), vocab_size)
    return GGUFVocabulary(
        pieces=pieces + [f"[PAD{i}]" for i in padding],
        scores=scores + [-1e9] * len(padding),  # never a merge target
        types=types + [gguf.TokenType.UNUSED] * len(padding),
        add_space_prefix=spec.add_dummy_prefix,
    )


def add_vocabulary(writer: gguf.GGUFWriter, vocabulary: GGUFVocabulary, config: ModelConfig) -> None:
    """Tokenizer keys: pieces, scores, types, special ids, BOS added (as the shards start documents)."""
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(vocabulary.pieces)
    writer.add_token_scores(vocabulary.scores)
    writer.add_token_types(vocabulary.types)
    writer.add_bos_token_id(config.bos_token_id)
    writer.add_eos_token_id(config.eos_token_id)
    writer.add_pad_token_id(config.pad_token_id)
    unknown = [i for i, kind in enumerate(vocabulary.types) if kind == gguf.TokenType.UNKNOWN]
    if unknown:
        writer.add_unk_token_id(unknown[0])
    end_of_turn = vocabulary.id_of(END)
    if end_of_turn is not None:
        writer.add_eot_token_id(end_of_turn)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(vocabulary.add_space_prefix)
