"""Guess which shipped language (en, sw, fr, pt) a member writes in, from a few short messages."""
from __future__ import annotations

import functools
import logging
import math
import re
import string
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import langdetect
import phonenumbers
from babel.messages.pofile import read_po
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from locales.i18n import LOCALES, SHIPPED, fold
from locales.locality import official_languages

log = logging.getLogger(__name__)

PROFILES = Path(langdetect.__file__).resolve().parent / "profiles"

MAX_CHARS = 1000  # enough to decide; keeps a 10 kB message nearly as fast as an SMS
MAX_WORD = 40  # longer letter runs are links or noise, not words
WORD = re.compile(r"[^\W\d_]+")
STRIP = string.punctuation + string.whitespace
PLACEHOLDER = re.compile(r"\{[^}]*\}|%\([^)]*\)[a-z]|%[a-z]")

# Word model: P(w | lang) = LEXICON_WEIGHT * frequency + (1 - LEXICON_WEIGHT) * character model,
# mixed with FOREIGN_WORD of the average over languages, since every language quotes names and
# loanwords from the others. Weights were chosen on the tune half of the benchmark data.
LEXICON_WEIGHT = 0.5
FOREIGN_WORD = 0.05
ACCENT_PENALTY = 1.0  # zipf lost when the word is written with accents that the lexicon lacks
CHAR_ORDER = 4
CHAR_TRAINING_WORDS = 20_000
KEYWORD_ZIPF = 5.0  # aliases are what members type first
BOT_WORD_ZIPF = 4.0  # product names and the bot's own messages
# langdetect samples character n-grams at random; on one or two words that is noisier than the
# lexicon, so its vote counts from LANGDETECT_MIN_WORDS words on.
LANGDETECT_MIN_WORDS = 3
LANGDETECT_WEIGHT = 0.3
LANGDETECT_FLOOR = 1e-3
PRIOR_FACTOR = 3.0  # how much likelier a language is when the cluster or the phone's country uses it
MIN_CONFIDENCE = 0.4


@dataclass(frozen=True)
class Guess:
    language: str | None  # None = unsure ("und")
    confidence: float  # 0..1
    candidates: tuple[tuple[str, float], ...]  # best first


UNSURE = Guess(None, 0.0, ())


def _lower(text: str) -> str:
    return unicodedata.normalize("NFC", text.casefold())


class CharModel:
    """Witten-Bell interpolated character n-gram model of a language's word spellings."""

    def __init__(self, words: Iterable[str], order: int = CHAR_ORDER):
        self.order = order
        text = "".join(self._pad(word) for word in words)
        grams = Counter()
        for n in range(1, order + 1):
            # all overlapping n-grams, counted in C; those ending in padding span two words
            grams.update(re.findall(f"(?=(.{{{n}}}))", text, re.DOTALL))
        for gram in [g for g in grams if g.endswith("<")]:
            del grams[gram]
        contexts = {}
        for gram, count in grams.items():
            seen, kinds = contexts.get(gram[:-1], (0, 0))
            contexts[gram[:-1]] = (seen + count, kinds + 1)
        self.grams = grams
        self.contexts = contexts
        self.alphabet = sum(1 for gram in grams if len(gram) == 1) + 1

    def _pad(self, word: str) -> str:
        return "<" * (self.order - 1) + word + ">"

    def log_prob(self, word: str) -> float:
        padded = self._pad(word)
        total = 0.0
        for i in range(self.order - 1, len(padded)):
            p = 1.0 / self.alphabet
            for k in range(self.order):
                context = padded[i - k : i]
                if context not in self.contexts:
                    break
                seen, kinds = self.contexts[context]
                p = (self.grams.get(context + padded[i], 0) + kinds * p) / (seen + kinds)
            total += math.log(p)
        return total


@dataclass
class Model:
    factory: DetectorFactory
    keywords: dict[str, frozenset[str]]  # folded alias -> languages
    zipf: dict[str, dict[str, float]]  # language -> folded word -> zipf frequency
    accented: dict[str, set[str]]  # language -> lower-case words written with accents
    chars: dict[str, CharModel]


