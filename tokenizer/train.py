"""Train the SentencePiece model on a drawn sample and write it with its Hugging Face files.

Normalisation is the pipeline's (NFC + Indic, in stage 01_ingest), so SentencePiece's is `identity`: its
`nmt_nfkc` would turn ZWNJ into a space, and any rule of its own would make training text and shard text
disagree. Whitespace is kept as it is (no dummy prefix, no collapsing) so that decode(encode(text)) == text.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import sentencepiece as spm

from pipeline.hashing import file_sha256
from tokenizer.card import write_card
from tokenizer.config import TokenizerConfig, TokenizerInputError
from tokenizer.hf_files import write_hf_files
from tokenizer.sample import draw_sample

SPECIAL_IDS = {"pad_id": 0, "eos_id": 1, "bos_id": 2, "unk_id": 3}  # the model's pad/eos/bos ids


def _train_sentencepiece(config: TokenizerConfig, out: Path) -> None:
    t = config.train
    spm.SentencePieceTrainer.train(
        input=str(out / "sample.txt"),
        model_prefix=str(out / "tokenizer"),
        model_type=t.model_type,
        vocab_size=t.vocab_size,
        hard_vocab_limit=t.hard_vocab_limit,
        character_coverage=t.character_coverage,
        byte_fallback=t.byte_fallback,
        split_digits=t.split_digits,
        split_by_unicode_script=t.split_by_unicode_script,
        normalization_rule_name=t.normalization_rule_name,
        add_dummy_prefix=False,
        remove_extra_whitespaces=False,
        allow_whitespace_only_pieces=True,
        user_defined_symbols=t.user_defined_symbols,
        input_sentence_size=config.sample.sentences,
        shuffle_input_sentence=True,
        max_sentence_length=4 * config.sample.max_line_chars,  # bytes: Devanagari is 3 bytes a character
        num_threads=t.threads,
        pad_piece="<pad>",
        eos_piece="<eos>",
        bos_piece="<bos>",
        unk_piece="<unk>",
        minloglevel=2,
        **SPECIAL_IDS,
    )


def train_tokenizer(config: TokenizerConfig) -> Path:
    """Sample, train, write `<out>/tokenizer.model` + HF files + `train.json` + `card.md`; returns the model."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    sample_stats = draw_sample(config.sample, out)
    try:
        _train_sentencepiece(config, out)
    except RuntimeError as err:  # sentencepiece's own words, e.g. "Vocabulary size too high (50000)"
        raise TokenizerInputError(f"SentencePiece could not train on {out / 'sample.txt'}: {err}. With a small sample, "
                         f"set train.hard_vocab_limit=false or change train.vocab_size") from None
    model_file = out / "tokenizer.model"
    if config.train.model_type == "bpe" and config.train.byte_fallback:
        write_hf_files(model_file, out)
    vocab = spm.SentencePieceProcessor(model_file=str(model_file)).get_piece_size()
    record = {"vocab_size": vocab, "sha256": file_sha256(model_file), "seconds": round(time.time() - started, 1),
              "sample": sample_stats, "train": vars(config.train)}
    (out / "train.json").write_text(json.dumps(record, indent=2, ensure_ascii=False))
    write_card(out)
    return model_file
