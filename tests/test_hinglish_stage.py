"""Stage 05_hinglish and code-mixing: copies beside their originals, seeded and stable, books that balance."""

from __future__ import annotations

import json
import re

from pipeline.__main__ import main
from pipeline.config import load_run_config
from pipeline.hinglish.code_mixing import code_mix, english_for
from pipeline.hinglish.romanize import romanize
from pipeline.stages import get_stage
from tests.conftest import SAMPLE_CONFIG, read_jsonl_folder

SENTENCE = "मुझे यह फ़ैसला पसंद है"


def test_code_mixing_swaps_content_words_and_keeps_hindi_grammar():
    words = code_mix(SENTENCE, share=1.0, seed=0).split()
    assert words[0] == "mujhe" and words[1] in ("yeh", "ye") and words[2:] == ["decision", "pasand", "hai"]


def test_share_zero_is_plain_romanisation_and_verbs_are_never_swapped():
    text = "सरकार ने बैठक में फ़ैसला लिया और काम शुरू किया।"
    assert code_mix(text, share=0.0, seed=5) == romanize(text, seed=5)
    assert "लिया" not in english_for() and "किया" not in english_for()
    mixed = code_mix(text, share=1.0, seed=5)
    assert {"government", "meeting", "decision", "start"} <= set(mixed.rstrip(".").split())


def _run(run_args, tasks: int):
    fractions = ["--stages.hinglish.romanised_fraction=0.5", "--stages.hinglish.code_mixed_fraction=0.5"]
    assert main(["run", str(SAMPLE_CONFIG), *run_args, f"--executor.tasks={tasks}", *fractions]) == 0
    config = load_run_config(str(SAMPLE_CONFIG), [f"executor.tasks={tasks}"], workdir=run_args[1])
    return get_stage("hinglish").paths(config)


def test_stage_adds_seeded_copies_beside_their_originals(tmp_path):
    paths = _run(["--workdir", str(tmp_path / "a"), "--set", f"cards_dir={tmp_path / 'cards'}"], tasks=2)
    out = read_jsonl_folder(paths.output)
    copies = [r for r in out if "hinglish" in r["metadata"]]
    originals = {r["id"]: r for r in out if "hinglish" not in r["metadata"]}
    assert {r["metadata"]["hinglish"] for r in copies} == {"romanised", "code_mixed"}
    for copy in copies:
        parent = originals[copy["metadata"]["parent_id"]]
        assert parent["metadata"]["language"] == "hi_Deva" and copy["metadata"]["language"] == "hi_Latn"
        assert not re.search("[\u0900-\u097f]", copy["text"]) and re.search("[\u0900-\u097f]", parent["text"])
    stats = json.loads(paths.stats.read_text())
    assert stats["balanced"] and stats["documents_added"] == len(copies)
    assert stats["documents_in"] + len(copies) == stats["documents_out"] == len(out)
    card = (tmp_path / "cards" / "sample" / "05_hinglish.md").read_text()
    assert "## What was added" in card and f"+ added ({len(copies)})" in card

    again = _run(["--workdir", str(tmp_path / "b"), "--set", f"cards_dir={tmp_path / 'cards_b'}"], tasks=1)
    copies_again = [r for r in read_jsonl_folder(again.output) if "hinglish" in r["metadata"]]
    assert sorted((r["id"], r["text"]) for r in copies_again) == sorted((r["id"], r["text"]) for r in copies)
