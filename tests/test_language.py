"""Tests of the language detector for new members' first messages."""
import dataclasses
from pathlib import Path

import pytest

from locales import language
from locales.language import SHIPPED, Guess, detect, detect_code

# The first 200 lines of each lingua test file (tests/data/SOURCES.md).
DATA = Path(__file__).resolve().parent / "data" / "lang-testdata"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("JIUNGE", "sw"),
        ("inscrire", "fr"),
        ("ajuda", "pt"),
        ("help", "en"),
        (" Msaada! ", "sw"),
        ("Préço", "pt"),
        ("lugha", "sw"),
    ],
)
def test_keyword_alias_is_certain(text, lang):
    assert detect(text) == Guess(lang, 1.0, ((lang, 1.0),))


def test_ambiguous_alias_is_not_certain():
    guess = detect("menu")
    assert guess.confidence < 0.9
    assert {lang for lang, _ in guess.candidates[:3]} == {"en", "fr", "pt"}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hello, I would like to sell my fish at the market tomorrow.", "en"),
        ("Habari, ningependa kuuza samaki wangu sokoni kesho asubuhi.", "sw"),
        ("Bonjour, je voudrais vendre mes poissons au marché demain.", "fr"),
        ("Bom dia, eu gostaria de vender o meu peixe no mercado amanhã.", "pt"),
        ("nataka kununua mahindi", "sw"),
        ("quero comprar farinha", "pt"),
        ("je cherche du manioc", "fr"),
        ("where can I buy maize", "en"),
    ],
)
def test_sentences_are_detected(text, lang):
    guess = detect(text)
    assert guess.language == lang
    assert guess.candidates[0][0] == lang
    assert 0.5 < guess.confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "0722 000 001",
        "😀🎉👍",
        "?!.,;:-",
        "\x00\x07\x1b\r\n\t",
        "😀" * 2500,
        "1234567890" * 1024,
        "x" * 10240,
    ],
)
def test_no_evidence_is_unsure(text):
    guess = detect(text)
    assert guess.language is None
    assert detect_code(text) == "und"


def test_long_text_is_detected():
    # How fast it is on such a text is measured by bench/lang_speed.py (docs/LANGUAGE.md).
    text = "Wavuvi wa ziwa wanauza samaki sokoni kila siku. " * 210  # about 10 kB
    assert detect_code(text) == "sw"


def test_none_text_is_unsure():
    assert detect(None).language is None  # type: ignore[arg-type]


def test_guess_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        detect("hello").language = "fr"  # type: ignore[misc]


def test_candidates_are_probabilities_best_first():
    guess = detect("asante sana")
    probs = [p for _, p in guess.candidates]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) == pytest.approx(1.0)
    assert guess.confidence == probs[0]


def test_languages_restrict_the_outcome():
    guess = detect("Nataka kuuza samaki wangu leo", languages=("en", "fr"))
    assert guess.language in ("en", "fr")
    assert {lang for lang, _ in guess.candidates} == {"en", "fr"}


def test_keyword_of_an_excluded_language_is_not_certain():
    assert detect("jiunge", languages=("en", "pt")).language != "sw"


def test_unknown_or_no_languages_are_unsure():
    assert detect("hello there", languages=()).language is None
    assert detect("hello there", languages=("de", "it")).language is None
    assert detect("hello there", languages=("de", "en")).language == "en"


@pytest.mark.parametrize(
    ("phone", "lang"),
    [
        ("+258 84 123 4567", "pt"),
        ("+243 81 234 5678", "fr"),
        ("+225 07 01 23 45 67", "fr"),
        ("+1 202 555 0143", "en"),
    ],
)
def test_phone_prior_tips_a_tie(phone, lang):
    assert detect("menu", phone=phone).language == lang


def test_cluster_prior_tips_a_tie():
    assert detect("menu", cluster_languages=("fr",)).language == "fr"


def test_prior_does_not_override_clear_evidence():
    guess = detect("je veux vendre du poisson", phone="+254722000001", cluster_languages=("en", "sw"))
    assert guess.language == "fr"


@pytest.mark.parametrize("phone", ["", "not a number", "0722000001", "+999 1234", "+"])
def test_bad_phone_is_ignored(phone):
    assert detect("habari za asubuhi", phone=phone).language == "sw"


def test_prior_languages_from_phone_country():
    assert language.prior_languages(phone="+254722000001") == {"sw", "en"}
    assert language.prior_languages(phone="+258841234567") == {"pt"}
    assert language.prior_languages(cluster_languages=("fr", "xx")) == {"fr"}


def test_fold_ignores_case_and_accents():
    assert language.fold("Préço ÉTATS Maïs") == "preco etats mais"


def test_product_words_are_read(tmp_path):
    path = tmp_path / "products.toml"
    path.write_text(
        '[products.cassava_flour]\ncategory = "food"\nunit = "kg"\n'
        'en = ["cassava flour"]\nsw = ["unga wa muhogo"]\n'
        'fr = ["farine de manioc"]\npt = ["farinha de mandioca"]\n'
        'wfp = ["Cassava flour"]\n',
        encoding="utf-8",
    )
    words = language.read_product_words(path)
    assert words["sw"] == {"unga", "wa", "muhogo"}
    assert "mandioca" in words["pt"]


def test_missing_or_broken_products_file_is_skipped(tmp_path):
    assert language.read_product_words(tmp_path / "missing.toml") == {lang: set() for lang in SHIPPED}
    broken = tmp_path / "broken.toml"
    broken.write_text("[products.x\n", encoding="utf-8")
    assert language.read_product_words(broken) == {lang: set() for lang in SHIPPED}


def test_catalog_words_are_read(tmp_path):
    folder = tmp_path / "sw" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "clusterbot.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Welcome, {name}!"\nmsgstr "Karibu, {name}!"\n',
        encoding="utf-8",
    )
    words = language.read_catalog_words(tmp_path)
    assert words["sw"] == {"karibu"}
    assert words["en"] == {"welcome"}
    assert words["fr"] == set()


def held_out(kind, lang, count=100):
    """The first held-out lines: odd line numbers (the even ones are for tuning)."""
    lines = (DATA / kind / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
    return lines[0::2][:count]


# Measured on these slices: single words 90 %, word pairs 98 %, sentences 99.25 %.
@pytest.mark.parametrize(
    ("kind", "overall", "per_language"),
    [("single-words", 0.85, 0.78), ("word-pairs", 0.95, 0.92), ("sentences", 0.98, 0.95)],
)
def test_held_out_accuracy(kind, overall, per_language):
    right = {lang: sum(detect_code(line) == lang for line in held_out(kind, lang)) / 100 for lang in SHIPPED}
    assert min(right.values()) >= per_language, right
    assert sum(right.values()) / len(right) >= overall, right
