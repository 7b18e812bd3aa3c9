"""Stage 05b_decontaminate: a training document that quotes an evaluation set goes, with its Hinglish copies and
the set and n-gram named; one that only shares common phrases stays; the books balance and the card counts."""

from __future__ import annotations

import json

import pytest

from pipeline.__main__ import main
from pipeline.config import load_run_config
from pipeline.decontaminate.eval_sets import EvalSet, build_index, present_sets
from pipeline.hinglish.romanize import romanize
from pipeline.stages import get_stage
from pipeline.typed_config import ConfigError
from tests.conftest import REPO, read_jsonl_folder, write_jsonl

PLANTED = "बूढ़े माली ने बगीचे के सबसे पुराने आम के पेड़ के नीचे अपनी बेटी की चिट्ठी फिर से पढ़ी।"
HELD_OUT = ("गाँव में उस साल बहुत बारिश हुई। " + PLANTED + " उसकी आँखों में आँसू थे और वह देर तक चुप बैठा रहा। "
            "शाम को उसने दीया जलाया और भगवान से बेटी के लिए प्रार्थना की।")
PROSE = ("दिल्ली में आज सुबह घना कोहरा छाया रहा और कई उड़ानें देर से रवाना हुईं। सड़कों पर वाहन धीमी गति से चले "
         "और लोग देर से दफ़्तर पहुँचे। मौसम विभाग ने कहा है कि अगले दो दिनों तक ठंड बनी रहेगी। ")
# shares "उसकी आँखों में आँसू थे" and "के बारे में" kinds of phrases with the held-out story, never 8 words in a row
COMMON_PHRASES = ("उसकी आँखों में आँसू थे क्योंकि उसका मित्र शहर छोड़कर जा रहा था। बेटी की चिट्ठी आई तो सबने "
                  "खुशी मनाई और बच्चों ने मिठाई बाँटी। गाँव में उस साल फसल अच्छी हुई और किसान संतुष्ट थे।")


OTHER = ("इंटरनेट ने पढ़ाई का तरीका बदल दिया है। अब गाँव के बच्चे भी मोबाइल पर पाठ देखते हैं और शिक्षक ऑनलाइन "
         "कक्षाएँ लेते हैं। फिर भी कई घरों में नेटवर्क कमज़ोर है।")
MARKET = ("बाज़ार में टमाटर और प्याज़ के दाम फिर बढ़ गए हैं क्योंकि बारिश से फसल खराब हुई है। व्यापारियों का कहना है "
          "कि आपूर्ति कम है और अगले महीने तक दाम ऊँचे रहेंगे। ग्राहक कम मात्रा में सब्ज़ी खरीद रहे हैं।")


def _original_ids(folder) -> set[str]:
    """The input ids (01_ingest gives stable ids of its own; copies add their kind to their parent's)."""
    return {r["metadata"]["original_id"] + r["id"][len(r["metadata"].get("parent_id") or r["id"]):]
            for r in read_jsonl_folder(folder)}


def test_an_index_finds_a_planted_sentence_in_devanagari_and_romanised_but_not_common_phrases(tmp_path):
    held_out = write_jsonl(tmp_path / "stories.jsonl", [{"text": HELD_OUT}])
    index = build_index([EvalSet("stories", str(held_out))], n=8)
    assert index.first_match(PROSE + PLANTED)[0] == "stories"
    for seed in range(5):  # the romaniser's spelling variants (nahi/nahin, ph/f) meet the index's romanised copy
        assert index.first_match(romanize(PROSE + PLANTED, seed=seed)) is not None, seed
    assert index.first_match(PROSE + COMMON_PHRASES) is None
    assert index.first_match(romanize(COMMON_PHRASES, seed=1)) is None


def test_multiple_choice_items_are_read_as_context_with_each_option(tmp_path):
    item = {"context": "गाँव में उस साल बहुत बारिश हुई।", "choices": [PLANTED, "यह एक छोटा वाक्य है।"], "label": 0}
    tasks = write_jsonl(tmp_path / "next_sentence_hi.jsonl", [item])
    index = build_index([EvalSet("items", str(tasks))], n=8)
    assert index.first_match("बारिश हुई। " + PLANTED)[0] == "items"


def test_a_named_set_that_does_not_exist_is_a_config_error_unless_optional(tmp_path):
    missing = str(tmp_path / "nowhere.jsonl")
    with pytest.raises(ConfigError, match=r"stages\.decontaminate\.eval_sets\[0\].*nowhere\.jsonl"):
        present_sets([EvalSet("gone", missing)])
    assert present_sets([EvalSet("gone", missing, optional=True)]) == []


def _run(tmp_path, eval_sets: list[dict]) -> tuple[int, object]:
    docs = [{"id": "quotes", "text": PROSE + PLANTED}, {"id": "phrases", "text": COMMON_PHRASES + " " + OTHER},
            {"id": "news", "text": MARKET}]
    source = write_jsonl(tmp_path / "train" / "docs.jsonl", docs)
    args = ["run", str(REPO / "configs" / "local.yaml"), "--input", str(source), "--run", "decont",
            "--workdir", str(tmp_path / "work"), "--set", f"cards_dir={tmp_path / 'cards'}",
            "--set", "stages.filter.language.hinglish_model=none", "--set", "stages.hinglish.romanised_fraction=1",
            "--set", "stages.hinglish.code_mixed_fraction=1", "--set", "executor.tasks=1",
            "--set", f"stages.decontaminate.eval_sets={json.dumps(eval_sets, ensure_ascii=False)}"]
    config = load_run_config(str(REPO / "configs" / "local.yaml"), inputs=[str(source)],
                             workdir=str(tmp_path / "work"), run="decont")
    return main(args), get_stage("decontaminate").paths(config)


def test_the_stage_sets_aside_a_quoting_document_with_its_copies_and_counts_it(tmp_path):
    held_out = write_jsonl(tmp_path / "held_out" / "stories.jsonl", [{"text": HELD_OUT}])
    code, paths = _run(tmp_path, [{"name": "stories", "path": str(held_out)},
                                  {"name": "absent", "path": str(tmp_path / "none"), "optional": True}])
    assert code == 0
    kept = _original_ids(paths.output)
    set_aside = read_jsonl_folder(paths.rejected_by("decontaminate"))
    assert _original_ids(paths.rejected_by("decontaminate")) == {"quotes", "quotes-romanised", "quotes-code_mixed"}
    assert {"phrases", "phrases-romanised", "news"} <= kept
    for record in set_aside:
        meta = record["metadata"]
        assert meta["filter_reason"] == "contaminated" and meta["eval_set"] == "stories"
        assert len(meta["contamination_ngram"].split()) == 8
    stats = json.loads(paths.stats.read_text())
    assert stats["balanced"] and stats["set_aside_by_filter"] == {"Decontamination": {"contaminated": 3}}
    card = (tmp_path / "cards" / "decont" / "05b_decontaminate.md").read_text()
    assert "## Decontamination" in card and "| stories |" in card and "| 3 |" in card
    assert "skipped: absent (optional)" in card


def test_a_missing_required_set_stops_the_run_naming_it(tmp_path, capsys):
    code, _ = _run(tmp_path, [{"name": "stories", "path": str(tmp_path / "missing.jsonl")}])
    assert code == 2
    assert "stages.decontaminate.eval_sets[0] (stories)" in capsys.readouterr().err
