"""The gettext catalogs (en/sw/fr/pt) against the code, and the SMS budget of every reply.

Fast: no database. The messages are extracted from the code at test time, with the same
mapping (babel.cfg) and keywords (`_`, `N_`) as `pybabel extract`, so a string added to the
code fails here until every catalog has it (see locales/README.md).
"""
import configparser
import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n
from bot.channels import SMS, render
from bot.i18n import LANGUAGE_NAMES, SHIPPED, keyword_aliases, keyword_word, translate
from bot.segments import MAX_REPLY_SEGMENTS, count_segments, is_gsm7
from handlers import menu, registration
from storage.catalog import load_products

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "sw", "fr", "pt")
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "N_": None}  # as `pybabel extract -k _ -k N_`
FIX = ("add them to the catalogs: `pybabel update -D clusterbot -i locales/clusterbot.pot "
       "-d locales` after extracting (see locales/README.md), then translate")


# --- Extraction and catalogs ----------------------------------------------------------------

def method_map() -> list[tuple[str, str]]:
    """[(pattern, method)] from babel.cfg, e.g. ("bot/**.py", "python")."""
    cfg = configparser.RawConfigParser()
    cfg.read(ROOT / "babel.cfg", encoding="utf-8")
    pairs = []
    for section in cfg.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        pairs.append((pattern, method))
    return pairs


