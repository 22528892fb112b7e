"""The gettext catalogs (en/sw/fr/pt) against the code, and the SMS budget of every reply.

Fast: no database. The messages are extracted from the code at test time, with the same
mapping (babel.cfg) and keywords (`_`, `N_`) as `pybabel extract`, so a string added to the
code fails here until every catalog has it (see locales/README.md).
"""
import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from handlers import broadcasts, meetings, menu, profile, registration, skills
from handlers.budget import MAX_REPLY_SEGMENTS, SMS, count_segments, is_gsm7, render
from handlers.directory import consent, search
from handlers.directory import showing as directory_showing
from handlers.market import listings, showing
from handlers.tenders import entry, pledges
from locales import i18n
from locales.i18n import LANGUAGE_NAMES, SHIPPED, Plural, keyword_aliases, keyword_word, translate
from locales.merge import method_map
from storage.catalog import load_products

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "sw", "fr", "pt")
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "N_": None, "Plural": (1, 2)}  # as `pybabel extract
# -k _ -k N_ -k Plural:1,2` (and locales/merge.py)
FIX = ("add them to the catalogs: `pybabel update -D clusterbot -i locales/clusterbot.pot "
       "-d locales` after extracting (see locales/README.md), then translate")


# --- Extraction and catalogs ----------------------------------------------------------------

@cache
def extracted() -> tuple[dict[str, str], dict[str, str]]:
    """({msgid: "file:line" of its first use}, {a plural message's singular: its plural})."""
    found: dict[str, str] = {}
    plurals: dict[str, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT, method_map(), keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        assert context is None, f"{filename}:{lineno}: message contexts are not supported"
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
        if msgid and isinstance(message, (tuple, list)):
            plurals[msgid] = message[1]
    return found, plurals


def code_messages() -> dict[str, str]:
    """msgid -> "file:line" of its first use, for every message marked in the code (a plural
    message by its singular)."""
    return extracted()[0]


def code_plurals() -> dict[str, str]:
    """singular -> plural, for every plural message (`Plural(...)`) in the code."""
    return extracted()[1]


def forms(entry) -> tuple[str, ...]:
    """A catalog entry's translation: one text, or every form of a plural message."""
    return entry.string if isinstance(entry.string, tuple) else (entry.string,)


def msgid_of(entry) -> str:
    """The msgid an entry is found by: a plural message's singular."""
    return entry.id[0] if isinstance(entry.id, tuple) else entry.id


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
        if entry is None or not all(forms(entry)):
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
    # What the bot reads (locales.i18n.catalog) has them all too.
    assert set(code_messages()) <= set(i18n.catalog(lang))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_has_no_stale_messages(lang):
    code = code_messages()
    stale = sorted(msgid_of(m) for m in po(lang) if m.id and msgid_of(m) not in code)
    assert not stale, (
        f"{lang}: {len(stale)} message(s) no longer in the code; run `pybabel update` (it marks "
        "them obsolete, `#~`) or delete them:\n" + listing(map(repr, stale)))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang):
    wrong = []
    for entry in po(lang):
        if not entry.id or not entry.string:
            continue
        # Every form of a plural message shows the count: French and Portuguese say 0 and 1
        # in the singular, so no form can stand for "one" alone.
        want = placeholders(entry.id[-1] if isinstance(entry.id, tuple) else entry.id)
        for text in forms(entry):
            try:
                got = placeholders(text)
            except ValueError as error:  # a lone { or }
                wrong.append(f"{entry.id!r} -> {text!r}: {error}")
                continue
            if got != want:
                wrong.append(f"{entry.id!r} -> {text!r}: has {got}, needs {want}")
            elif len(set(got)) != len(got):
                wrong.append(f"{entry.id!r} -> {text!r}: a placeholder is used twice")
    assert not wrong, f"{lang}: placeholders differ from the English:\n" + listing(wrong)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_carrier_words_and_plain_punctuation(lang):
    """STOP/START are carrier words, sent as they are; curly quotes or … cost half an SMS."""
    wrong = []
    for entry in po(lang):
        if not entry.id or not entry.string:
            continue
        for text in forms(entry):
            for word in ("STOP", "START"):
                if word in msgid_of(entry) and word not in text:
                    wrong.append(f"{entry.id!r} -> {text!r}: keep {word} in capitals")
            for char in "‘’“”…«»":
                if char in text and char not in msgid_of(entry):
                    wrong.append(f"{entry.id!r} -> {text!r}: use plain punctuation, not {char}")
    assert not wrong, f"{lang}:\n" + listing(wrong)


