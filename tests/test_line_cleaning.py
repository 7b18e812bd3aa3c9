"""Line cleaning of 02_filter: residue lines leave Hindi documents, prose and other kinds of document stay whole."""

from __future__ import annotations

import json

from pipeline.__main__ import main
from pipeline.filter.line_cleaning import clean_lines, hindi_prose
from pipeline.filter.settings import LanguageSettings, LineCleaningSettings
from tests.conftest import read_jsonl_folder, write_jsonl

SETTINGS = LineCleaningSettings()
FUNCTION_WORDS = frozenset(LanguageSettings().code_mixed_function_words)
PROSE = ("कुम्हड़ा एक बेल वाला पौधा है जिसका तना लम्बा और कमजोर होता है। इसकी पत्तियाँ हरी और चौड़ी होती हैं। "
         "इसका फल गोल या लम्बा होता है और सब्ज़ी के रूप में खाया जाता है।")
PROSE_2 = ("पके हुए कुम्हड़े से मिठाई भी बनाई जाती है। भारत के कई राज्यों में इसकी खेती बरसात के मौसम में होती है, "
           "और किसान इसे बाज़ार में बेचते हैं।")
RESIDUE = {
    "latin_line": "This article is about the plant.",
    "navigation_list": "ओसियां · परसाला · चेराई · नौसर · भावड़",
    "wiki_markup": "| स्थान = मुम्बई",
    "key_value": "क्षेत्रफल - 2,277 वर्ग कि॰मी॰",
    "fragment": "कुम्हड़ा फूल",
}


def clean(text: str) -> tuple[str, dict]:
    return clean_lines(text, SETTINGS, FUNCTION_WORDS)


def test_each_kind_of_residue_leaves_a_hindi_article_and_its_prose_stays():
    for reason, line in RESIDUE.items():
        text, removed = clean(f"{PROSE}\n{line}\n{PROSE}")
        assert text == f"{PROSE}\n{PROSE}", reason
        assert removed == {reason: {"lines": 1, "characters": len(line), "example": line}}


def test_the_letters_handed_to_the_language_step_are_those_of_the_text_it_gets():
    """clean_lines remembers the letter counts of the text the document goes on with, for letter_counts."""
    from pipeline.script import DEVANAGARI_LETTER, LATIN_LETTER, letter_counts

    def counted(text: str) -> tuple[int, int]:
        return len(DEVANAGARI_LETTER.findall(text)), len(LATIN_LETTER.findall(text))

    for original in (f"{PROSE}\n{RESIDUE['latin_line']}\n\n\n{PROSE_2}", f"{PROSE}\n\n\n\n{PROSE_2}",
                     f"English text only, with a word: {RESIDUE['fragment']}\nand more English lines"):
        cleaned, removed = clean(original)
        goes_on = cleaned if removed else original
        assert letter_counts(goes_on) == counted(goes_on) and counted(goes_on) != (0, 0)


def test_a_repeated_heading_goes_once_and_danda_lists_are_not_prose():
    text, removed = clean(f"भारत के प्राचीन इतिहास और उसकी भूगोल\n{PROSE}\nभारत के प्राचीन इतिहास और उसकी भूगोल\n{PROSE}")
    assert text == f"भारत के प्राचीन इतिहास और उसकी भूगोल\n{PROSE}\n{PROSE}" and removed["repeated_line"]["lines"] == 1
    names = "ऐनर्ली । क्रिस्टल पैलस । बेकेनहम । ईडन पार्क । बिकली । बिगिन हिल ।"
    assert not hindi_prose(names) and hindi_prose(PROSE)
    assert clean(f"{PROSE}\n{names}")[0] == PROSE


def test_headlines_dialogue_and_code_mixed_lines_stay():
    kept = [
        "गुजरात: आज 256 नए मामले मिले, दो की मौत",  # a headline: function words
        "नोएडा, गाजियाबाद, मेरठ, लखनऊ समेत यूपी के 15 जिले सील",
        "हाँ। ठीक है। चलो अब।",
        "yaar मैं आज bahut tired hoon, kal milte hain",  # code-mixed: Hindi function words on the line
    ]
    for line in kept:
        assert clean(f"{PROSE}\n{line}")[0] == f"{PROSE}\n{line}", line


def test_romanised_code_mixed_and_english_documents_are_left_whole():
    for text in [
        "yaar aaj office mein bahut kaam tha\nkal milte hain, theek hai?\nhaan bilkul, shaam ko call karna",
        "मुझे यह decision बिल्कुल पसंद नहीं आया\nMeeting kal hai, please time pe aana\nठीक है, मैं आ जाऊँगा",
        "LibreOffice 7.4 Help\nThe Standard Filter lets you set conditions.\nमानक फ़िल्टर\nChoose Data - More Filters.",
    ]:
        assert clean(text) == (text, {})


def test_english_sentences_stay_where_they_are_much_of_the_page():
    help_page = "\n".join([PROSE, "The following functions edit, format, and align the contents of strings.",
                           "Use the functions to convert text to numbers and back again in a macro."])
    text, removed = clean(help_page)
    assert text == help_page and not removed
    assert clean(f"{PROSE}\n{PROSE}\n{PROSE}\nThis article refers to the plant.")[0] == f"{PROSE}\n{PROSE}\n{PROSE}"


def test_filter_stage_records_lines_removed_and_sets_a_page_of_residue_aside_whole(run_args, tmp_path):
    menu = "ओसियां · परसाला · चेराई · नौसर · भावड़\nक्षेत्रफल - 2,277 वर्ग कि॰मी॰"
    records = [{"id": "article", "text": "\n".join([PROSE, *RESIDUE.values(), PROSE_2])}, {"id": "menu", "text": menu}]
    write_jsonl(tmp_path / "in" / "docs.jsonl", records)
    args = ["run", "configs/local.yaml", "--input", str(tmp_path / "in"), *run_args, "--set", "executor.tasks=1",
            "--stage", "ingest", "--stage", "filter"]
    assert main(args) == 0
    run_dir = next((tmp_path / "work").glob("local-*"))
    [kept] = read_jsonl_folder(run_dir / "02_filter" / "output")
    assert kept["text"] == f"{PROSE}\n{PROSE_2}" and set(kept["metadata"]["lines_removed"]) == set(RESIDUE)
    [rejected] = read_jsonl_folder(run_dir / "02_filter" / "rejected")
    ingested = {r["id"]: r["text"] for r in read_jsonl_folder(run_dir / "01_ingest" / "output")}
    assert rejected["text"] == ingested[rejected["id"]] and rejected["metadata"]["filter_reason"] == "only_residue"
    assert set(rejected["metadata"]["lines_removed"]) == {"navigation_list", "key_value"}
    stats = json.loads((run_dir / "02_filter" / "stats.json").read_text())
    assert stats["balanced"] and stats["set_aside_by_filter"]["Line cleaning"] == {"only_residue": 1}
    card = json.loads((tmp_path / "cards" / run_dir.name / "02_filter.json").read_text())
    by_reason = {row["reason"]: row for row in card["lines_removed"]}
    line = RESIDUE["key_value"]
    assert by_reason["key_value"] == {"reason": "key_value", "lines": 2, "characters": 2 * len(line),
                                      "examples": [line]}  # the set-aside page's line too; one example each
    assert "## Lines removed" in (tmp_path / "cards" / run_dir.name / "02_filter.md").read_text()