@cache
def code_messages() -> dict[str, str]:
    """msgid -> "file:line" of its first use, for every message marked in the code."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT, method_map(), keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        assert context is None, f"{filename}:{lineno}: message contexts are not supported"
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


@cache
def po(lang: str):
    path = ROOT / "locales" / lang / "LC_MESSAGES" / "clusterbot.po"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: pybabel init -D clusterbot " \
                          f"-i locales/clusterbot.pot -d locales -l {lang}"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def placeholders(text: str) -> list[str]:
    """The `{fields}` of a format string, sorted, repeats kept ("{a} {a}" -> [a, a])."""
    return sorted(field for _, field, _, _ in string.Formatter().parse(text) if field is not None)


def listing(items) -> str:
    return "\n".join(f"  {item}" for item in items)


def test_extraction_finds_the_messages():
    assert set(LANGUAGES) == set(SHIPPED)
    messages = code_messages()
    assert len(messages) > 40
    assert "Fisher" in messages  # N_() in handlers/registration.py
    assert "What is your name?" in messages  # turn._()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_translates_every_message_in_the_code(lang):
    catalog = po(lang)
    missing, fuzzy = [], []
    for msgid, where in sorted(code_messages().items()):
        entry = catalog.get(msgid)
        if entry is None or not entry.string:
            missing.append(f"{msgid!r}  ({where})")
        elif entry.fuzzy:
            fuzzy.append(f"{msgid!r}  ({where})  -> {entry.string!r}")
    problems = []
    if missing:
        problems.append(f"{lang}: {len(missing)} message(s) with no translation; {FIX}:\n"
                        + listing(missing))
    if fuzzy:
        problems.append(f"{lang}: {len(fuzzy)} fuzzy translation(s) (the bot ignores them); check "
                        "each and remove the `#, fuzzy` flag:\n" + listing(fuzzy))
    assert not problems, "\n".join(problems)
    # What the bot reads (bot.i18n.catalog) has them all too.
    assert set(code_messages()) <= set(i18n.catalog(lang))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_has_no_stale_messages(lang):
    code = code_messages()
    stale = sorted(m.id for m in po(lang) if m.id and m.id not in code)
    assert not stale, (
        f"{lang}: {len(stale)} message(s) no longer in the code; run `pybabel update` (it marks "
        "them obsolete, `#~`) or delete them:\n" + listing(map(repr, stale)))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang):
    wrong = []
    for entry in po(lang):
        if not entry.id or not entry.string:
            continue
        try:
            got = placeholders(entry.string)
        except ValueError as error:  # a lone { or }
            wrong.append(f"{entry.id!r} -> {entry.string!r}: {error}")
            continue
        want = placeholders(entry.id)
        if got != want:
            wrong.append(f"{entry.id!r} -> {entry.string!r}: has {got}, needs {want}")
        elif len(set(got)) != len(got):
            wrong.append(f"{entry.id!r} -> {entry.string!r}: a placeholder is used twice")
    assert not wrong, f"{lang}: placeholders differ from the English:\n" + listing(wrong)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_carrier_words_and_plain_punctuation(lang):
    """STOP/START are carrier words, sent as they are; curly quotes or … cost half an SMS."""
    wrong = []
    for entry in po(lang):
        if not entry.id or not entry.string:
            continue
        for word in ("STOP", "START"):
            if word in entry.id and word not in entry.string:
                wrong.append(f"{entry.id!r} -> {entry.string!r}: keep {word} in capitals")
        for char in "‘’“”…«»":
            if char in entry.string and char not in entry.id:
                wrong.append(f"{entry.id!r} -> {entry.string!r}: use plain punctuation, not {char}")
    assert not wrong, f"{lang}:\n" + listing(wrong)


def test_english_catalog_is_the_source_text():
    different = [f"{m.id!r} -> {m.string!r}" for m in po("en") if m.id and m.string != m.id]
    assert not different, "en: msgstr must equal msgid:\n" + listing(different)


# --- Every reply fits in two SMS ------------------------------------------------------------
#
# Each reply is rendered for SMS as the member gets it (bot.channels.render: numbered choices
# appended, accents replaced by plain letters when that keeps it in budget) with placeholders
# filled with realistic worst cases:
# - name, cluster and place: 30 characters each, longer than nearly all real names of people,
#   cluster networks and markets/beaches (the fields take up to 60-100, but a member who types
#   a 100-character place gets it back in "Keep ..." and is not the case to design for).
# - summary: the real summary template of the language (handlers/registration.summary), for a
#   fish processor with a long name (24), a long cluster name (26), four products from the
#   catalog in that language plus " +3" (three more not shown), and the member's language: 151
#   characters in English, 143-178 in the other languages.
# - keywords ({join}, {help}, {menu}, {lang}, {me}, {delete}): the word the code puts in, in
#   that language (keyword_word), e.g. SUPPRIMER, INSCREVER.
# - count: 12 (two digits: a network with many clusters); language: "Kiswahili", the longest name.
# Values are plain ASCII: an accent in a value (Tomás) can only switch to UCS-2 when the reply
# still fits, since render falls back to plain letters otherwise, so ASCII is the worst case.

NAME = "Christabel Wanjiku Achieng-Oti"
CLUSTER = "Homa Bay Fish Processors Group"
PLACE = "Mbita Point Fish Landing Beach"
CLUSTERS = [CLUSTER, "Lake Victoria Women Fish Trade", "Kisumu Jua Kali Artisans Group",
            "Migori Cassava Food Suppliers"]  # the cluster question lists every cluster
PLACES = [PLACE, "Kisumu Kibuye Municipal Market", "Homa Bay Municipal Fish Market"]
SUMMARY_PRODUCTS = ("nile_perch", "omena", "tilapia", "cassava")

SUMMARY = "{name}, {role}, {cluster}, {place}. Products: {products}. Language: {language}."
PROFILE = "Your profile: {summary} Reply with a number to change a part."
CONFIRM = "Is this right? {summary}"

# Messages shown only as a choice label or inside another message, never sent alone.
FRAGMENTS = {
    *registration.ROLES.values(), *registration.PART_LABELS.values(), *menu.ITEMS.values(),
    "Yes", "Change", "Cancel", "Send", "Yes, delete", "No, keep", "None", "Done", 'Keep "{place}"',
    "none", SUMMARY,
}

# Reasons the engine or a handler gives before asking a question again (same message).
ANY_REASK = ["That button belongs to an earlier question.", "Your message was empty."]
NUMBER = "Please answer with a number from 1 to {count}."
COMMAND = "That looks like a command. Send {menu} to leave this question, or answer it:"
FREE_REASK = ANY_REASK + [COMMAND]  # questions that take typed answers
CHOICE_REASK = ANY_REASK + [NUMBER]  # questions answered only by one of the choices


def roles(lang):
    return [translate(lang, label) for label in registration.ROLES.values()]


def parts(lang):  # with the cluster part: members of a deployment with several clusters
    return [translate(lang, registration.PART_LABELS[p]) for p in registration.PARTS]


def labels(*msgids):
    return lambda lang: [translate(lang, msgid) for msgid in msgids]


# question -> (its choices in `lang`, the prefaces it can be asked again with)
QUESTIONS = {
    "What is your name?": (labels(), FREE_REASK + [
        "That looks like a command, not a name.", "Please send your name in letters only."]),
    "What do you do?": (roles, FREE_REASK + [NUMBER]),
    "Which cluster network do you belong to?": (lambda lang: CLUSTERS, CHOICE_REASK),
    "Where do you work? Send the name of your town or market.": (
        labels(), FREE_REASK + ["Please send the name of a place."]),
    "Did you mean one of these?": (
        lambda lang: PLACES + [translate(lang, 'Keep "{place}"', place=PLACE)], CHOICE_REASK),
    "What products do you sell or buy? Send their names, e.g. tilapia, maize.": (
        labels("None"), FREE_REASK + ["Please send product names, like: tilapia, maize."]),
    "Which language do you prefer?": (lambda lang: [LANGUAGE_NAMES[c] for c in SHIPPED],
                                      CHOICE_REASK),
    CONFIRM: (labels("Yes", "Change", "Cancel"), CHOICE_REASK),
    "What do you want to change?": (lambda lang: parts(lang) + [translate(lang, "Done")],
                                    CHOICE_REASK),
    # Asked again as "What do you want to change?" (with the same choices), not with the summary.
    PROFILE: (lambda lang: parts(lang) + [translate(lang, "Done")], []),
    "Menu: reply with a number.": (
        lambda lang: [translate(lang, menu.ITEMS[k]) for k in ("me", "lang", "help", "delete")],
        CHOICE_REASK),
    "Delete all your data? You will get no more messages from us.": (
        labels("Yes, delete", "No, keep"), CHOICE_REASK),
    "What should the broadcast say?": (labels(), FREE_REASK + [
        "Please send the text of the broadcast."]),
    "This goes to {count} members: {telegram} on Telegram, {sms} by SMS ({segments} SMS each, "
    "{total} in all). Send it?": (labels("Send", "Cancel"), CHOICE_REASK),
}

# (question, preface) that cannot fit in two SMS even in English, because the question is asked
# again with the whole summary in it: to fix in the code (handlers/engine), then remove the entry
# here (the English test fails when one of these starts to fit). Translations of these may take
# as many SMS as the English, no more.
SOURCE_OVERFLOWS: set[tuple[str, str | None]] = set()


@cache
def products_by_slug():
    return {p.slug: p for p in load_products()}


def summary(lang: str) -> str:
    """A realistic long registration summary in `lang` (see the comment above)."""
    products = products_by_slug()
    shown = ", ".join(products[slug].names[lang][0] for slug in SUMMARY_PRODUCTS) + " +3"
    return translate(lang, SUMMARY, name="Margaret Akinyi Odhiambo",
                     role=translate(lang, registration.ROLES["fish_processor"]),
                     cluster="Lake Victoria Fish Cluster", place="Dunga Beach",
                     products=shown, language=LANGUAGE_NAMES[lang])


def worst_values(lang: str, msgid: str, count: int = 12) -> dict[str, str]:
    values = {"name": NAME, "cluster": CLUSTER, "place": PLACE, "summary": summary(lang),
              "count": str(count), "language": "Kiswahili", "code": "K7Q2M9",
              # broadcasts: counts of a 100,000-member network
              "id": "12345", "sent": "100000", "delivered": "100000", "failed": "100000",
              "telegram": "100000", "sms": "100000", "segments": "2", "total": "200000",
              "time": "2026-12-04 10:00", "product": "x" * 30}
    values.update({k: keyword_word(k, lang) for k in keyword_aliases()})
    unknown = set(placeholders(msgid)) - set(values)
    assert not unknown, f"give {sorted(unknown)} of {msgid!r} a worst-case value in worst_values()"
    return values


def scenarios():
    """(msgid, preface msgid or None, choice labels function) for every reply sent alone."""
    for msgid in sorted(code_messages()):
        if msgid in FRAGMENTS:
            continue
        choices, prefaces = QUESTIONS.get(msgid, (labels(), []))
        for preface in [None, *prefaces]:
            yield msgid, preface, choices


def test_budget_tables_match_the_code():
    """The question/fragment tables above name messages that are still in the code."""
    named = FRAGMENTS | set(QUESTIONS) | {p for _, ps in QUESTIONS.values() for p in ps}
    gone = sorted(named - set(code_messages()))
    assert not gone, "update the tables in tests/test_locales.py, these are no longer in the " \
                     "code:\n" + listing(map(repr, gone))
    assert len(CLUSTERS[0]) == len(NAME) == len(PLACE) == 30
    assert len(summary("en")) == 151


def rendered(lang: str, msgid: str, preface: str | None, choices) -> str:
    labels_shown = choices(lang)
    text = translate(lang, msgid, **worst_values(lang, msgid))
    if preface:
        count = len(labels_shown) if labels_shown else 12
        text = f"{translate(lang, preface, **worst_values(lang, preface, count))}\n{text}"
    body, buttons = render(SMS, text, labels_shown)
    assert not buttons
    return body


def too_long(lang: str, msgid: str, preface: str | None, body: str, budget: int) -> str:
    encoding = "GSM-7" if is_gsm7(body) else "UCS-2"
    after = f" after {preface!r}" if preface else ""
    return (f"{lang}: {msgid!r}{after}: {count_segments(body)} SMS, budget {budget} "
            f"({len(body)} characters, {encoding}):\n    {body!r}")


def test_english_replies_fit_in_two_sms():
    """The source text itself fits (else no translation can), except the known overflows."""
    over, fit_now = [], []
    for msgid, preface, choices in scenarios():
        body = rendered("en", msgid, preface, choices)
        fits = count_segments(body) <= MAX_REPLY_SEGMENTS
        if not fits and (msgid, preface) not in SOURCE_OVERFLOWS:
            over.append(too_long("en", msgid, preface, body, MAX_REPLY_SEGMENTS))
        if fits and (msgid, preface) in SOURCE_OVERFLOWS:
            fit_now.append(f"{msgid!r} after {preface!r}")
    assert not over, ("English replies longer than two SMS; shorten the source string (and "
                      "its translations):\n" + listing(over))
    assert not fit_now, "these fit now, remove them from SOURCE_OVERFLOWS:\n" + listing(fit_now)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_translated_replies_fit_in_two_sms(lang):
    over = []
    for msgid, preface, choices in scenarios():
        budget = MAX_REPLY_SEGMENTS
        if (msgid, preface) in SOURCE_OVERFLOWS:
            budget = max(budget, count_segments(rendered("en", msgid, preface, choices)))
        try:
            body = rendered(lang, msgid, preface, choices)
        except (KeyError, IndexError, ValueError) as error:  # see the placeholder test
            over.append(f"{lang}: {msgid!r}: cannot be filled in: {error!r}")
            continue
        if count_segments(body) > budget:
            over.append(too_long(lang, msgid, preface, body, budget))
    assert not over, (f"{lang}: replies longer than the SMS budget; shorten the translation "
                      "(a shorter word, no accent outside GSM-7, fewer words):\n" + listing(over))


def test_choice_labels_are_short():
    """Choice labels are repeated in numbered lists; a long one eats the budget of every list."""
    long = [f"{lang}: {msgid!r} -> {translate(lang, msgid)!r}"
            for lang in LANGUAGES for msgid in FRAGMENTS - {SUMMARY}
            if len(translate(lang, msgid, place="")) > 26]
    assert not long, "choice labels over 26 characters:\n" + listing(long)


# --- count_segments -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "segments"), [
    ("", 0),
    ("a", 1),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("é" * 160, 1),  # é, è, à, ù, Ç, Ä, ñ... are GSM-7 basic characters
    ("€" * 80, 1),  # extension characters take two units each
    ("€" * 81, 2),
    ("a" * 158 + "{", 1),
    ("a" * 159 + "{", 2),
    ("{}[]~^|€\\" * 17, 2),  # 153 characters, 306 units
    ("{}[]~^|€\\" * 17 + "a", 3),
    ("ã" + "a" * 69, 1),  # one character outside GSM-7: UCS-2, 70 per SMS, 67 when split
    ("ã" + "a" * 70, 2),
    ("ã" + "a" * 133, 2),
    ("ã" + "a" * 134, 3),
    ("😀" + "a" * 68, 1),  # an emoji is two UTF-16 units
    ("😀" + "a" * 69, 2),
    ("😀" * 35, 1),
    ("😀" * 67, 2),
    ("😀" * 68, 3),
    ("a" * 133 + "’", 2),  # a curly apostrophe is not GSM-7
])
def test_count_segments(text, segments):
    assert count_segments(text) == segments


def test_gsm7_characters():
    assert is_gsm7("Karibu! Tuma JIUNGE. Réseau, marché, où, à, Ç, @£$")
    for char in "ãõçêâôîûëïáíóú’…😀À":
        assert not is_gsm7(char), char