def test_english_catalog_is_the_source_text():
    different = [f"{m.id!r} -> {m.string!r}" for m in po("en") if m.id and m.string != m.id]
    assert not different, "en: msgstr must equal msgid:\n" + listing(different)


# --- Every reply fits in two SMS ------------------------------------------------------------
#
# Each reply is rendered for SMS as the member gets it (handlers.budget.render: numbered choices
# appended, accents replaced by plain letters when that keeps it in budget) with placeholders
# filled with realistic worst cases:
# - name, cluster and place: 30 characters each, longer than nearly all real names of people,
#   cluster networks and markets/beaches (the fields take up to 60-100, but a member who types
#   a 100-character place gets it back in "Keep ..." and is not the case to design for).
#   Registration's own replies show them cut to 24 (registration.shown), so 30 is worse still.
# - summary: the real summary (handlers/registration.summary_text) of the longest answers a
#   member can give: a 60-letter name, a 100-character place, ten 100-character products, a
#   200-character cluster name (the column's limit), the longest role and language name of
#   that language. The code cuts them to fixed lengths; this checks those lengths fit.
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
MEETING_TITLE = "Cold chain and ice supply for the fish processors of Dunga 2"
MEETING_STARTS = "Jumamosi 10 Jan 04:46 (saa 10 na dakika 46 asubuhi)"  # the longest shown
LONG_NAME = "Christabel Wanjiku Achieng Otieno Nyambura Atieno Akinyi Oti"
LONG_PLACE = ("Mbita Point Fish Landing Beach, behind the county fisheries office by the old "
              "ferry jetty, Kendu Bay")
LONG_CLUSTER = ("Homa Bay County Fish Processors, Traders and Boat Owners Cooperative Society "
                * 3)[:200]
LONG_PRODUCTS = [(f"smoked lake fish from the islands of Mfangano or Rusinga grade {g} " * 2)[:100]
                 for g in "ABCDEFGHIJ"]

SUMMARY = registration.SUMMARY
PROFILE = "Your profile: {summary} Reply with a number to change a part."
CONFIRM = "Is this right? {summary}"
WELCOME = "Welcome, {name}! You are registered in {cluster}. Send {help} for what you can do."

# Messages shown only as a choice label or inside another message, never sent alone.
FRAGMENTS = {
    *registration.ROLES.values(), *registration.PART_LABELS.values(), *menu.ITEMS.values(),
    "Yes", "Change", "Do not save", "Send", "Yes, delete", "No, keep", "None", "Done", 'Keep "{place}"',
    "none", SUMMARY, "piece", "wholesale", "No, leave it", "Do not send",
    *(m.singular if isinstance(m, Plural) else m for m in showing.FRAGMENTS),
    consent.YES, consent.NO, consent.USE_MY_NAME, consent.SKIP, *profile.DIRECTORY_PARTS.values(),
    search.MORE, directory_showing.NOT_VERIFIED,
}

# Reasons the engine or a handler gives before asking a question again (same message).
ANY_REASK = ["That button belongs to an earlier question.", "Your message was empty."]
NUMBER = "Please answer with a number from 1 to {count}."
COMMAND = "That looks like a command. Send {menu} to leave this question, or answer it:"
FREE_REASK = ANY_REASK + [COMMAND]  # questions that take typed answers
PRICE_PROBLEMS = [
    'I do not know the product "{product}". Send e.g. {price} tilapia.', '"{text}" is not a price.',
    "Please give the price per {unit}, e.g. {example}.", "The price must be more than 0.",
    "That price is too high. Please check it and send it again.",
    "Please send the name of a market, e.g. Kisumu.",
    'I do not know the market "{place}". Send a town or market name, e.g. Kisumu.']
CHOICE_REASK = ANY_REASK + [NUMBER]  # questions answered only by one of the choices


def roles(lang):
    return [translate(lang, label) for label in registration.ROLES.values()]


