"""Stage 06_tokenize: the run's documents into uint16 shards with the project's tokenizer."""
