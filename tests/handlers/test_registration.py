"""Registration scenes: Juma in Swahili, Tomás in English, Amina in French; by text, numbers, buttons."""
import pytest
from scenes import AMINA, JUMA, TOMAS, half_written, lamu_crafts, member, profile

from bot.channels.console import Console
from bot.engine import Engine
from handlers.budget import SMS, fits_budget, numbered, to_gsm7
from handlers.directory import consent
from handlers.profile import DIRECTORY_PARTS
from locales.i18n import keyword_word, translate
from storage import clusters
from storage.db import session_factory, unit_of_work
from storage.members import find


def test_fisher_registers_in_swahili_by_numbers(chat, factory, kisumu):
    juma = chat(JUMA)
    assert juma.send("JIUNGE") == [translate("sw", "What is your name?")]
    assert juma.send("Juma Otieno")[0].startswith(translate("sw", "What do you do?"))
    assert juma.send("1")[0] == translate("sw", "Where do you work? Send the name of your town or market.")
    juma.send("Kisumu")
    summary = juma.send("sato, dagaa")[0]
    assert "Juma Otieno" in summary and "Kisumu" in summary and "Kiswahili" in summary
    assert half_written(factory) == 0  # nothing is saved before the member confirms
    welcome = juma.send("1")[0]
    assert "Juma Otieno" in welcome and "Kisumu Fish" in welcome
    assert profile(factory, JUMA) == {
        "name": "Juma Otieno", "registered": True, "language": "sw", "place": "Kisumu",
        "roles": ["fisher"], "products": ["omena", "tilapia"],
    }


def test_craftsperson_registers_in_english_by_words(chat, factory, kisumu):
    tomas = chat(TOMAS)
    tomas.send("JOIN")
    tomas.send("Tomás")
    tomas.send("craftsperson")
    tomas.send("Nairobi")
    tomas.send("baskets and beads, clay whistles")
    assert "Tomas" in tomas.send("yes")[0]  # plain letters keep the SMS to one segment
    saved = profile(factory, TOMAS)
    assert saved["registered"] and saved["language"] == "en" and saved["roles"] == ["craftsperson"]
    assert saved["products"] == ["baskets", "beads", "clay whistles"]  # unknown ones kept as typed
    assert saved["place"] == "Nairobi"


def test_processor_registers_in_french_by_words(chat, factory, kisumu):
    amina = chat(AMINA)
    assert amina.send("INSCRIRE") == [translate("fr", "What is your name?")]
    amina.send("Amina")
    amina.send(translate("fr", "Fish processor").lower())
    amina.send("Kisumu")
    amina.send("tilapia, omena")
    amina.send("oui")
    saved = profile(factory, AMINA)
    assert saved["registered"] and saved["language"] == "fr" and saved["roles"] == ["fish_processor"]


def test_member_registers_with_telegram_buttons(chat, factory, kisumu):
    tomas = chat("5550001", style="telegram")
    tomas.send("/start")
    question = tomas.send("Tomás")[0]
    assert "1)" not in question and "[" in question  # buttons, not numbered text
    tomas.press(3)  # craftsperson
    tomas.send("Mombasa")
    tomas.press(1)  # None: no products
    tomas.press(1)  # English: "/start" tells nothing of the language, so it is asked
    tomas.press(1)  # Yes
    saved = member(factory, telegram_id=5550001)
    assert saved.registered and saved.name == "Tomás"


def test_stale_button_is_answered_with_the_current_question(chat, kisumu):
    tomas = chat("5550002", style="telegram")
    tomas.send("/start")
    tomas.send("Tomás")
    old_buttons = tomas.buttons
    tomas.press(3)
    tomas.buttons = old_buttons  # press a button of the role question again
    reply = tomas.press(2)[0]
    assert translate("en", "That button belongs to an earlier question.") in reply
    assert translate("en", "Where do you work? Send the name of your town or market.") in reply


def test_registration_resumes_after_restart(database_url, settings, kisumu):
    def fresh_chat():
        factory = session_factory(database_url)
        return Console(Engine(factory, settings), factory, JUMA)

    juma = fresh_chat()
    juma.send("JIUNGE")
    juma.send("Juma")
    juma = fresh_chat()  # as a new process: nothing is kept in memory
    assert juma.send("1")[0] == translate("sw", "Where do you work? Send the name of your town or market.")