def parts(lang):  # with the cluster part: members of a deployment with several clusters
    return [translate(lang, registration.PART_LABELS[p]) for p in registration.PARTS]


def profile_parts(lang):  # the parts ME offers: registration's, the directory, done
    directory = max((translate(lang, label) for label in profile.DIRECTORY_PARTS.values()), key=len)
    return parts(lang) + [directory, translate(lang, "Done")]


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
    CONFIRM: (labels("Yes", "Change", "Do not save"), CHOICE_REASK),
    "What do you want to change?": (profile_parts, CHOICE_REASK),
    # Asked again as "What do you want to change?" (with the same choices), not with the summary.
    PROFILE: (profile_parts, []),
    # Listing consent: asked with the welcome at registration; the name or capacity kept shown
    # cut (consent.SHOWN_KEPT).
    consent.QUESTION: (labels(consent.YES, consent.NO), CHOICE_REASK + [WELCOME]),
    consent.ASK_BUSINESS: (
        lambda lang: [translate(lang, consent.USE_MY_NAME),
                      translate(lang, consent.KEEP, place="x" * consent.SHOWN_KEPT)],
        FREE_REASK + [consent.BAD_BUSINESS]),
    consent.ASK_CAPACITY: (
        lambda lang: [translate(lang, consent.SKIP),
                      translate(lang, consent.KEEP, place="x" * consent.SHOWN_KEPT)],
        FREE_REASK + [consent.BAD_CAPACITY]),
    # Tenders (BID): at most three open tenders (code and 20 characters of the title) or three
    # items (cut to 30) as choices; the amount is asked again with why.
    pledges.ASK_CODE: (lambda lang: ["K7Q2 " + "t" * 20] * 3, FREE_REASK),
    pledges.ASK_ITEM: (lambda lang: ["i" * pledges.SHORT_ITEM] * pledges.MOST_ITEMS,
                       FREE_REASK),
    pledges.ASK_AMOUNT: (labels(), FREE_REASK + [pledges.QUANTITY_HINT, pledges.UNIT_HINT,
                                                 pledges.PRICE_HINT, pledges.OVER_MAX]),
    "Menu: reply with a number.": (
        lambda lang: [translate(lang, menu.ITEMS[k]) for k in menu.MEMBER_ITEMS],
        CHOICE_REASK),
    "Delete all your data? You will get no more messages from us.": (
        labels("Yes, delete", "No, keep"), CHOICE_REASK),
    # Prices: the reasons a half-read PRICE command is asked again.
    **{question: (labels(), FREE_REASK + PRICE_PROBLEMS) for question in (
        "Which product? Send its name, and a market if you like, e.g. tilapia Kisumu.",
        "Send the product, the price per unit and the market, e.g. tilapia 120/kg Kisumu.",
        "What is the price of {product}? Send e.g. 120/{unit}.",
        "Which market is this price from?")},
    "Which product do you mean?": (lambda lang: sorted(
        (p.names[lang][0] for p in products_by_slug().values()), key=len)[-3:], CHOICE_REASK),
    "Which cluster is this price for?": (lambda lang: CLUSTERS, CHOICE_REASK),
    "Which price report?": (lambda lang: ["123456: " + "x" * 14 + " 10000000"] * 4, CHOICE_REASK),
    # Skills: the longest offer of any role (or of none); the six longest skill names.
    "Which skill do you need? Send a number, or write it.": (
        lambda lang: max((skills.offer_labels(roles, lang)
                          for roles in [[r] for r in registration.ROLES] + [[]]),
                         key=lambda shown: len(" 1) ".join(shown))),
        FREE_REASK + ["Please write the skill you need, e.g. bookkeeping.",
                      skills.AT_MOST_NEEDS.singular,
                      "Please describe each need in a few words."]),
    "Which cluster is the training for?": (lambda lang: CLUSTERS, CHOICE_REASK),
    "Which skill is the training for? Send a number, or write it.": (
        lambda lang: sorted((skills.skill_name(s, lang) for s in skills.catalog()), key=len)[-6:],
        FREE_REASK + ["Please name one skill for the training.",
                      "Please describe each need in a few words."]),
    # A training's date, time and place are asked as a meeting's are (handlers/meetings.py).
    "When is the training? Send the date and time, e.g. 10/12 10:00.": (
        labels(), FREE_REASK + ["I could not read that date.", "That time has passed."]),
    "Where is the training?": (labels(), FREE_REASK + [
        "Please send the name of a place.", meetings.TOO_LONG.singular]),
    # Market: a listing's missing or bad part; the member's four longest products; their place.
    **{question: (lambda lang: market_products(lang), FREE_REASK + [listings.HINTS["product"]])
       for question in (
        "What do you want to sell? Send the product, e.g. tilapia.",
        "What do you want to buy? Send the product, e.g. maize.")},
    "How much {product}? Send the quantity and unit, e.g. 50kg.": (
        labels(), FREE_REASK + [listings.HINTS["quantity"], listings.HINTS["unit"]]),
    **{question: (labels("Negotiable"), FREE_REASK + [listings.HINTS["price"]]) for question in (
        "Price per {measure}? Send a number, e.g. 120.",
        "Highest price per {measure}? Send a number, e.g. 120.")},
    "Where? Send the town or market.": (
        lambda lang: [PLACE[:26], translate(lang, "Anywhere")],
        FREE_REASK + ["Please send the name of a place."]),
    # Meetings: the longest moment shown (Swahili adds the Swahili hour); up to 4 readings.
    "Which cluster is the meeting for?": (lambda lang: CLUSTERS, CHOICE_REASK),
    "What day is the meeting? For example: Fri, 4 Dec, tomorrow.": (
        labels(), FREE_REASK + ["I could not read that date.", "That time has passed."]),
    "At what time does it start? For example: 10am, 14:30.": (
        labels(), FREE_REASK + ["I could not read that time.", "That time has passed."]),
    "Which day and time do you mean?": (lambda lang: [MEETING_STARTS.split(" (")[0]] * 4,
                                        FREE_REASK + ["That time has passed."]),
    "Where is the meeting?": (labels(), FREE_REASK + [
        "Please send the name of a place.", meetings.TOO_LONG.singular]),
    "What is the meeting about? Send a short title.": (labels(), FREE_REASK + [
        "Please send a short title in words.", meetings.TOO_LONG.singular]),
    meetings.CONFIRM.singular: (
        labels("Yes", "Do not send"), CHOICE_REASK),
    "Which meeting?": (lambda lang: [f"K7Q2 {MEETING_TITLE[:20]}"] * 5, FREE_REASK),
    meetings.CONFIRM_MOVE.singular: (
        labels("Yes", "No, leave it"), CHOICE_REASK),
    meetings.CONFIRM_CANCEL.singular: (
        labels("Yes", "No, leave it"), CHOICE_REASK),
    "What should the broadcast say?": (labels(), FREE_REASK + [
        "Please send the text of the broadcast."]),
    broadcasts.REACH.singular: (labels("Send", "Do not send"), CHOICE_REASK),
    # FIND: as many results as fit two SMS are shown (at least one), each line cut to these
    # lengths (handlers/directory/showing.py), More when others are left.
    search.FOUND: (lambda lang: [directory_line(lang), translate(lang, search.MORE)],
                   CHOICE_REASK),
    "What are you looking for? For example: ice, loans, omena.": (labels(), FREE_REASK),
}


