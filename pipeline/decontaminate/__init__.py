"""Stage 05b_decontaminate: training documents that quote an evaluation set are set aside with their Hinglish copies."""