def test_close_place_is_offered_not_guessed(chat, factory, kisumu):
    juma = chat(JUMA)
    for text in ("JOIN", "Juma", "1"):
        juma.send(text)
    offer = juma.send("Kisumo")[0]
    assert "1) Kisumu" in offer and 'Kisumo' in offer
    juma.send("1")
    juma.send("tilapia")
    juma.send("1")
    assert profile(factory, JUMA)["place"] == "Kisumu"


def test_unknown_place_is_kept_as_typed(chat, factory, kisumu):
    juma = chat(JUMA)
    for text in ("JOIN", "Juma", "1", "Dunga Beach", "tilapia", "1"):
        juma.send(text)
    assert profile(factory, JUMA)["place"] == "Dunga Beach"


def test_cluster_is_asked_only_when_there_are_several(chat, factory, kisumu):
    with unit_of_work(factory) as session:
        lamu_crafts(session)
    tomas = chat(TOMAS)
    for text in ("JOIN", "Tomás", "3"):
        question = tomas.send(text)
    assert "Lamu Crafts" in question[0] and "Kisumu Fish" in question[0]
    tomas.send("2")
    tomas.send("Lamu")
    tomas.send("carvings")
    tomas.send("1")
    saved = member(factory, phone=TOMAS)
    with unit_of_work(factory) as session:
        assert clusters.clusters_of(session.merge(saved))[0].slug == "lamu-crafts"


def test_change_in_summary_asks_that_part_again(chat, factory, kisumu):
    juma = chat(JUMA)
    for text in ("JOIN", "Juma", "1", "Kisumu", "tilapia"):
        juma.send(text)
    juma.send("2")  # change
    assert juma.send("1") == [translate("en", "What is your name?")]  # part 1: name
    summary = juma.send("Juma Otieno")[0]
    assert "Juma Otieno" in summary
    juma.send("1")
    assert profile(factory, JUMA)["name"] == "Juma Otieno"


def test_cancel_saves_nothing(chat, factory, kisumu):
    juma = chat(JUMA)
    for text in ("JOIN", "Juma", "1", "Kisumu", "tilapia"):
        juma.send(text)
    assert juma.send("3") == [translate("en", "Registration cancelled. Nothing was saved.")]
    assert half_written(factory) == 0 and not profile(factory, JUMA)["registered"]


def test_registered_member_sending_join_is_told_how_to_change(chat, kisumu):
    juma = chat(JUMA)
    for text in ("JOIN", "Juma", "1", "Kisumu", "tilapia", "1"):
        juma.send(text)
    assert "ME" in juma.send("JOIN")[0]


def test_fresh_install_registers_into_a_default_cluster(chat, factory):
    tomas = chat(TOMAS)
    for text in ("JOIN", "Tomás", "3", "Nairobi", "baskets", "1"):
        tomas.send(text)
    saved = profile(factory, TOMAS)
    assert saved["registered"] and saved["roles"] == ["craftsperson"]


BAD_ANSWERS = {
    "empty": "",
    "ten kilobytes": "x" * 10_000,
    "emoji only": "🐟🐟🐟",
    "control characters": "\x00\x07\x1b[31m",
    "sql": "'); DROP TABLE members; --",
    "keyword of another language": "VENDRE",
    "number out of range": "99",
}
ANSWERS_BEFORE = {  # the answers that lead to each step
    "name": (),
    "role": ("Juma",),
    "place": ("Juma", "1"),
    "products": ("Juma", "1", "Kisumu"),
    "confirm": ("Juma", "1", "Kisumu", "tilapia"),
}


