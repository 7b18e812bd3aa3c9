"""Stage 04_pii: e-mail, UPI, public IP, card, Aadhaar, phone and PAN numbers → typed placeholders.

JsonlReader(previous stage's output) → RedactIndianPII → JsonlWriter(output)
Nothing is set aside; what was redacted is counted per kind (documents in the card's "What was changed" table,
occurrences in stats.json) and kept per document in `metadata["pii_redacted"]`.
"""

from __future__ import annotations

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader

from pipeline.pii.redact import RedactIndianPII
from pipeline.stage_writers import stage_writer
from pipeline.workdir import StagePaths

PII_NOTES = {
    "languages": "As the previous stage: Hindi in Devanagari and, where kept, in Latin letters.",
    "personal_information": "E-mail addresses, UPI ids, public IPv4/IPv6 addresses, card numbers (Luhn), Aadhaar "
    "numbers (Verhoeff), Indian mobile and landline numbers and PAN are replaced by <EMAIL>, <UPI>, <IP>, "
    "<CARD>, <AADHAAR>, <PHONE>, <PAN>, in ASCII and Devanagari digits. Names, postal addresses and faces in "
    "text are not detected.",
    "limitations": [
        "Rules, not a model: a phone number written in words, split over lines or with brackets ((0522) 2230688) "
        "is missed; a 10-digit number from 6-9 that is not a phone (an order number) is redacted.",
        "Checksums stop most look-alikes, but one random 12-digit number in ten passes Verhoeff and one random card-"
        "length number in ten passes Luhn.",
        "Private, loopback and documentation IP addresses are left: they identify no one.",
        "A number right after ISBN, section, version, धारा and the like, a decimal fraction and a dotted number of "
        "five groups or more are taken for references and left, whatever they look like.",
    ],
}


def build_pii(paths: StagePaths, previous: StagePaths) -> list[PipelineStep]:
    return [
        JsonlReader(str(previous.output), glob_pattern="*.jsonl.gz"),
        RedactIndianPII(),
        stage_writer(paths.output),
    ]