def _restricted_factory() -> DetectorFactory:
    factory = DetectorFactory()
    factory.load_json_profile([(PROFILES / lang).read_text(encoding="utf-8") for lang in SHIPPED])
    factory.seed = 0
    return factory


def read_keywords(path: Path = LOCALES / "keywords.toml") -> dict[str, set[str]]:
    """Language -> keyword aliases, folded."""
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    words = {lang: set() for lang in SHIPPED}
    for table in tables.values():
        for lang in SHIPPED:
            words[lang].update(fold(alias).strip() for alias in table.get(lang, ()))
    return words


def read_product_words(path: Path = LOCALES / "products.toml") -> dict[str, set[str]]:
    """Language -> words of the product names."""
    words = {lang: set() for lang in SHIPPED}
    if not path.exists():
        return words
    try:
        products = tomllib.loads(path.read_text(encoding="utf-8")).get("products", {})
    except tomllib.TOMLDecodeError as error:
        log.warning("skipping %s: %s", path, error)
        return words
    for product in products.values():
        for lang in SHIPPED:
            for name in product.get(lang, ()):
                words[lang].update(WORD.findall(_lower(name)))
    return words


def read_catalog_words(locales: Path = LOCALES) -> dict[str, set[str]]:
    """Language -> words of the bot's messages: msgstr per catalog, msgid for English."""
    words = {lang: set() for lang in SHIPPED}
    for lang in SHIPPED:
        path = locales / lang / "LC_MESSAGES" / "clusterbot.po"
        if not path.exists():
            continue
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id:
                continue
            words["en"].update(_message_words(message.id))
            words[lang].update(_message_words(message.string))
    return words


def _message_words(text: str | tuple | list) -> set[str]:
    parts = [text] if isinstance(text, str) else list(text)
    return {w for part in parts for w in WORD.findall(_lower(PLACEHOLDER.sub(" ", part or "")))}


def read_lexicon(lang: str, locales: Path = LOCALES) -> list[tuple[str, float]]:
    """(word, zipf) pairs of the shipped word-frequency list, most frequent first."""
    rows, values = [], {}
    with (locales / "lexicon" / f"{lang}.txt").open(encoding="utf-8") as f:
        for line in f:
            word, zipf = line.split("\t")
            # a few hundred distinct values: share them rather than hold 200,000 floats
            rows.append((word, values.setdefault(zipf, float(zipf))))
    return rows


def _training_sample(words: list[str]) -> list[str]:
    # evenly spaced, so an alphabetical list teaches every initial letter
    step = max(1.0, len(words) / CHAR_TRAINING_WORDS)
    return [words[int(i * step)] for i in range(min(len(words), CHAR_TRAINING_WORDS))]


def _vocabulary(rows: list[tuple[str, float]], bot_words: Iterable[str], aliases: Iterable[str]):
    """Folded word -> zipf of one language, and the spellings in it that carry accents."""
    table: dict[str, float] = {}
    accented: set[str] = set()

    def add(word: str, zipf: float) -> None:
        key = fold(word)
        if key == word:
            key = word  # keep one string, not an equal copy per word
        else:
            accented.add(word)
        table[key] = max(zipf, table.get(key, 0.0))

    for word, zipf in rows:
        add(word, zipf)
    for word in bot_words:
        add(word, BOT_WORD_ZIPF)
    for alias in aliases:
        add(alias, KEYWORD_ZIPF)
    return table, accented


@functools.cache
def model() -> Model:
    """Everything detect() needs, built on first use."""
    keywords = read_keywords()
    products, catalogs = read_product_words(), read_catalog_words()
    zipf, accented, chars = {}, {}, {}
    for lang in SHIPPED:
        rows = read_lexicon(lang)
        zipf[lang], accented[lang] = _vocabulary(rows, products[lang] | catalogs[lang], keywords[lang])
        chars[lang] = CharModel(_training_sample([word for word, _ in rows]))
    aliases: dict[str, set[str]] = {}
    for lang in SHIPPED:
        for alias in keywords[lang]:
            aliases.setdefault(alias, set()).add(lang)
    return Model(
        factory=_restricted_factory(),
        keywords={alias: frozenset(langs) for alias, langs in aliases.items()},
        zipf=zipf,
        accented=accented,
        chars=chars,
    )