@pytest.mark.parametrize("bad", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
@pytest.mark.parametrize("answers", ANSWERS_BEFORE.values(), ids=ANSWERS_BEFORE.keys())
def test_bad_answer_gets_a_hint_and_writes_nothing(chat, factory, kisumu, answers, bad):
    juma = chat(JUMA)
    juma.send("JIUNGE")
    for answer in answers:
        juma.send(answer)
    replies = juma.send(bad)
    assert len(replies) == 1 and replies[0].strip()  # one short answer, never silence
    assert "Traceback" not in replies[0] and "Error" not in replies[0]
    assert half_written(factory) == 0
    saved = member(factory, phone=JUMA)
    assert not saved.registered and saved.name is None
    assert saved.language == "sw"  # the hint is in the member's language


def test_bad_role_number_names_the_range(chat, kisumu):
    juma = chat(JUMA)
    for text in ("JIUNGE", "Juma"):
        juma.send(text)
    assert juma.send("9")[0].startswith(translate("sw", "Please answer with a number from 1 to {count}.", count=8))


# --- Long answers: shown cut to fit 2 SMS, saved as typed ------------------------------------

LANGUAGES = ("en", "sw", "fr", "pt")
LONG_NAME = "Juma Otieno Ochieng Omondi Onyango Odhiambo Okoth Owino Ouma"
LONG_PLACE = ("Dunga Beach landing site, behind the county fisheries office, next to the old ferry "
              "pier, Kisumu Bay")
LONG_PRODUCTS = [(f"smoked lake fish from the islands of Mfangano or Rusinga grade {grade} " * 2)
                 [:100].strip() for grade in range(1, 11)]


@pytest.fixture
def homa_bay(factory):
    """The only cluster network, with a long name."""
    with unit_of_work(factory) as session:
        return clusters.add(session, slug="homa-bay", currency="KES", country="KE",
                            name="Homa Bay County Fish Processors, Traders and Boat Owners "
                                 "Cooperative Society", languages=["sw", "en"],
                            timezone="Africa/Nairobi")


def register_at_length(juma, lang: str) -> str:
    """Juma registers in `lang` with the longest answers he can give; returns the summary."""
    juma.send(keyword_word("join", lang))
    juma.send(LONG_NAME)
    juma.send("1")  # fisher
    juma.send(LONG_PLACE)
    return juma.send(", ".join(LONG_PRODUCTS))[0]


def asks_whole(reply: str, lang: str, question: str, labels: list[str]) -> bool:
    """The reply holds all of `question` around the summary, and every choice after it."""
    before, after = to_gsm7(translate(lang, question, summary="{summary}")).split("{summary}")
    choices = to_gsm7(numbered("", [translate(lang, label) for label in labels]))
    plain = to_gsm7(reply)
    return plain.startswith(before) and plain.endswith(after + choices)


def saved_answers(factory) -> tuple:
    with unit_of_work(factory) as session:
        juma = find(session, phone=JUMA)
        return juma.name, juma.place_name, sorted(p.raw_name for p in juma.products)


TYPED = (LONG_NAME, LONG_PLACE, sorted(LONG_PRODUCTS))
CONFIRM_LABELS = ["Yes", "Change", "Do not save"]
PROFILE_LABELS = ["Name", "Role", "Place", "Products", "Language", DIRECTORY_PARTS[False], "Done"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_summary_fits_two_sms_when_answers_are_long(chat, factory, homa_bay, lang):
    juma = chat(JUMA)
    summary = register_at_length(juma, lang)
    assert fits_budget(SMS, summary, [])
    assert asks_whole(summary, lang, "Is this right? {summary}", CONFIRM_LABELS)
    assert LONG_NAME[:20] in summary and "Homa Bay County" in summary and " +" in summary
    asked_again = juma.send("99")[0]  # the reason first, then the whole summary again
    assert fits_budget(SMS, asked_again, [])
    assert asks_whole(asked_again.split("\n", 1)[1], lang, "Is this right? {summary}",
                      CONFIRM_LABELS)
    welcome = juma.send("1")[0]  # with the question whether to be listed in the directory
    assert fits_budget(SMS, welcome, []) and LONG_NAME[:20] in welcome
    assert to_gsm7(welcome).endswith(to_gsm7(numbered(
        translate(lang, consent.QUESTION), [translate(lang, consent.YES),
                                             translate(lang, consent.NO)])))
    assert saved_answers(factory) == TYPED
    assert fits_budget(SMS, juma.send(keyword_word("join", lang))[0], [])  # already registered


@pytest.mark.parametrize("lang", LANGUAGES)
def test_profile_fits_two_sms_when_answers_are_long(chat, factory, homa_bay, lang):
    juma = chat(JUMA)
    register_at_length(juma, lang)
    juma.send("1")
    juma.send("2")  # not listed in the directory
    shown = juma.send(keyword_word("me", lang))[0]
    assert fits_budget(SMS, shown, [])
    assert asks_whole(shown, lang, "Your profile: {summary} Reply with a number to change a part.",
                      PROFILE_LABELS)
    assert LONG_NAME[:20] in shown and LONG_PLACE[:20] in shown
    juma.send("2")  # role
    juma.send("2")  # fish processor: saved from the full answers, not from what was shown
    assert saved_answers(factory) == TYPED
    assert profile(factory, JUMA)["roles"] == ["fish_processor"]
