"""Guess which shipped language (en, sw, fr, pt) a member writes in, from a few short messages."""
from __future__ import annotations

import functools
import hashlib
import logging
import marshal
import math
import os
import re
import string
import sys
import tempfile
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
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
UNSEEN_GRAMS = 50_000  # per language: the letters' probabilities kept for unseen n-grams
KEYWORD_ZIPF = 5.0  # aliases are what members type first
BOT_WORD_ZIPF = 4.0  # product names and the bot's own messages
# langdetect samples character n-grams at random; on one or two words that is noisier than the
# lexicon, so its vote counts from LANGDETECT_MIN_WORDS words on. It is pure Python, slower than
# the word model, and asked only when its vote could change the answer (_settled).
LANGDETECT_MIN_WORDS = 3
LANGDETECT_WEIGHT = 0.3
LANGDETECT_FLOOR = 1e-3
# the most its vote can move one language against another (probabilities 0 and 1)
LANGDETECT_SWING = LANGDETECT_WEIGHT * math.log((1 + LANGDETECT_FLOOR) / LANGDETECT_FLOOR)
# how much likelier a language is when the cluster or the phone's country uses it
PRIOR_FACTOR = 3.0
MIN_CONFIDENCE = 0.4


@dataclass(frozen=True)
class Guess:
    language: str | None  # None = unsure ("und")
    confidence: float  # 0..1 (without langdetect's vote when the words settled the answer)
    candidates: tuple[tuple[str, float], ...]  # best first


UNSURE = Guess(None, 0.0, ())


def _lower(text: str) -> str:
    return unicodedata.normalize("NFC", text.casefold())


def _pad(word: str, order: int) -> str:
    return "<" * (order - 1) + word + ">"


def letter_grams(word: str, order: int = CHAR_ORDER) -> list[str]:
    """The n-gram ending at each letter of the padded word: each letter with its context."""
    padded = _pad(word, order)
    return [padded[i : i + order] for i in range(len(padded) - order + 1)]


class LetterLogs(dict):
    """n-gram -> log P(its last letter | the letters before it). One seen in training is there
    from the start; another is interpolated when first asked for and kept, up to `bound`
    n-grams in all (names and other languages' spellings recur)."""

    def __init__(self, logs: dict[str, float], interpolated: Callable[[str], float], bound: int):
        super().__init__(logs)
        self.interpolated, self.bound = interpolated, bound

    def __missing__(self, gram: str) -> float:
        log = self.interpolated(gram)
        if len(self) < self.bound:
            self[gram] = log
        return log


class CharModel:
    """Witten-Bell interpolated character n-gram model of a language's word spellings."""

    def __init__(self, words: Iterable[str], order: int = CHAR_ORDER):
        text = "".join(_pad(word, order) for word in words)
        # all overlapping n-grams of the longest order, counted in C; those ending in padding
        # span two words. Every letter has a full context, so each shorter n-gram ends exactly
        # the longest ones that end with it: its count is theirs summed.
        longest = Counter(re.findall(f"(?=(.{{{order}}}))", text, re.DOTALL))
        grams = Counter({gram: count for gram, count in longest.items() if gram[-1] != "<"})
        level = grams
        for _ in range(order - 1):
            shorter = Counter()
            for gram, count in level.items():
                shorter[gram[1:]] += count
            grams.update(shorter)
            level = shorter
        contexts = {}
        for gram, count in grams.items():
            seen, kinds = contexts.get(gram[:-1], (0, 0))
            contexts[gram[:-1]] = (seen + count, kinds + 1)
        alphabet = sum(1 for gram in grams if len(gram) == 1) + 1
        # Every letter of a word has a full context (the padding), so a letter whose whole
        # n-gram was seen in training is one look-up of its log probability, worked out here
        # level by level with the same arithmetic as _interpolated.
        probs = {}
        for gram in sorted(grams, key=len):
            seen, kinds = contexts[gram[:-1]]
            lower = probs[gram[1:]] if len(gram) > 1 else 1.0 / alphabet
            probs[gram] = (grams[gram] + kinds * lower) / (seen + kinds)
        logs = {gram: math.log(p) for gram, p in probs.items() if len(gram) == order}
        self._keep(order, dict(grams), contexts, alphabet, logs)

    def _keep(self, order: int, grams: dict[str, int], contexts: dict[str, tuple[int, int]],
              alphabet: int, logs: dict[str, float]) -> None:
        self.order, self.grams, self.contexts, self.alphabet = order, grams, contexts, alphabet
        self.trained = logs
        self.logs = LetterLogs(logs, self._interpolated, len(logs) + UNSEEN_GRAMS)

    def tables(self) -> tuple:
        """What the model is made of, as plain values (marshal writes them)."""
        return self.order, self.grams, self.contexts, self.alphabet, self.trained

    @classmethod
    def from_tables(cls, tables: tuple) -> CharModel:
        model = cls.__new__(cls)
        model._keep(*tables)
        return model

    def _interpolated(self, gram: str) -> float:
        """log P(last letter of gram | the letters before it), from the shortest context up to
        the longest one seen."""
        p = 1.0 / self.alphabet
        letter, before = gram[-1], gram[:-1]
        for k in range(self.order):
            context = before[len(before) - k :]
            if context not in self.contexts:
                break
            seen, kinds = self.contexts[context]
            p = (self.grams.get(context + letter, 0) + kinds * p) / (seen + kinds)
        return math.log(p)

    def log_prob(self, word: str) -> float:
        return self.log_prob_of(letter_grams(word, self.order))

    def log_prob_of(self, grams: list[str]) -> float:
        """log P(word) from its letter_grams."""
        return sum(map(self.logs.__getitem__, grams))


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


