"""Listing consent scenes: asked with the welcome at registration, asked once of a member who
registered before (at ME), changed with ME, left by a command; DELETE takes the member out of the
directory with their searches and introductions. In each language."""
import pytest
from scenes import AMINA, JUMA, TOMAS, add_member, member
from sqlalchemy import func, select

from handlers.budget import SMS, fits_budget, numbered, to_gsm7
from handlers.directory import consent
from handlers.profile import DIRECTORY_PARTS
from handlers.turn import Inbound, Turn
from locales.i18n import keyword_word, translate
from storage.db import unit_of_work
from storage.directory import DirectoryIntroduction, DirectorySearch
from storage.models import AuditEntry, Member

LANGUAGES = ("en", "sw", "fr", "pt")
PHONES = {"en": TOMAS, "sw": JUMA, "fr": AMINA, "pt": "+258841234567"}
WELCOME = "Welcome, {name}! You are registered in {cluster}. Send {help} for what you can do."
BAD_ANSWERS = {
    "ten kilobytes": "x" * 10_000,
    "emoji only": "🐟🐟🐟",
    "control characters": "\x00\x07\x1b[31m",
    "punctuation only": "...!!!",
}


def listing(factory, phone) -> tuple:
    """(listed, business name, capacity) as saved."""
    found = member(factory, phone=phone)
    return found.listed, found.business_name, found.capacity


def question(lang: str, preface: str = "") -> str:
    """The consent question as the terminal shows it by SMS."""
    text = translate(lang, consent.QUESTION)
    return numbered(f"{preface}\n{text}" if preface else text,
                    [translate(lang, consent.YES), translate(lang, consent.NO)])


def confirmation(lang: str, listed: bool) -> str:
    return translate(lang, consent.LISTED if listed else consent.NOT_LISTED,
                     me=keyword_word("me", lang))


def register(chat, lang: str):
    """A newcomer registers in `lang` up to the summary; returns the chat."""
    person = chat(PHONES[lang])
    for text in (keyword_word("join", lang), "Neema Achieng", "2", "Kisumu", "omena"):
        person.send(text)
    return person