def directory_line(lang: str) -> str:
    """The longest line of a FIND result: an unverified institution far away."""
    s = directory_showing
    return (f"{'x' * s.NAME}: {'y' * s.WHAT}, {'z' * s.PLACE} 9999km "
            f"({translate(lang, s.NOT_VERIFIED)})")


# (question, preface) that cannot fit in two SMS even in English, because the question is asked
# again with the whole summary in it: to fix in the code (handlers/engine), then remove the entry
# here (the English test fails when one of these starts to fit). Translations of these may take
# as many SMS as the English, no more.
SOURCE_OVERFLOWS: set[tuple[str, str | None]] = set()


@cache
def products_by_slug():
    return {p.slug: p for p in load_products()}


def summary(lang: str) -> str:
    """The longest registration summary in `lang` (see the comment above)."""
    role = max(registration.ROLES, key=lambda slug: len(translate(lang, registration.ROLES[slug])))
    language = max(LANGUAGE_NAMES, key=lambda code: len(LANGUAGE_NAMES[code]))
    return registration.summary_text(lang, LONG_NAME, role, LONG_CLUSTER, LONG_PLACE,
                                     LONG_PRODUCTS, language)


def market_products(lang: str) -> list[str]:
    """The four longest product names of the catalog in `lang` (a member's products as choices)."""
    return sorted((p.names[lang][0] for p in products_by_slug().values()), key=len)[-4:]


