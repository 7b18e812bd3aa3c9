"""PII redaction on planted numbers (each kind, ASCII and Devanagari digits) and on look-alikes that must stay."""

from __future__ import annotations

import json
import random

import pytest

from pipeline.pii.redact import _VERHOEFF_D, _VERHOEFF_P, luhn_valid, redact, verhoeff_valid

DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def with_verhoeff(body: str) -> str:
    """`body` + the check digit that makes it Verhoeff-valid."""
    return next(body + str(d) for d in range(10) if verhoeff_valid(body + str(d)))


def with_luhn(body: str) -> str:
    return next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))


def planted(rng: random.Random) -> dict[str, list[str]]:
    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    out: dict[str, list[str]] = {k: [] for k in ("AADHAAR", "CARD", "PHONE", "PAN", "EMAIL", "UPI", "IP")}
    for _ in range(100):
        aadhaar = with_verhoeff(rng.choice("23456789") + digits(10))
        out["AADHAAR"].append(rng.choice([aadhaar, f"{aadhaar[:4]} {aadhaar[4:8]} {aadhaar[8:]}"]))
        card = with_luhn(rng.choice(["4", "5", "6"]) + digits(14))
        out["CARD"].append(rng.choice([card, " ".join(card[i : i + 4] for i in range(0, 16, 4))]))
        mobile = rng.choice("6789") + digits(9)
        out["PHONE"].append(
            rng.choice([mobile, f"+91 {mobile[:5]} {mobile[5:]}", f"0{mobile}", f"{mobile[:5]}-{mobile[5:]}"])
        )
        std = rng.choice(["11", "22", "522", "1352"])  # 0 + STD code + number: 11 digits in all
        out["PHONE"].append(f"0{std}-{digits(10 - len(std))}")
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        pan = "".join(rng.choice(letters) for _ in range(3)) + rng.choice("ABCFGHJLPT") + rng.choice(letters)
        out["PAN"].append(pan + digits(4) + rng.choice(letters))
        out["EMAIL"].append(f"user{digits(3)}@{rng.choice(['gmail.com', 'yahoo.co.in', 'nic.in'])}")
        out["UPI"].append(f"name{digits(3)}@{rng.choice(['okaxis', 'ybl', 'paytm', 'oksbi'])}")
        out["IP"].append(f"{rng.randint(11, 99)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    return out


@pytest.mark.parametrize("script", ["ascii", "devanagari"])
def test_planted_pii_of_every_kind_is_redacted(script):
    rng = random.Random(7)
    total = found = 0
    for kind, values in planted(rng).items():
        for value in values:
            shown = value.translate(DEVANAGARI) if script == "devanagari" and kind != "EMAIL" else value
            text, counts = redact(f"संपर्क के लिए {shown} पर लिखें।")
            total += 1
            found += counts[kind] == 1 and text == f"संपर्क के लिए <{kind}> पर लिखें।"
    assert found >= 0.99 * total, f"{found} of {total}"


LOOK_ALIKES = [
    "कीमत ₹ 45,000 है",
    "वर्ष 2024 में",
    "दिनांक 12/03/2024 को",
    "कुल 1,07,006 टेस्ट",
    "| 152 | 1793 | 27 |",
    "पिन कोड 110001",
    "समय 10:30 बजे",
    "राशि ५,००० रुपये",
    "स्थानीय नेटवर्क 192.168.1.10 और 127.0.0.1",
    "संस्करण 1.2.3.4",
]


def test_look_alike_numbers_stay():
    rng = random.Random(3)
    texts = list(LOOK_ALIKES)
    for _ in range(300):
        number = rng.choice("23456789") + "".join(rng.choice("0123456789") for _ in range(11))
        if not verhoeff_valid(number):
            texts.append(f"क्रमांक {number} दर्ज")  # 12 digits failing Verhoeff
        sixteen = "4" + "".join(rng.choice("0123456789") for _ in range(15))
        if not luhn_valid(sixteen):
            texts.append(f"संदर्भ {sixteen}")
    changed = [t for t in texts if redact(t)[0] != t]
    assert len(changed) <= 0.01 * len(texts), changed


def test_only_the_matched_digits_change_script_elsewhere_is_kept():
    text, counts = redact("वर्ष २०२४ में फोन ९८७६५४३२१० पर कॉल करें, कमरा १२")
    assert text == "वर्ष २०२४ में फोन <PHONE> पर कॉल करें, कमरा १२" and counts == {"PHONE": 1}


def test_checksums():
    assert verhoeff_valid("2363") and not verhoeff_valid("2364")
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert len(_VERHOEFF_D) == 10 and len(_VERHOEFF_P) == 8


def test_pii_stage_counts_kinds_and_keeps_every_document(run_args, tmp_path):
    from pipeline.__main__ import main
    from tests.conftest import SAMPLE_CONFIG

    assert main(["run", str(SAMPLE_CONFIG), *run_args]) == 0
    stats = json.loads((tmp_path / "work" / "sample" / "04_pii" / "stats.json").read_text())
    assert stats["balanced"] and stats["documents_in"] == stats["documents_out"]
    assert stats["changed_by_step"]["Indian PII"] == {"EMAIL": 1, "PHONE": 1, "PAN": 1}  # the sample's planted ones
    card = (tmp_path / "cards" / "sample" / "04_pii.md").read_text()
    assert "| Indian PII | PHONE | 1 |" in card


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("व्हाट्सऐप करें wa.me/919876543210 पर", "PHONE"),
        ("नंबर 919876543210 पर", "PHONE"),
        ("दिल्ली कार्यालय +91-11-23456789 पर", "PHONE"),
        ("मुंबई कार्यालय 022 2345 6789 पर", "PHONE"),
        ("फोन 98765.43210 पर", "PHONE"),
        ("फोन 98765–43210 पर", "PHONE"),
        ("पैन abcpd1234e दर्ज", "PAN"),
        ("सर्वर 2404:6800:4009::200e पर", "IP"),
        ("सर्वर 2404:6800::4009:200e पर", "IP"),
        ("nameserver 212.27.32.176", "IP"),  # "ver" inside a word is no reference
    ],
)
def test_forms_people_write_are_redacted(text, kind):
    redacted, counts = redact(text)
    assert counts == {kind: 1}, (text, redacted)
    assert f"<{kind}>" in redacted


@pytest.mark.parametrize(
    "text",
    [
        "पुस्तक ISBN 8126703938 से",
        "ISBN: 81-267-0393-8 देखें",
        "धारा 8.1.2.3 के अनुसार",
        "संस्करण 8.8.4.4 जारी",
        "version 9.1.2.3 released",
        "समय 10:30:45 बजे",
        "पैन जैसा शब्द Abcpd1234E नहीं",
        "between 0 and 0.9999999999.",  # decimals
        "returns 99.98449888.",
        "Mean 41.9090909091 and 118,769 1990 119,659",
        "see Section 6.1.2.2, “Stable Updates”",
        "dahdi-dkms (1:2.11.1.0.20170917~dfsg-7.4)",  # a version with five groups
        "root/root 0 2021-08-09 02:02 ./",
        "tcp6 0 0 ::1:25 :::* LISTEN",
    ],
)
def test_references_that_look_like_pii_stay(text):
    assert redact(text) == (text, {})
