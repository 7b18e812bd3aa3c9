"""Stage 03_dedup: exact duplicates, then MinHash near duplicates with a matra-keeping normaliser."""