def worst_values(lang: str, msgid: str, count: int = 12) -> dict[str, str]:
    values = {"name": NAME, "cluster": CLUSTER, "place": PLACE, "summary": summary(lang),
              "count": str(count), "language": "Kiswahili", "code": "K7Q2M9",
              # broadcasts: counts of a 100,000-member network (written as the language does)
              "id": "12345", "sent": "100000", "delivered": "100000", "failed": "100000",
              "telegram": "100,000", "sms": "100,000", "segments": "2", "total": "200,000",
              "time": "2026-12-04 10:00", "product": "x" * 30}
    if msgid in (broadcasts.REACH.singular, broadcasts.SENDING.singular):
        values["count"] = "100,000"
    # skills: a training topic is cut to 30 characters; the code cuts lists of needs and names
    # to fit, these are long real ones.
    values.update({"skill": "Boat engine repair and welding", "when": "Jumatano 30 Sep 23:30",
                   "needs": "Fish handling & hygiene 12, Access to finance 9, Business management 7, "
                            "Digital & mobile money 5, \"boat engine welding\" 3",
                   "names": "Christabel Wanjiku, Margaret Akinyi, Juma Otieno, Amina Hassan +5",
                   "accept": f"{keyword_word('yes', lang)} K7Q2M9",
                   "decline": f"{keyword_word('no', lang)} K7Q2M9", "declined": "12", "waiting": "12"})
    # prices: at most 10 million per unit; the code cuts digests and market lists to fit.
    values.update({"amount": "10,000,000", "usual": "10,000,000", "currency": "KES",
                   "unit": "kipande", "change": "+1000%", "date": "15 sept. 2024", "text": "x" * 20,
                   "example": f"{keyword_word('price', lang)} {'x' * 30} 120/kipande {PLACE}",
                   "publish": f"{keyword_word('price', lang)} {keyword_word('yes', lang)} 123456",
                   "reject": f"{keyword_word('price', lang)} {keyword_word('no', lang)} 123456",
                   "prices": "Nile perch (kg): 450 Mbita Point Fish Landing Beach (27 Nov), "
                             "members 460\nTilapia (kg): 320 Kisumu (27 Nov), members 330\n+2"})
    # meetings: titles of at most 60 characters; the code fits lists of people to the budget.
    values.update({"title": MEETING_TITLE, "starts": MEETING_STARTS, "yes_count": "100000",
                   "no_count": "100000", "open_count": "100000", "command": "MKUTANO ORODHA K7Q2",
                   "people": "Christabel Wanjiku, Margaret Akinyi, Juma Otieno, Amina Hassan"})
    # market: what handlers/market/ shows is cut to these lengths (names 24, places 24 in a
    # listing, 16 in a match line); replies with lists of matches or listings are fitted to two
    # SMS by the code, which keeps at least one line: the worst is one long line. Quantities:
    # the longest form of `{count} pc` (French: `1 000 000 de pièces`); a request's price is a
    # maximum (`max. KES ...`) in a listing and in a match line alike.
    pieces = "1,000,000 de pieces"
    listing = f"{'x' * 24} {pieces}, max. KES 10,000,000/kipande, {'y' * 24} (999km)"
    line = f"K7Q2M9 {pieces} max. KES 10,000,000/kipande {'z' * 16} 999km"
    deal = f"{keyword_word('deal', lang)} K7Q2M9"
    values.update({"number": "999", "until": "31/12", "measure": "kipande", "typed": "x" * 12,
                   "listing": listing, "matches": line, "together": pieces,
                   "cost": ", KES 40,000,000,000,000", "refuse": f"{keyword_word('no', lang)} K7Q2M9",
                   "contact": f"+254722000001, Telegram @{'t' * 32}", "user": "t" * 32,
                   "listings": f"#999 {keyword_word('sell', lang)} {listing}, 31/12\n+5",
                   "recorded": f"{pieces}, KES 10,000,000/kipande",
                   "dealcode": deal, "sample": f"{deal} 50kg 120",
                   "nodeal": f"{keyword_word('no', lang)} {deal}",
                   "usage": f"{keyword_word('renew', lang)} 3",
                   "renewal": f"{keyword_word('renew', lang)} 999",
                   "word": keyword_word("renew", lang),
                   "figures": f"{'x' * 16} 999x {pieces} KES 40,000,000,000,000\n+70"})
    # tenders (BID): quantities as the code writes them at worst (a pledge with its price);
    # the code cuts titles (subject) and names to 30, product names to 24, a member's shares to
    # 60 and the coordinator's list of items (sheet) to 90.
    values.update({"pledged": f"{pieces} {'x' * 24}, KES 10,000,000/piece", "share": "s" * 60,
                   "need": pieces, "open": pieces, "short": "s" * 60, "rank": "99", "lead": NAME,
                   "deadline": "31/12", "sheet": "i" * 90, "subject": "t" * 30,
                   "price": "KES 10,000,000/piece", "show": "clusterbot tender show K7Q2M9",
                   "first": "K7Q2-12"})
    # directory (FIND): what was looked for and an institution's services are cut to these
    # lengths; its links are a phone and a website of at most 80 characters.
    values.update({"looked_for": "x" * 30, "offered": "y" * 60,
                   "links": f"+254722000001, https://{'w' * 72}"})
    # tenders' alerts and reminders: codes of 4 characters (`K7Q2-12` an item of many), buyers cut
    # to 30 characters, products to 20, delivery places to 20, dates without the Swahili hour;
    # lists of items, pledges and what is missing are fitted to two SMS by the code, which keeps
    # at least one: one long line. BID's longest word in any language stands for it.
    bid, item = "SOUMISSION", f"K7Q2-12 {'x' * 20} 1,000,000 de pieces"
    values.update({"tender": "K7Q2", "buyer": "b" * 30, "delivery": "d" * 20,
                   "closes": MEETING_STARTS.split(" (")[0],
                   "items": f"{item} (max. KES 10,000,000/kipande), +9",
                   "pledge": f"{bid} K7Q2-12 1,000,000 de pieces 9,000,000/kipande",
                   "again": f"{bid} K7Q2-12 1,000,000 de pieces",
                   "pledged": f"{item} a KES 10,000,000/kipande, +9",
                   "withdraw": f"{bid} K7Q2-12 0", "missing": f"{item}, +9",
                   "groups": ", ".join(translate(lang, group) for group in (
                       "youth", "women", "persons with disabilities"))})
    # tenders' changes and outcome: a member's pledges and shares are cut to 40 characters and
    # lead names to 24; at most the three longest changes are named, with how many others.
    changes = sorted((translate(lang, part) for part in entry.CHANGES.values()), key=len)
    values.update({"changes": ", ".join(changes[-entry.MOST_CHANGES:] + ["+6"]),
                   "won": "1,000,000 de pieces"})
    # surveys: the consent line cuts the form's purpose to what fits (up to 120 characters);
    # at least this much of it is shown.
    values["purpose"] = "p" * 100
    values.setdefault("share", "s" * 40)
    values.setdefault("lead", "n" * 24)
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
    assert (len(LONG_NAME), len(LONG_PLACE), len(LONG_CLUSTER)) == (60, 100, 200)
    assert len(LONG_PRODUCTS) == 10 and {len(p) for p in LONG_PRODUCTS} == {100}
    assert registration.NAME.match(LONG_NAME)