def _build() -> dict:
    """The model's tables, from the word lists, keywords, product names and catalogs."""
    keywords = read_keywords()
    products, catalogs = read_product_words(), read_catalog_words()
    zipf, accented, chars = {}, {}, {}
    for lang in SHIPPED:
        rows = read_lexicon(lang)
        bot_words = products[lang] | catalogs[lang]
        zipf[lang], accented[lang] = _vocabulary(rows, bot_words, keywords[lang])
        chars[lang] = CharModel(_training_sample([word for word, _ in rows])).tables()
    aliases: dict[str, set[str]] = {}
    for lang in SHIPPED:
        for alias in keywords[lang]:
            aliases.setdefault(alias, set()).add(lang)
    keywords = {alias: frozenset(langs) for alias, langs in aliases.items()}
    return {"keywords": keywords, "zipf": zipf, "accented": accented, "chars": chars}


def _model(tables: dict) -> Model:
    return Model(
        factory=_restricted_factory(),
        keywords=tables["keywords"],
        zipf=tables["zipf"],
        accented=tables["accented"],
        chars={lang: CharModel.from_tables(chars) for lang, chars in tables["chars"].items()},
    )


def cache_dir() -> Path:
    """Where the built model is kept between processes: $XDG_CACHE_HOME/clusterbot."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clusterbot"


def digest(locales: Path = LOCALES) -> str:
    """A digest of everything the model is built from: the files it reads, the code that
    builds it (this module, its settings included, and fold) and the Python that writes the
    cache."""
    code = Path(__file__).resolve().parent
    sources = [*sorted((locales / "lexicon").glob("*.txt")), locales / "keywords.toml",
               locales / "products.toml", *sorted(locales.glob("*/LC_MESSAGES/clusterbot.po")),
               code / "language.py", code / "i18n.py"]
    h = hashlib.sha256(f"{sys.version_info[:2]} marshal {marshal.version}".encode())
    for path in sources:
        h.update(f"\0{path.name}\0".encode())
        h.update(path.read_bytes() if path.exists() else b"missing")
    return h.hexdigest()[:20]


def load_model(cache: Path | None) -> Model:
    """The model read from the cache folder when it holds one built from the same sources,
    else built (about a second of start-up) and written there for the next process."""
    if cache is None:
        return _model(_build())
    path = cache / f"language-{digest()}.marshal"
    try:
        return _model(marshal.loads(path.read_bytes()))
    except FileNotFoundError:
        pass
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError) as error:
        log.warning("language model: rebuilding, %s unreadable (%s)", path, error)
    tables = _build()
    _write_cache(path, tables)
    return _model(tables)


def _write_cache(path: Path, tables: dict) -> None:
    """Writes the tables whole or not at all (several processes may start at once), and
    removes the files of earlier sources."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".language-", delete=False) as f:
            temporary = Path(f.name)
            f.write(marshal.dumps(tables))
        os.replace(temporary, path)
        temporary = None
        for old in path.parent.glob("language-*.marshal"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:  # a read-only home: every process builds its own
        log.info("language model not kept in %s: %s", path.parent, error)
    finally:
        if temporary:
            temporary.unlink(missing_ok=True)


@functools.cache
def model() -> Model:
    """Everything detect() needs, read or built on first use."""
    return load_model(cache_dir())


@functools.lru_cache(maxsize=8192)
def _word_probs(word: str, languages: tuple[str, ...]) -> dict[str, float]:
    m = model()
    lower, key = _lower(word), fold(word)
    grams = letter_grams(lower)
    probs = {}
    for lang in languages:
        zipf = m.zipf[lang].get(key)
        frequency = 0.0
        if zipf is not None:
            if lower != key and lower not in m.accented[lang]:
                zipf -= ACCENT_PENALTY
            frequency = 10 ** (zipf - 9)
        spelling = math.exp(m.chars[lang].log_prob_of(grams))
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


def _settled(scores: dict[str, float], likely: set[str]) -> bool:
    """Whether the word model (with the priors) is so sure that no vote of langdetect could
    change the language detect() answers: then langdetect, most of the time of a sentence, is
    not asked. Its vote moves a language's score by at most LANGDETECT_SWING; if the best
    language keeps more than half the probability even when every other one gains that much,
    it stays the best and above MIN_CONFIDENCE."""
    prior = math.log(PRIOR_FACTOR)
    scores = {lang: s + (prior if lang in likely else 0.0) for lang, s in scores.items()}
    best = max(scores, key=scores.__getitem__)
    others = sum(math.exp(s - scores[best] + LANGDETECT_SWING)
                 for lang, s in scores.items() if lang != best)
    return 1 / (1 + others) > max(0.5, MIN_CONFIDENCE)


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
    likely = prior_languages(cluster_languages, phone) & set(languages)
    if len(words) >= LANGDETECT_MIN_WORDS and not _settled(scores, likely):
        votes = langdetect_probs(text, m.factory)
        for lang in languages:
            scores[lang] += LANGDETECT_WEIGHT * math.log(votes.get(lang, 0.0) + LANGDETECT_FLOOR)
    for lang in likely:
        scores[lang] += math.log(PRIOR_FACTOR)
    probs = sorted(_softmax(scores).items(), key=lambda item: -item[1])
    best, confidence = probs[0]
    return Guess(best if confidence >= MIN_CONFIDENCE else None, confidence, tuple(probs))


def detect_code(text: str, **kw) -> str:
    """The language code of text, or "und" when unsure."""
    return detect(text, **kw).language or "und"
