"""Stage 01_ingest: every source's records → validated, normalised documents with stable ids.

reader(s) → NormalizeHindiText → DropBadRecords → JsonlWriter(output)
Records the readers flagged pass through normalisation untouched; they and documents that normalisation
emptied go to rejected/bad_records/ with the reason in their metadata.
"""

from __future__ import annotations

from datatrove.pipeline.base import PipelineStep

from pipeline.config import SourceConfig
from pipeline.ingest.normalize import NormalizeHindiText
from pipeline.ingest.record_filters import DropBadRecords
from pipeline.ingest.settings import IngestConfig
from pipeline.ingest.sources import build_reader
from pipeline.stage_writers import stage_writer
from pipeline.workdir import StagePaths

INGEST_NOTES = {
    "languages": "Whatever the sources hold: no language filter has run yet (that is stage 02_filter). "
    "The script mix below shows how much of it is Devanagari.",
    "personal_information": "Not redacted at this stage: e-mail addresses, phone, Aadhaar, PAN and card "
    "numbers in the sources are still in this output (stage 04_pii redacts them).",
    "limitations": [
        "Normalisation keeps spelling variants (हिन्दी and हिंदी; nasals mode `do_nothing`) unless the config "
        "asks indic-nlp to merge them; candrabindu is never turned into anusvara.",
        "A colon is turned into visarga only between two Devanagari letters (दु:ख → दुःख); `अत:` before a "
        "space stays a colon, since labels such as `समय: 10` look the same.",
        "Legacy-font (KrutiDev) text and broken OCR pass through unchanged; the filter stage handles them.",
        "Documents are neither deduplicated nor language-filtered yet.",
    ],
}


def build_ingest(settings: IngestConfig, sources: list[SourceConfig], paths: StagePaths) -> list[PipelineStep]:
    readers = [build_reader(source, settings) for source in sources]
    return [
        *readers,
        NormalizeHindiText(nasals=settings.nasals, devanagari_digits=settings.devanagari_digits),
        DropBadRecords(exclusion_writer=stage_writer(paths.rejected_by("bad_records"))),
        stage_writer(paths.output),
    ]
