"""Stage 01_ingest: sources and their readers, bad-record accounting, Unicode and Hindi normalisation."""
