"""Stage 04_pii: typed placeholders for e-mail, UPI, IP, card, Aadhaar, phone and PAN numbers."""
