"""The ingest stage end to end on the bundled sample: books that balance, cards, stable output."""

import json

import pytest

from pipeline.__main__ import main
from pipeline.config import load_run_config
from pipeline.stages import get_stage
from tests.conftest import SAMPLE_CONFIG, read_jsonl_folder, write_jsonl


def run_sample(run_args, *extra):
    assert main(["run", str(SAMPLE_CONFIG), *run_args, "--stage", "ingest", *extra]) == 0
    config = load_run_config(str(SAMPLE_CONFIG), workdir=run_args[1])
    return get_stage("ingest").paths(config)


def test_documents_in_equal_out_plus_set_aside_exactly(run_args):
    paths = run_sample(run_args)
    stats = json.loads(paths.stats.read_text())
    kept = read_jsonl_folder(paths.output)
    rejected = read_jsonl_folder(paths.rejected)
    sample_records = 39 + 6  # non-blank JSONL lines + blank-line separated text blocks
    assert stats["documents_in"] == sample_records
    assert stats["documents_out"] == len(kept)
    assert stats["documents_set_aside"] == len(rejected)
    assert len(kept) + len(rejected) == sample_records
    assert stats["balanced"] is True
    assert stats["set_aside_by_filter"] == {
        "Bad records": {
            "malformed_json": 1,
            "no_text": 2,
            "empty": 1,
            "invalid_utf8": 1,
            "not_an_object": 1,
            "empty_after_normalisation": 1,
        }
    }
    located = {(r["reason"], r["file"], r["line"]) for r in stats["set_aside_records"]}
    assert ("invalid_utf8", "sample_docs.jsonl", 21) in located


def test_the_card_shows_counts_reasons_and_plots(run_args, tmp_path):
    run_sample(run_args)
    card_folder = tmp_path / "cards" / "sample"
    markdown = (card_folder / "01_ingest.md").read_text()
    assert "in (45) = out (38) + set aside (7): holds exactly" in markdown
    assert "| Bad records | invalid_utf8 | 1 |" in markdown
    assert "`sample_docs.jsonl:21`" in markdown
    for heading in (
        "## Dataset summary",
        "## Languages",
        "## Source data",
        "## Personal and sensitive information",
        "## Limitations",
        "## Licenses",
    ):
        assert heading in markdown
    card = json.loads((card_folder / "01_ingest.json").read_text())
    for plot in card["plots"].values():
        assert (card_folder / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert card["script_mix"]["documents_mostly_devanagari"] > card["script_mix"]["documents_mostly_latin"]


def test_output_is_normalised_and_keeps_provenance(run_args):
    kept = {d["metadata"]["original_id"]: d for d in read_jsonl_folder(run_sample(run_args).output)}
    assert kept["hi-005"]["text"].count("।") == 2 and "॥" in kept["hi-005"]["text"]
    assert kept["hi-001"]["metadata"]["title"] == "भारत"
    assert kept["hi-001"]["metadata"]["source"] == "sample_jsonl"
    assert "\r" not in kept["hi-020"]["text"] and "  " not in kept["hi-020"]["text"]


def test_a_second_run_skips_finished_tasks_and_gives_the_same_ids(run_args, tmp_path):
    first = sorted(d["id"] for d in read_jsonl_folder(run_sample(run_args).output))
    again = sorted(d["id"] for d in read_jsonl_folder(run_sample(run_args).output))
    assert first == again and len(set(first)) == len(first)


def test_changed_settings_on_an_existing_run_folder_are_refused(run_args, capsys):
    run_sample(run_args)
    assert main(["run", str(SAMPLE_CONFIG), *run_args, "--stages.ingest.devanagari_digits=ascii"]) == 2
    assert "was made with other settings" in capsys.readouterr().err


def test_strict_mode_stops_the_run_naming_the_record(run_args, capsys):
    assert (
        main(["run", str(SAMPLE_CONFIG), *run_args, "--run", "strict", "--strict", "--executor.workers=1"])
        == 2
    )
    assert "sample_docs.jsonl:7: malformed_json" in capsys.readouterr().err


def test_a_hub_source_offline_fails_at_once_and_names_the_input_alternative(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = tmp_path / "hub.yaml"
    config.write_text(
        "sources: [{name: wiki, kind: hf, dataset: wikimedia/wikipedia, subset: 20231101.hi}]\n"
    )
    assert main(["run", str(config), "--workdir", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert "HF_HUB_OFFLINE=1" in err and "--input PATH" in err


def test_local_input_replaces_the_sources(run_args, tmp_path):
    data = write_jsonl(
        tmp_path / "in" / "docs.jsonl", [{"id": str(i), "text": f"दस्तावेज़ {i}"} for i in range(5)]
    )
    assert main(["run", str(SAMPLE_CONFIG), *run_args, "--stage", "ingest", "--input", str(data.parent)]) == 0
    (run_dir,) = (tmp_path / "work").glob("sample-in-*")  # named after the input, with a hash of its path
    assert len(read_jsonl_folder(run_dir / "01_ingest" / "output")) == 5


@pytest.mark.parametrize("bad", ["--executor.tasks=two", "--nonsense=1"])
def test_bad_overrides_are_reported(run_args, bad, capsys):
    assert main(["run", str(SAMPLE_CONFIG), *run_args, bad]) == 2
    assert "error:" in capsys.readouterr().err
