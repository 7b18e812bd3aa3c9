"""Stage 02_filter: language ID (lid.176 and the romanised-Hindi detector), mojibake, quality, repetition, abuse."""
