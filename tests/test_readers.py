"""Every bad record is counted by reason with its file and line; --strict stops at the first one."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.config import SourceConfig
from pipeline.ingest.readers import MalformedRecordError, stable_id
from pipeline.ingest.settings import IngestConfig
from pipeline.ingest.sources import build_reader

GOOD = {"id": "a1", "text": "भारत एक विशाल देश है।", "title": "भारत", "url": "https://example.org/a1"}


def read_all(path, kind="jsonl", **ingest):
    source = SourceConfig(name="src", kind=kind, path=str(path))
    return list(build_reader(source, IngestConfig(**ingest)).run())


def errors(documents):
    return [(d.metadata.get("ingest_error"), d.metadata["line"]) for d in documents]


def test_good_records_get_stable_ids_and_provenance(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n")
    (doc,) = read_all(path)
    assert doc.id == stable_id("src", "a1")
    assert doc.metadata == {
        "source": "src",
        "original_id": "a1",
        "file": "docs.jsonl",
        "line": 1,
        "title": "भारत",
        "url": "https://example.org/a1",
    }
    assert read_all(path)[0].id == doc.id


def test_each_kind_of_bad_record_is_flagged_with_its_line(tmp_path):
    lines = [
        json.dumps(GOOD).encode(),
        b'{"id": "x", "text": "unterminated',
        b'{"id": "y"}',
        b'{"id": "z", "text": null}',
        b'{"id": "w", "text": "   "}',
        b'{"id": "v", "text": "ab\xff cd"}',
        b"[1, 2]",
        b"",
        json.dumps({"id": "u", "text": "x" * 101}).encode(),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    documents = read_all(path, max_doc_chars=100)
    assert errors(documents) == [
        (None, 1),
        ("malformed_json", 2),
        ("no_text", 3),
        ("no_text", 4),
        ("empty", 5),
        ("invalid_utf8", 6),
        ("not_an_object", 7),
        ("too_long", 9),
    ]
    assert documents[5].text == '{"id": "v", "text": "ab\\xff cd"}'  # the bad bytes are kept, escaped


def test_strict_mode_stops_at_the_first_bad_record_naming_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b'\n{"text": 5}\n')
    with pytest.raises(MalformedRecordError, match=r"bad\.jsonl:2: no_text"):
        read_all(path, strict=True)


def test_compressed_jsonl_is_read(tmp_path):
    body = (json.dumps(GOOD) + "\n").encode()
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(body))
    (tmp_path / "b.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(body))
    source = SourceConfig(name="src", kind="jsonl", path=str(tmp_path), glob="*.jsonl*")
    documents = list(build_reader(source, IngestConfig()).run())
    assert [d.metadata["file"] for d in documents] == ["a.jsonl.gz", "b.jsonl.zst"]
    assert all(d.text == GOOD["text"] for d in documents)


def test_blank_line_separated_text_gives_one_document_per_block(tmp_path):
    path = tmp_path / "hi.txt"
    path.write_text("पहली पंक्ति\nदूसरी पंक्ति\n\n\nअगला दस्तावेज़\n")
    documents = read_all(path, kind="text")
    assert [(d.text, d.metadata["line"]) for d in documents] == [
        ("पहली पंक्ति\nदूसरी पंक्ति", 1),
        ("अगला दस्तावेज़", 5),
    ]


def test_parquet_rows_without_text_are_flagged_by_row(tmp_path):
    path = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["नमस्ते दुनिया", None]}), path)
    assert errors(read_all(path, kind="parquet")) == [(None, 1), ("no_text", 2)]


def test_a_50_mb_single_document_is_set_aside_as_too_long(tmp_path):
    path = tmp_path / "huge.jsonl"
    with open(path, "w") as f:
        f.write(json.dumps({"id": "big", "text": "अ" * (50 * 2**20 // 3)}) + "\n")
        f.write(json.dumps(GOOD) + "\n")
    documents = read_all(path)
    assert errors(documents) == [("too_long", 1), (None, 2)]
    assert len(documents[0].text) == 50 * 2**20 // 3  # kept whole, for the rejected folder