@pytest.fixture
def members_before(factory, kisumu):
    """A member per language who registered before the directory existed (never asked)."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        for lang, phone in PHONES.items():
            add_member(session, phone, "fish_processor", kisumu, lang, "Neema",
                       place="Kisumu", product="omena")
    return factory


def set_listing(factory, phone, listed, business=None, capacity=None):
    with unit_of_work(factory) as session:
        found = session.scalar(select(Member).where(Member.phone == phone))
        found.listed, found.business_name, found.capacity = listed, business, capacity


# --- At registration --------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_newcomer_is_asked_with_the_welcome_and_listed_on_yes(chat, factory, kisumu, lang):
    person = register(chat, lang)
    [welcome] = person.send("1")  # the summary is right: one message, welcome and question
    said = translate(lang, WELCOME, name="Neema Achieng", cluster="Kisumu Fish",
                     help=keyword_word("help", lang))
    assert welcome == question(lang, said) and fits_budget(SMS, welcome, [])
    assert listing(factory, PHONES[lang]) == (None, None, None)  # not before the answers
    [asked] = person.send("1")
    assert asked.startswith(translate(lang, consent.ASK_BUSINESS))
    assert translate(lang, consent.USE_MY_NAME) in asked
    [asked] = person.send("Mama Omena Traders")
    assert asked.startswith(translate(lang, consent.ASK_CAPACITY))
    assert person.send("200kg a week") == [confirmation(lang, True)]
    assert listing(factory, PHONES[lang]) == (True, "Mama Omena Traders", "200kg a week")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_newcomer_who_says_no_is_not_listed(chat, factory, kisumu, lang):
    person = register(chat, lang)
    person.send("1")
    assert person.send(keyword_word("no", lang)) == [confirmation(lang, False)]
    assert listing(factory, PHONES[lang]) == (False, None, None)
    assert member(factory, phone=PHONES[lang]).registered


def test_newcomer_already_asked_gets_the_welcome_alone(chat, factory, kisumu):
    """A member whose answer came before registration (the members import) is not asked."""
    with unit_of_work(factory) as session:
        session.add(Member(phone=TOMAS, language="en", language_chosen=True, listed=False))
    tomas = register(chat, "en")
    assert tomas.send("1") == [translate("en", WELCOME, name="Neema Achieng",
                                         cluster="Kisumu Fish", help="HELP")]
    assert listing(factory, TOMAS) == (False, None, None)


def test_telegram_newcomer_answers_with_buttons(chat, factory, kisumu):
    neema = chat("5550001", style="telegram")
    for text in ("/start", "Tomás"):
        neema.send(text)
    neema.press(3)  # craftsperson
    neema.send("Mombasa")
    neema.press(1)  # no products
    [reply] = neema.press(1)  # the summary is right
    assert reply.endswith("[Yes, list me]  [No, thanks]") and "1)" not in reply
    neema.press(1)
    [asked] = neema.press(1)  # use my name
    assert asked.endswith("[Skip]")
    assert neema.press(1) == [confirmation("en", True)]
    saved = member(factory, telegram_id=5550001)
    assert (saved.listed, saved.business_name, saved.capacity) == (True, None, None)


# --- Members who registered before: asked once, at ME ----------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_member_is_asked_once_at_me_then_shown_the_profile(chat, members_before, lang):
    neema = chat(PHONES[lang])
    me = keyword_word("me", lang)
    assert neema.send(me) == [question(lang)]
    neema.send(keyword_word("yes", lang))  # the word, as well as the number
    neema.send("1")  # use my name
    done, shown = neema.send(translate(lang, consent.SKIP))  # the label, as well as the number
    assert done == confirmation(lang, True)
    assert "Neema" in shown and fits_budget(SMS, shown, [])
    assert f"6) {translate(lang, DIRECTORY_PARTS[True])} 7) {translate(lang, 'Done')}" in shown
    assert listing(members_before, PHONES[lang]) == (True, None, None)
    neema.send("7")  # done
    [again] = neema.send(me)  # not asked again
    assert again == shown


@pytest.mark.parametrize("lang", LANGUAGES)
def test_me_changes_the_listing_at_any_time(chat, members_before, lang):
    set_listing(members_before, PHONES[lang], True, "Mama Omena", "1 tonne a month")
    neema = chat(PHONES[lang])
    [shown] = neema.send(keyword_word("me", lang))
    assert f"6) {translate(lang, DIRECTORY_PARTS[True])}" in shown
    assert neema.send("6") == [question(lang)]
    assert neema.send("2") == [confirmation(lang, False)]
    assert listing(members_before, PHONES[lang]) == (False, None, None)  # name and capacity go
    [shown] = neema.send(keyword_word("me", lang))
    assert f"6) {translate(lang, DIRECTORY_PARTS[False])}" in shown
    neema.send("6")
    neema.send("1")
    neema.send("Omena Queens")
    assert neema.send("50kg") == [confirmation(lang, True)]
    assert listing(members_before, PHONES[lang]) == (True, "Omena Queens", "50kg")


def test_listed_member_keeps_the_name_and_capacity_given_before(chat, members_before):
    set_listing(members_before, JUMA, True, "Mama Omena Traders of Dunga Beach", "1 tonne")
    juma = chat(JUMA)
    juma.send("MIMI")
    juma.send("6")
    [asked] = juma.send("1")
    assert asked.endswith("2) " + translate("sw", consent.KEEP, place="Mama Omena Trader..."))
    [asked] = juma.send("2")  # keep the business name
    assert asked.endswith("2) " + translate("sw", consent.KEEP, place="1 tonne"))
    juma.send("2")  # keep the capacity
    assert listing(members_before, JUMA) == (True, "Mama Omena Traders of Dunga Beach", "1 tonne")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_command_leaves_the_question_and_the_member_stays_unasked(chat, members_before, lang):
    neema = chat(PHONES[lang])
    neema.send(keyword_word("me", lang))
    [menu] = neema.send(keyword_word("menu", lang))
    assert menu.startswith(to_gsm7(translate(lang, "Menu: reply with a number.")))
    assert listing(members_before, PHONES[lang]) == (None, None, None)
    assert neema.send(keyword_word("me", lang)) == [question(lang)]  # asked again


def test_a_sentence_leaves_the_question(chat, members_before):
    tomas = chat(TOMAS)
    tomas.send("ME")
    [hint] = tomas.send("what is this directory about")
    assert hint != question("en")
    assert listing(members_before, TOMAS) == (None, None, None)


def test_half_answered_consent_lists_no_one(chat, members_before):
    """Yes alone lists nobody: the member is listed once the last answer is in."""
    tomas = chat(TOMAS)
    tomas.send("ME")
    tomas.send("1")
    tomas.send("Basket Weavers")
    assert listing(members_before, TOMAS) == (None, None, None)


@pytest.mark.parametrize("bad", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_business_name_or_capacity_gets_a_hint_in_the_members_language(
        chat, members_before, bad):
    juma = chat(JUMA)
    juma.send("MIMI")
    juma.send("1")
    [hint] = juma.send(bad)
    assert hint.startswith(translate("sw", consent.BAD_BUSINESS))
    assert hint.endswith(translate("sw", consent.ASK_BUSINESS) + "\n1) "
                         + translate("sw", consent.USE_MY_NAME))
    juma.send("Samaki Bora")
    [hint] = juma.send(bad)
    assert hint.startswith(translate("sw", consent.BAD_CAPACITY))
    assert listing(members_before, JUMA) == (None, None, None)
    juma.send("1")  # skip
    assert listing(members_before, JUMA) == (True, "Samaki Bora", None)


def test_consent_is_audited(chat, members_before):
    tomas = chat(TOMAS)
    tomas.send("ME")
    tomas.send("2")
    with unit_of_work(members_before) as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "member.listing"))
        tomas_id = session.scalar(select(Member.id).where(Member.phone == TOMAS))
        assert entry.actor_member_id == tomas_id and entry.details["listed"] is False


def test_unregistered_member_is_not_asked_at_me(chat, factory, kisumu):
    [reply] = chat(TOMAS).send("ME")
    assert reply == translate("en", "You are not registered yet. Send {join} to register.",
                              join="JOIN")
    assert listing(factory, TOMAS) == (None, None, None)


def test_then_goes_on_with_what_the_member_had_asked(chat, members_before, monkeypatch):
    """The module that asked (FIND) gets the member's words back once they have answered."""
    went_on = []
    monkeypatch.setitem(consent.THEN, "probe",
                        lambda turn, text: (went_on.append(text), turn.say("went on")))
    with unit_of_work(members_before) as session:
        tomas = session.scalar(select(Member).where(Member.phone == TOMAS))
        turn = Turn(session=session, member=tomas,
                    inbound=Inbound(channel="console", address=TOMAS, text="FIND ice"))
        consent.ask(turn, then="probe", text="FIND ice")
    tomas = chat(TOMAS)
    assert tomas.send("2") == [confirmation("en", False), "went on"]
    assert went_on == ["FIND ice"]


