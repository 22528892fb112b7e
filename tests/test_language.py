"""Tests of the language detector for new members' first messages."""
import dataclasses
import itertools
import math
from pathlib import Path
from random import Random

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
    guess = detect("je veux vendre du poisson", phone="+254722000001",
                   cluster_languages=("en", "sw"))
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
    nothing = {lang: set() for lang in SHIPPED}
    assert language.read_product_words(tmp_path / "missing.toml") == nothing
    broken = tmp_path / "broken.toml"
    broken.write_text("[products.x\n", encoding="utf-8")
    assert language.read_product_words(broken) == nothing


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
    right = {lang: sum(detect_code(line) == lang for line in held_out(kind, lang)) / 100
             for lang in SHIPPED}
    assert min(right.values()) >= per_language, right
    assert sum(right.values()) / len(right) >= overall, right


# How detect() is made fast (bench/lang_speed.py measures it) without changing its answers.

def test_letter_table_gives_the_interpolated_probabilities():
    model = language.CharModel(["samaki", "sokoni", "kuuza", "wavuvi", "ziwa", "leo"])
    for word in ("samaki", "soko", "fish", "ñandú", "zzzz", "a"):
        grams = language.letter_grams(word)
        assert model.log_prob(word) == sum(model._interpolated(gram) for gram in grams)
    assert set(language.letter_grams("fish")) <= model.logs.keys()  # kept for the next time


def test_letter_table_keeps_at_most_its_bound():
    logs = language.LetterLogs({"<<<a": -1.0}, lambda gram: -2.0, bound=3)
    assert [logs[gram] for gram in ("<<<a", "<<<b", "<<<c", "<<<d")] == [-1.0, -2.0, -2.0, -2.0]
    assert len(logs) == 3


def test_settled_means_no_vote_of_langdetect_changes_the_answer():
    random = Random(19)
    floor, weight = language.LANGDETECT_FLOOR, language.LANGDETECT_WEIGHT
    extremes = list(itertools.product((0.0, 1.0), repeat=len(SHIPPED)))
    settled = 0
    for _ in range(3000):
        spread = random.choice((1.0, 3.0, 10.0))
        scores = {lang: random.uniform(-spread, spread) for lang in SHIPPED}
        likely = {lang for lang in SHIPPED if random.random() < 0.2}
        if not language._settled(scores, likely):
            continue
        settled += 1
        before = {lang: s + (math.log(language.PRIOR_FACTOR) if lang in likely else 0.0)
                  for lang, s in scores.items()}
        best = max(before, key=before.get)
        for votes in extremes:  # the vote moves each score at most between these
            after = {lang: before[lang] + weight * math.log(vote + floor)
                     for lang, vote in zip(SHIPPED, votes)}
            probs = language._softmax(after)
            assert max(probs, key=probs.get) == best
            assert probs[best] >= language.MIN_CONFIDENCE
    assert 100 < settled < 2900  # both cases were tried


def test_langdetect_is_left_out_only_where_it_cannot_change_the_answer(monkeypatch):
    texts = [line for kind in ("word-pairs", "sentences") for lang in SHIPPED
             for line in held_out(kind, lang, 50)]
    texts += ["hello mambo bonjour", "asante sana merci", "menu menu menu", "obrigado habari"]
    guesses = [detect_code(text) for text in texts]

    monkeypatch.setattr(language, "_settled", lambda scores, likely: False)  # always ask it

    assert [detect_code(text) for text in texts] == guesses


# The model is kept in a cache folder between processes.

@pytest.fixture(scope="module")
def tables():
    return language._build()


@pytest.fixture
def built(tables, monkeypatch):
    """Building costs a second: the tests build once and count the builds."""
    builds = []
    monkeypatch.setattr(language, "_build", lambda: builds.append(1) or tables)
    return builds


def test_model_is_built_once_then_read_from_the_cache_folder(tmp_path, built, tables):
    first = language.load_model(tmp_path)
    [path] = tmp_path.glob("language-*.marshal")

    again = language.load_model(tmp_path)

    assert len(built) == 1
    assert path.name == f"language-{language.digest()}.marshal"
    assert (again.keywords, again.zipf, again.accented) == (first.keywords, first.zipf,
                                                             first.accented)
    assert {lang: chars.tables() for lang, chars in again.chars.items()} == tables["chars"]


def test_unreadable_cache_file_is_built_again(tmp_path, built, caplog):
    path = tmp_path / f"language-{language.digest()}.marshal"
    path.write_bytes(b"\x00not a model")

    model = language.load_model(tmp_path)

    assert len(built) == 1 and "unreadable" in caplog.text
    assert model.zipf["sw"]["samaki"] > 0
    language.load_model(tmp_path)
    assert len(built) == 1  # written whole this time


def test_cache_files_of_earlier_sources_are_removed(tmp_path, built):
    (tmp_path / "language-0123456789abcdef0123.marshal").write_bytes(b"old")
    (tmp_path / "other.txt").write_text("not ours")

    language.load_model(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"language-{language.digest()}.marshal", "other.txt"]


def test_model_without_a_writable_cache_folder_is_built(tmp_path, built):
    blocked = tmp_path / "a file"
    blocked.write_text("")

    assert language.load_model(blocked / "clusterbot").zipf["en"]["the"] > 7
    assert language.load_model(None).keywords["jiunge"] == {"sw"}
    assert len(built) == 2


def test_digest_changes_with_the_word_lists(tmp_path):
    (tmp_path / "lexicon").mkdir()
    (tmp_path / "lexicon" / "sw.txt").write_text("samaki\t4.0\n", encoding="utf-8")
    first = language.digest(tmp_path)
    (tmp_path / "lexicon" / "sw.txt").write_text("samaki\t4.1\n", encoding="utf-8")
    assert language.digest(tmp_path) != first


def test_cache_folder_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert language.cache_dir() == tmp_path / "clusterbot"