def test_registration_shows_what_was_typed_no_longer_than_the_worst_case():
    """Welcome and "already registered" show the name and cluster cut: the 30-character worst
    values above cover them. The summary still shows the start of each answer."""
    assert all(len(registration.shown(text)) <= len(NAME)
               for text in (LONG_NAME, LONG_CLUSTER, LONG_PLACE))
    text = summary("en")
    assert text.startswith(LONG_NAME[:20]) and LONG_PLACE[:20] in text and LONG_CLUSTER[:20] in text
    assert LONG_PRODUCTS[0][:16] in text and " +" in text


def filled(lang: str, msgid: str, values: dict[str, str]) -> list[str]:
    """The message in `lang` with `values` put in: every form of a plural message."""
    if msgid not in code_plurals():
        return [translate(lang, msgid, **values)]
    found = i18n.catalog(lang).get(msgid)
    texts = found if isinstance(found, tuple) else (msgid, code_plurals()[msgid])
    return [text.format(**values) for text in texts]


def as_message(msgid: str) -> str | Plural:
    """The message as the code translates it: a plural one as a Plural."""
    return Plural(msgid, code_plurals()[msgid]) if msgid in code_plurals() else msgid


def rendered(lang: str, msgid: str, preface: str | None, choices) -> str:
    """The reply as SMS sends it with the worst values: its longest form (of a plural message),
    after the longest form of the preface."""
    labels_shown = choices(lang)
    texts = filled(lang, msgid, worst_values(lang, msgid))
    if preface:
        count = len(labels_shown) if labels_shown else 12
        texts = [f"{before}\n{text}" for text in texts
                 for before in filled(lang, preface, worst_values(lang, preface, count))]
    bodies = []
    for text in texts:
        body, buttons = render(SMS, text, labels_shown)
        assert not buttons
        bodies.append(body)
    return max(bodies, key=lambda body: (count_segments(body), len(body)))


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
    long = [f"{lang}: {msgid!r} -> {translate(lang, as_message(msgid), count=12)!r}"
            for lang in LANGUAGES for msgid in FRAGMENTS - {SUMMARY}
            if len(translate(lang, as_message(msgid), place="", count=12)) > 26]
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
    ("{}[]~^|€\\" * 17, 3),  # 306 units, but 76 pairs a part: an escape pair is never split
    ("{}[]~^|€\\" * 17 + "a", 3),
    ("€" * 152, 2),
    ("ã" + "a" * 69, 1),  # one character outside GSM-7: UCS-2, 70 per SMS, 67 when split
    ("ã" + "a" * 70, 2),
    ("ã" + "a" * 133, 2),
    ("ã" + "a" * 134, 3),
    ("😀" + "a" * 68, 1),  # an emoji is two UTF-16 units
    ("😀" + "a" * 69, 2),
    ("😀" * 35, 1),
    ("😀" + "a" * 69, 2),
    ("😀" * 66, 2),  # 33 a part: a surrogate pair is never split
    ("😀" * 67, 3),  # 134 units, yet three parts
    ("a" * 133 + "’", 2),  # a curly apostrophe is not GSM-7
])
def test_count_segments(text, segments):
    assert count_segments(text) == segments


