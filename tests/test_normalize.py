import unicodedata

from pipeline.ingest.normalize import HindiTextNormalizer

HALANT, ZWJ, ZWNJ = "\u094d", "\u200d", "\u200c"


def normalize(text: str, **kwargs) -> str:
    return HindiTextNormalizer(**kwargs).normalize(text)[0]


def test_joiners_after_a_halant_stay_because_they_change_the_conjunct():
    half_form = "क" + HALANT + ZWJ + "ष"
    explicit_halant = "क" + HALANT + ZWNJ + "ष"
    assert normalize(half_form) == half_form
    assert normalize(explicit_halant) == explicit_halant


def test_joiners_elsewhere_are_removed():
    assert normalize("नमस्ते" + ZWNJ + " दोस्तों") == "नमस्ते दोस्तों"
    assert normalize("ab" + ZWJ + "cd") == "abcd"


def test_pipes_after_devanagari_become_danda_but_latin_pipes_stay():
    assert normalize("उत्सव मनाया गया | बच्चे आए || अंत") == "उत्सव मनाया गया । बच्चे आए ॥ अंत"
    assert normalize("कहा।। फिर") == "कहा॥ फिर"
    assert normalize("a | b || c") == "a | b || c"


def test_a_colon_inside_a_word_is_visarga_but_a_label_colon_stays():
    assert normalize("दु:ख") == "दुःख"
    assert normalize("समय: 10 बजे") == "समय: 10 बजे"


def test_english_punctuation_is_not_rewritten():
    text = "“quoted” — dash… it’s fine"
    assert normalize(text) == text


def test_nukta_letters_end_in_nfc_whatever_form_they_came_in():
    precomposed = "\u0958\u0932\u092e"  # क़लम with U+0958
    result = normalize(precomposed)
    assert result == unicodedata.normalize("NFC", precomposed)
    assert unicodedata.is_normalized("NFC", normalize("न\u093c"))


def test_candrabindu_and_nasal_spellings_are_kept_by_default():
    assert normalize("हँस हंस हिन्दी हिंदी") == "हँस हंस हिन्दी हिंदी"


def test_nasal_mode_to_anusvara_merges_panchamakshar():
    assert normalize("हिन्दी गङ्गा", nasals="to_anusvaara_strict") == "हिंदी गंगा"


def test_devanagari_digits_are_kept_unless_asked_for_ascii():
    assert normalize("वर्ष २०२३") == "वर्ष २०२३"
    assert normalize("वर्ष २०२३", devanagari_digits="ascii") == "वर्ष 2023"


def test_whitespace_and_control_characters():
    messy = "  हिंदी \t  दिवस\u00a0है।\r\n\r\n\r\n\r\nअगला\x07 अनुच्छेद \u200b "
    assert normalize(messy) == "हिंदी दिवस है।\n\nअगला अनुच्छेद"


def test_rules_that_changed_a_text_are_reported_by_name():
    _, changed = HindiTextNormalizer().normalize("दु:ख |\r\n")
    assert changed == ["line_endings", "danda", "visarga", "whitespace"]


def test_normalisation_is_idempotent():
    text = "क" + HALANT + ZWJ + "ष दु:ख | २०२३  “x”\r\n"
    once = normalize(text)
    assert normalize(once) == once
