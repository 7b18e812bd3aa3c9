"""The cards show the scores a stage recorded as it recorded them, beside their own script measure."""

from pipeline.cards.profile import profile_folder
from tests.conftest import write_jsonl


def test_a_recorded_devanagari_share_reaches_the_card_unchanged(tmp_path):
    # 0.42 is what the filter decided on; the card's own script measure of this text would be ~0.8
    text = "भारत की राजधानी नई दिल्ली है, capital city"
    write_jsonl(tmp_path / "out" / "00000.jsonl", [{"id": "a", "text": text, "metadata": {"devanagari_share": 0.42}}])
    frame = profile_folder(tmp_path / "out", scores=("devanagari_share",))
    assert frame["devanagari_share"].to_list() == [0.42]
    assert 0.6 < frame["script_devanagari"][0] < 1.0
