"""Stage 05_hinglish: the romaniser, code-mixing, and the seeded Hinglish copies."""