@functools.lru_cache(maxsize=8192)
def _word_probs(word: str, languages: tuple[str, ...]) -> dict[str, float]:
    m = model()
    lower, key = _lower(word), fold(word)
    probs = {}
    for lang in languages:
        zipf = m.zipf[lang].get(key)
        frequency = 0.0
        if zipf is not None:
            if lower != key and lower not in m.accented[lang]:
                zipf -= ACCENT_PENALTY
            frequency = 10 ** (zipf - 9)
        spelling = math.exp(m.chars[lang].log_prob(lower))
        probs[lang] = LEXICON_WEIGHT * frequency + (1 - LEXICON_WEIGHT) * spelling
    return probs


def _word_scores(words: list[str], languages: tuple[str, ...]) -> dict[str, float]:
    scores = dict.fromkeys(languages, 0.0)
    for word in words:
        probs = _word_probs(word, languages)
        foreign = FOREIGN_WORD * sum(probs.values()) / len(probs)
        for lang, p in probs.items():
            scores[lang] += math.log((1 - FOREIGN_WORD) * p + foreign + 1e-300)
    return scores


def langdetect_probs(text: str, factory: DetectorFactory | None = None) -> dict[str, float]:
    """langdetect's probabilities over the shipped languages (empty when it finds no evidence)."""
    detector = (factory or model().factory).create()
    detector.append(text)
    try:
        return {p.lang: p.prob for p in detector.get_probabilities()}
    except LangDetectException:
        return {}


def prior_languages(cluster_languages: Sequence[str] = (), phone: str | None = None) -> set[str]:
    """Languages made likelier by the cluster and the phone number's country."""
    likely = {lang for lang in cluster_languages if lang in SHIPPED}
    if phone:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            region = None
        if region:
            likely.update(official_languages(region))
    return likely


def _softmax(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values())
    exp = {lang: math.exp(s - top) for lang, s in scores.items()}
    total = sum(exp.values())
    return {lang: e / total for lang, e in exp.items()}


def _keyword_guess(m: Model, text: str, languages: Sequence[str]) -> Guess | None:
    langs = [lang for lang in m.keywords.get(fold(text).strip(STRIP), ()) if lang in languages]
    if len(langs) == 1:
        return Guess(langs[0], 1.0, ((langs[0], 1.0),))
    return None


def detect(
    text: str,
    *,
    languages: Sequence[str] = SHIPPED,
    cluster_languages: Sequence[str] = (),
    phone: str | None = None,
) -> Guess:
    """Guess the language of text; Guess.language is None when there is no evidence."""
    languages = tuple(lang for lang in dict.fromkeys(languages) if lang in SHIPPED)
    text = (text or "")[:MAX_CHARS]
    words = [word for word in WORD.findall(text) if len(word) <= MAX_WORD]
    if not languages or not words:
        return UNSURE
    m = model()
    certain = _keyword_guess(m, text, languages)
    if certain:
        return certain
    scores = _word_scores(words, languages)
    if len(words) >= LANGDETECT_MIN_WORDS:
        votes = langdetect_probs(text, m.factory)
        for lang in languages:
            scores[lang] += LANGDETECT_WEIGHT * math.log(votes.get(lang, 0.0) + LANGDETECT_FLOOR)
    for lang in prior_languages(cluster_languages, phone):
        if lang in scores:
            scores[lang] += math.log(PRIOR_FACTOR)
    probs = sorted(_softmax(scores).items(), key=lambda item: -item[1])
    best, confidence = probs[0]
    return Guess(best if confidence >= MIN_CONFIDENCE else None, confidence, tuple(probs))


def detect_code(text: str, **kw) -> str:
    """The language code of text, or "und" when unsure."""
    return detect(text, **kw).language or "und"