@pytest.mark.parametrize(("before", "segments"), [(151, 2), (152, 3), (153, 2)])
def test_count_segments_never_splits_an_escape_pair(before, segments):
    """306 septets: a € at septets 152-153 or 154-155 fits; at 153-154 it opens a third part."""
    text = "a" * before + "€" + "a" * (306 - before - 2)
    assert count_segments(text) == segments


@pytest.mark.parametrize(("before", "segments"), [(65, 2), (66, 3), (67, 2)])
def test_count_segments_never_splits_a_surrogate_pair(before, segments):
    """134 UTF-16 units: an emoji at units 66-67 or 68-69 fits; at 67-68 it opens a third part."""
    text = "a" * before + "🐟" + "a" * (134 - before - 2)
    assert count_segments(text) == segments


def test_gsm7_characters():
    assert is_gsm7("Karibu! Tuma JIUNGE. Réseau, marché, où, à, Ç, @£$")
    for char in "ãõçêâôîûëïáíóú’…😀À":
        assert not is_gsm7(char), char


def test_no_answer_label_is_a_carrier_stop_word():
    """A member who types a choice's label by SMS must not opt out of everything by doing so."""
    from bot.engine import STOP_WORDS
    from locales.i18n import fold

    stops = [f"{lang}: {msgid!r}" for lang in LANGUAGES for msgid in FRAGMENTS - {SUMMARY}
             if fold(translate(lang, as_message(msgid), place="", count=1)) in STOP_WORDS]
    assert not stops, "choice labels that carriers read as STOP:\n" + listing(stops)
