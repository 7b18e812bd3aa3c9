"""A Devanagari + Hinglish SentencePiece tokenizer: sampling, training, evaluation, uint16 shards."""