# --- DELETE -----------------------------------------------------------------------------------

def directory_rows(factory) -> dict[str, tuple[int, int]]:
    """(searches, introductions on either side) of each member of `PHONES`, by language."""
    with unit_of_work(factory) as session:
        ids = {lang: session.scalar(select(Member.id).where(Member.phone == phone))
               for lang, phone in PHONES.items()}
        intro = DirectoryIntroduction
        return {lang: (
            session.scalar(select(func.count()).select_from(DirectorySearch)
                           .where(DirectorySearch.member_id == member_id)),
            session.scalar(select(func.count()).select_from(intro).where(
                (intro.searcher_id == member_id) | (intro.member_id == member_id))))
            for lang, member_id in ids.items()}


def searched_and_introduced(factory, kisumu):
    """Each member looked for something and asked for an introduction to the next one (en to
    sw, sw to fr, fr to pt, pt to en)."""
    with unit_of_work(factory) as session:
        ids = [session.scalar(select(Member.id).where(Member.phone == PHONES[lang]))
               for lang in LANGUAGES]
        for number, member_id in enumerate(ids):
            session.add(DirectorySearch(member_id=member_id, cluster_id=kisumu.id, query="ice",
                                        folded="ice", results=[], found=False))
            session.add(DirectoryIntroduction(
                code=f"K7Q2M{number}", cluster_id=kisumu.id, query="omena", searcher_id=member_id,
                member_id=ids[(number + 1) % len(ids)]))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_delete_removes_the_listing_searches_and_introductions(chat, members_before, kisumu,
                                                               lang):
    for phone in PHONES.values():
        set_listing(members_before, phone, True, "Mama Omena", "1 tonne")
    searched_and_introduced(members_before, kisumu)
    assert set(directory_rows(members_before).values()) == {(1, 2)}
    person = chat(PHONES[lang])
    person.send(keyword_word("delete", lang))
    assert person.send("1") == [translate(lang, "Your data has been deleted. Goodbye.")]
    with unit_of_work(members_before) as session:
        gone = session.scalar(select(Member).where(Member.deleted_at.is_not(None)))
        assert (gone.listed, gone.business_name, gone.capacity) == (None, None, None)
        assert session.scalar(select(func.count()).select_from(DirectorySearch)) == 3
        assert session.scalar(select(func.count()).select_from(DirectoryIntroduction)) == 2
        others = session.scalars(select(Member).where(Member.deleted_at.is_(None)))
        assert {(m.listed, m.business_name) for m in others} == {(True, "Mama Omena")}
