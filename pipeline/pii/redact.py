"""Stage 04_pii's step: Indian personal data replaced by typed placeholders.

`<EMAIL>`, `<UPI>` (name@bank), `<IP>` (public IPv4/IPv6 only: 10.0.0.1 or 127.0.0.1 identify no one), `<CARD>`
(13–19 digits, Luhn must hold), `<AADHAAR>` (12 digits, first 2–9, optional 4-4-4 grouping, Verhoeff must hold),
`<PHONE>` (mobiles: +91, 91 or 0 prefix optional, 10 digits from 6–9, spaces, dashes, dots or en dashes;
landlines: 0 or +91, STD code, number, 10 digits after the prefix) and `<PAN>` (upper or lower case). Digits may
be ASCII or Devanagari (०–९); only the matched span is replaced, so digits elsewhere keep their script. Numbers
must stand alone (no digit right before or after), and checksums keep years, dates, prices (₹ 45,000), table
figures and random 12-digit numbers as they are; a number right after ISBN, धारा, section, version and the like is
a reference, not PII.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from pipeline.script import DEVANAGARI_DIGITS_TO_ASCII

D = "[0-9०-९]"  # one digit in either script
_NO_DIGIT_AFTER = "(?![0-9०-९])"
# "no digit before this first digit", written after the digit it guards: a pattern that starts with a character
# class lets re skip non-digits fast, one that starts with a lookbehind runs it at every position (3-6× slower)
_FIRST_DIGIT = "(?<![0-9०-९].)"
_NOT_DECIMAL = "(?<![0-9०-९].)(?<![0-9०-९][.,].)"  # ... nor a decimal point or comma after a digit

# Verhoeff's dihedral-group tables (multiplication, permutation), as Aadhaar's check digit uses them.
_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def digits_of(text: str) -> str:
    """The ASCII digits of a match, separators dropped."""
    return re.sub(r"\D", "", text.translate(DEVANAGARI_DIGITS_TO_ASCII))


def verhoeff_valid(number: str) -> bool:
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(digit)]]
    return check == 0


def luhn_valid(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _public_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(text.translate(DEVANAGARI_DIGITS_TO_ASCII)).is_global
    except ValueError:
        return False


# A number right after one of these words is a reference, not a person's: ISBN 8126703938 (India's ISBNs start
# 81/93 like mobiles), धारा 8.1.2.3 or version 1.2.3.4 (which read as public IPs).
_REFERENCE_BEFORE = re.compile(
    r"(?:धारा|अनुच्छेद|खंड|नियम|अध्याय|संस्करण|§|(?<![A-Za-z])(?:ISBN(?:[- ]?1[03])?|section|sec|clause|chapter"
    r"|article|art|version|ver|rule|v))[\s:.\-]{0,3}$",
    re.IGNORECASE,
)


def _after_reference_word(match: re.Match) -> bool:
    return _REFERENCE_BEFORE.search(match.string, max(0, match.start() - 24), match.start()) is not None


@dataclass(frozen=True)
class PIIRule:
    kind: str  # the placeholder's name: <KIND>
    pattern: re.Pattern
    valid: object = None  # a check on the matched text (checksum, public address); None accepts every match
    needs: str = "digits"  # a pre-check every text with a match passes (*PRE_CHECKS): the others skip the rule

    def accepts(self, match: re.Match) -> bool:
        if self.needs != "@" and _after_reference_word(match):
            return False
        return self.valid is None or self.valid(match.group())


# What a text needs for each group of rules; most texts fail all of them, which is where the time goes: a Hindi
# text often holds a digit, rarely 8 digits close together. Each check is a regex that starts with a literal or
# a digit (re scans for those fast); the digit-led ones run only on texts with a digit.
_SEP = "[ \\-.\u2013]"  # space, dash, dot, en dash: what the pre-check allows between digits
_GAP = "[ \\-\u2013]"  # space, dash, en dash: between a prefix and a number, and inside a number
_ANY_DIGIT = re.compile(D).search
PRE_CHECKS = {
    "@": lambda text: "@" in text,
    ":": re.compile(r":[0-9A-Fa-f]{0,4}:").search,  # IPv6 has two colons at most 4 hex digits apart
}
DIGIT_PRE_CHECKS = {
    "ipv4": re.compile(rf"{D}\.{D}{{1,3}}\.").search,
    "digits": re.compile(rf"{D}(?:{_SEP}?{D}){{7}}").search,  # phones, cards and Aadhaar have 10+ digits
    "pan": re.compile(rf"{D}{{4}}[A-Za-z]").search,
}


def _phone_digits_valid(match: str) -> bool:
    """A landline: 0 + STD code + number (11 digits) or +91 + STD code + number (12)."""
    digits = digits_of(match)
    return len(digits) == 12 if match.startswith("+") else len(digits) == 11


RULES = [
    PIIRule(
        "EMAIL",
        re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
        needs="@",
    ),
    # name@bank handles: no dot after the @ (that would be an e-mail address, redacted above)
    PIIRule("UPI", re.compile(r"(?<![\w.+-])[A-Za-z0-9०-९._-]{2,}@[A-Za-z]{2,}\b(?![.@\w])"), needs="@"),
    PIIRule(
        "IP",
        re.compile(rf"{D}{_FIRST_DIGIT}(?<!{D}\..){D}{{0,2}}(?:\.{D}{{1,3}}){{3}}(?![0-9०-९]|\.[0-9०-९])"),
        _public_ip,
        needs="ipv4",
    ),
    # IPv6: hex groups and colons, `::` anywhere but at the start (global addresses begin 2000::/3; netstat's
    # ::1:25 and IPv4-mapped ::ffff:1.2.3.4 are not people's); ipaddress decides (10:30:45 is not one)
    PIIRule(
        "IP",
        re.compile(r"(?<![\w:.])(?=[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{3,39}(?![\w:]|\.[0-9])"),
        _public_ip,
        needs=":",
    ),
    # cards: 13-19 digits run together, grouped 4-4-4-x or Amex's 4-6-5 (one separator kind throughout)
    PIIRule(
        "CARD",
        re.compile(
            rf"{D}{_FIRST_DIGIT}(?:{D}{{12,18}}|{D}{{3}}([ \-]){D}{{4}}\1{D}{{4}}\1{D}{{1,7}}"
            rf"|{D}{{3}}([ \-]){D}{{6}}\2{D}{{5}}){_NO_DIGIT_AFTER}"
        ),
        lambda m: 13 <= len(digits_of(m)) <= 19 and luhn_valid(digits_of(m)),
    ),
    PIIRule(
        "AADHAAR",
        re.compile(rf"[2-9२-९]{_FIRST_DIGIT}{D}{{3}}([ \-]?){D}{{4}}\1{D}{{4}}{_NO_DIGIT_AFTER}"),
        lambda m: verhoeff_valid(digits_of(m)),
    ),
    # mobiles: +91, 91 (wa.me/919876543210) or 0 before, or no digit before (nor a decimal point: 0.6931471805);
    # 10 digits from 6-9, a space, dash or en dash allowed between any two, dots only as 98765.43210 or
    # 987.654.3210 (a decimal 99.98449888 is not a phone)
    PIIRule(
        "PHONE",
        re.compile(
            rf"(?:\+(?<![\w+].)(?:91|९१){_GAP}?[6-9६-९]|(?:9{_NOT_DECIMAL}1|९{_NOT_DECIMAL}१|[0०]{_NOT_DECIMAL})"
            rf"{_GAP}?[6-9६-९]|[6-9६-९]{_NOT_DECIMAL})"
            rf"(?:(?:{_GAP}?{D}){{9}}|{D}{{4}}\.{D}{{5}}|{D}{{2}}\.{D}{{3}}\.{D}{{4}}){_NO_DIGIT_AFTER}"
        ),
    ),
    # landlines: 0 (the STD code right after it) or +91, an STD code of 2-4 digits, a space, dash or en dash, the
    # number whole or as 4 + 4 (022 2345 6789, 011-23456789, +91-11-23456789); 10 digits after the 0 or the 91
    PIIRule(
        "PHONE",
        re.compile(
            rf"(?:\+(?<![\w+].)(?:91|९१){_GAP}?|[0०]{_NOT_DECIMAL})[1-9१-९]{D}{{1,3}}{_GAP}"
            rf"(?:{D}{{6,8}}|{D}{{3,4}}{_GAP}{D}{{4}}){_NO_DIGIT_AFTER}"
        ),
        _phone_digits_valid,
    ),
    # PAN: one case throughout (abcpd1234e is one typed in lower case)
    PIIRule(
        "PAN",
        re.compile(rf"\b(?:[A-Z]{{3}}[ABCFGHJLPT][A-Z]{D}{{4}}[A-Z]|[a-z]{{3}}[abcfghjlpt][a-z]{D}{{4}}[a-z])\b"),
        needs="pan",
    ),
]


def redact(text: str) -> tuple[str, Counter]:
    """`text` with every PII match replaced by its placeholder, and the count per kind."""
    counts: Counter = Counter()
    passed = {name for name, check in PRE_CHECKS.items() if check(text)}
    if _ANY_DIGIT(text):
        passed.update(name for name, check in DIGIT_PRE_CHECKS.items() if check(text))
    for rule in RULES:
        if rule.needs not in passed:
            continue

        def replace(match: re.Match, rule: PIIRule = rule) -> str:
            if not rule.accepts(match):
                return match.group()
            counts[rule.kind] += 1
            return f"<{rule.kind}>"

        text = rule.pattern.sub(replace, text)
    return text, counts


class RedactIndianPII(PipelineStep):
    type = "✂️ - MODIFY"
    name = "🪪 Indian PII"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update("documents")
            with self.track_time():
                doc.text, counts = redact(doc.text)
            if counts:
                doc.metadata["pii_redacted"] = dict(counts)
                for kind, n in counts.items():
                    self.stat_update(f"changed_{kind}")  # documents with this kind (the card's table)
                    self.stat_update(f"redacted_{kind}", value=n)  # occurrences
            yield doc
