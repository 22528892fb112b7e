"""The fish losses survey answered through the running app: in English by SMS (signed Twilio
webhooks) and in Swahili on Telegram with buttons. Each question type, the skip logic both ways,
a constraint broken then met with the form's message in the member's language, several choices
by numbers and by Swahili words, SKIP on an optional and on a required question, leaving with a
keyword and coming back with SURVEY, a closed survey, the reminder; the answers as stored."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from doubles.telegram import callback_update
from live import TelegramUser, buttons, labels, sms_and_wait, sms_to, wait_for
from scenes import AMINA, JUMA, add_member, as_sms
from surveyforms import fish_losses

from handlers.budget import count_segments
from handlers.surveys import answering, sending
from handlers.surveys.form import read_form
from locales.i18n import keyword_word, translate
from storage import clusters, members, surveys
from storage.db import unit_of_work
from storage.surveys import Respondent, Survey

WANJIRU_TG = 4343
TITLE = "Fish losses after the catch"
PURPOSE = {"en": "The University of Nairobi studies fish losses to plan cold storage.",
           "sw": "Chuo Kikuu cha Nairobi kinachunguza upotevu wa samaki ili kupanga hifadhi "
                 "baridi."}
NOTE = {"en": "Thank you for helping the study of fish losses.",
        "sw": "Asante kwa kusaidia utafiti wa upotevu wa samaki."}
ASKED = 7  # questions the form asks at most (the note and the calculation are not asked)
USES_ICE = "Do you keep your fish on ice?\n1) Yes 2) No"
WHY_NO_ICE = ("Why not? Choose all that apply.\nSeveral? Send their numbers, e.g. 1 3.\n"
              "1) Ice costs too much 2) No ice nearby 3) Not needed")
LOSS_KG = "How many kg of fish did you lose last week?"
PRICE_KG = "What price per kg did you get last week?\nIn shillings."
LAST_TRIP = "When did you last go out fishing?"
STORAGE = "Where do you keep the catch before selling?\n1) In the boat 2) In the shade 3) Cold room"
IDEA = "What would help you lose less fish?"
# In Swahili, on Telegram (choices are buttons)
USES_ICE_SW = "Je, unahifadhi samaki wako kwenye barafu?"
WHY_NO_ICE_SW = ("Kwa nini? Chagua zote zinazohusika.\n"
                 + translate("sw", answering.SEVERAL))
LOSS_KG_SW = "Ulipoteza kilo ngapi za samaki wiki iliyopita?"
PRICE_KG_SW = "Ulipata bei gani kwa kilo wiki iliyopita?\nKwa shilingi."
LAST_TRIP_SW = "Ulienda kuvua mara ya mwisho lini?"
IDEA_SW = "Nini kingekusaidia kupoteza samaki wachache?"


@pytest.fixture
def code(app_url, factory, tmp_path) -> str:
    """The fish losses questionnaire, open in Kisumu Fish (the running app serves it); Amina
    (English) and Juma (Swahili) read SMS, Wanjiru (Swahili) is on Telegram. Its code."""
    form = read_form(fish_losses(tmp_path / "fish_losses.xlsx"))
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        add_member(session, AMINA, "fish_processor", cluster, "en", "Amina")
        add_member(session, JUMA, "fisher", cluster, "sw", "Juma")
        add_member(session, None, "fisher", cluster, "sw", "Wanjiru", telegram_id=WANJIRU_TG)
        survey = Survey(cluster_id=cluster.id, code=surveys.new_code(session), title=form.title,
                        form_id=form.form_id, version=form.version, form=form.to_json(),
                        status="open", sent_at=datetime.now(timezone.utc))
        session.add(survey)
        session.flush()
        return survey.code


def begin(factory, code: str, phone: str | None = None, telegram_id: int | None = None) -> bool:
    """The survey is put to the member: their respondent row, then the consent line and the
    first question (as the sending part does for each member it reaches)."""
    with unit_of_work(factory) as session:
        survey = surveys.by_code(session, code)
        member = members.find(session, phone=phone, telegram_id=telegram_id)
        respondent = Respondent(survey_id=survey.id, member_id=member.id,
                                token=surveys.new_token())
        session.add(respondent)
        session.flush()
        return answering.begin(session, member, respondent)


def respondent_of(session, code: str, phone: str | None, telegram_id: int | None) -> Respondent:
    member = members.find(session, phone=phone, telegram_id=telegram_id)
    return surveys.respondent(session, surveys.by_code(session, code).id, member.id)


def answers(factory, code: str, phone: str | None = None,
            telegram_id: int | None = None) -> dict[str, str | None]:
    """The member's stored answers, question -> value."""
    with unit_of_work(factory) as session:
        return surveys.answers_of(respondent_of(session, code, phone, telegram_id))


def state(factory, code: str, phone: str | None = None,
          telegram_id: int | None = None) -> tuple[str, str | None, bool, bool]:
    """(status, question waiting, answered_at set, completed_at set) of the member's
    respondent row."""
    with unit_of_work(factory) as session:
        respondent = respondent_of(session, code, phone, telegram_id)
        return (respondent.status, respondent.question, respondent.answered_at is not None,
                respondent.completed_at is not None)


def today() -> date:
    return datetime.now(ZoneInfo("Africa/Nairobi")).date()


def within_budget(texts: list[str]) -> None:
    """Every SMS fits two segments."""
    assert [(count_segments(t), t) for t in texts if count_segments(t) > 2] == []


# --- SMS, in English ---------------------------------------------------------------------------

def test_survey_by_sms_in_english_every_question_type_and_the_answers_stored(
        twilio, app_url, factory, code):
    assert begin(factory, code, phone=AMINA)
    consent, note, first = wait_for(lambda: sms_to(twilio, AMINA)[2:] and sms_to(twilio, AMINA))
    assert consent == translate("en", answering.CONSENT, cluster="Kisumu Fish",
                                purpose=PURPOSE["en"], count=ASKED, skip="SKIP")
    assert consent == ("Kisumu Fish asks for your help with a survey: The University of Nairobi "
                       "studies fish losses to plan cold storage. 7 questions at most. Reply "
                       "SKIP to pass an optional question, STOP to stop all messages.")
    assert (note, first) == (NOTE["en"], USES_ICE)
    assert state(factory, code, AMINA) == ("asked", "uses_ice", False, False)

    def send(text):
        return sms_and_wait(twilio, app_url, AMINA, text)

    # SKIP on a required question: the generic message, the question again
    assert send("SKIP") == [f"This question needs an answer.\n{USES_ICE}"]
    # No ice: why not (skip logic: asked only then); several choices by number
    assert send("2") == [WHY_NO_ICE]
    assert send("1 5") == [f'I could not read "5". Send the numbers of your choices, e.g. 1 3.'
                           f'\n{WHY_NO_ICE}']
    assert send("1,3") == [LOSS_KG]
    # A whole number: words, then one the constraint refuses (the form's message), then one
    assert send("a lot") == [f"Please send a whole number, e.g. 12.\n{LOSS_KG}"]
    assert send("5000") == [f"Write a number of kg from 0 to 1000.\n{LOSS_KG}"]
    assert send("1,000") == [PRICE_KG]  # 1000 as English writes it: the highest allowed
    # SKIP on an optional question
    assert send("SKIP") == [LAST_TRIP]
    # A date: tomorrow has not come (the form's message); a weekday without its year is the
    # last one, as the question asks about the past
    assert send("tomorrow") == [f"That date has not come yet.\n{LAST_TRIP}"]
    assert send("Monday") == [STORAGE]  # over 50 kg lost: where the catch is kept
    assert send("cold rom") == [IDEA]  # a label, with a typo
    # Words are the answer to a text question, even when the first is a command's (BUY); a
    # command alone leaves the survey, and SURVEY comes back to the question
    assert send("OFFERS") == [translate("en", "You have no open listings. Send {sell} or {buy} "
                                              "to post one.", sell="SELL", buy="BUY")]
    assert send("SURVEY") == [IDEA]
    assert send("Buy a cold room at Dunga, shared") == [translate("en", answering.THANKS,
                                                                  title=TITLE)]
    last_monday = today() - timedelta(days=today().weekday())
    assert answers(factory, code, AMINA) == {
        "uses_ice": "no", "why_no_ice": "cost no_need", "loss_kg": "1000", "price_kg": None,
        "last_trip": last_monday.isoformat(), "storage": "cold_room", "loss_level": "high",
        "idea": "Buy a cold room at Dunga, shared"}
    assert state(factory, code, AMINA) == ("complete", None, True, True)
    within_budget(sms_to(twilio, AMINA))
    # Answered once: SURVEY says so, and a late answer is no longer the survey's
    [again] = send("SURVEY")
    assert again == translate("en", answering.ANSWERED, title=TITLE)


def test_yes_skips_the_why_question_and_a_small_loss_skips_storage_by_sms(
        twilio, app_url, factory, code):
    assert begin(factory, code, phone=AMINA)
    wait_for(lambda: len(sms_to(twilio, AMINA)) == 3)

    def send(text):
        return sms_and_wait(twilio, app_url, AMINA, text)

    assert send("yes") == [LOSS_KG]  # why_no_ice is not asked
    assert send("40 kg") == [PRICE_KG]
    assert send("KES 120.50") == [LAST_TRIP]
    assert send(today().strftime("%d/%m/%Y")) == [IDEA]  # 40 kg: storage is not asked
    assert send("SKIP") == [translate("en", answering.THANKS, title=TITLE)]
    assert answers(factory, code, AMINA) == {
        "uses_ice": "yes", "loss_kg": "40", "price_kg": "120.5",
        "last_trip": today().isoformat(), "loss_level": "low", "idea": None}
    within_budget(sms_to(twilio, AMINA))


def test_leaving_with_a_keyword_and_coming_back_with_survey_keeps_the_answers(
        twilio, app_url, factory, code):
    assert begin(factory, code, phone=JUMA)  # Swahili, by SMS
    consent, note, first = wait_for(lambda: sms_to(twilio, JUMA)[2:] and sms_to(twilio, JUMA))
    assert consent == as_sms(translate("sw", answering.CONSENT, cluster="Kisumu Fish",
                                       purpose=PURPOSE["sw"], count=ASKED, skip="RUKA"))
    assert (note, first) == (NOTE["sw"], f"{USES_ICE_SW}\n1) Ndiyo 2) Hapana")

    def send(text, replies=1):
        return sms_and_wait(twilio, app_url, JUMA, text, replies)

    assert send("hapana") == [f"{'Kwa nini? Chagua zote zinazohusika.'}\n"
                              f"{translate('sw', answering.SEVERAL)}\n1) Barafu ni ghali "
                              f"2) Hakuna barafu karibu 3) Haihitajiki"]
    assert send("1 2") == [LOSS_KG_SW]
    # BEI (PRICE) leaves the survey: it is answered as the command it is
    [prices] = send("BEI sato")
    assert prices == translate("sw", "No prices for {product} yet. To report one, send e.g. "
                               "{example}", product="sato", example="BEI sato 120/kg Kisumu")
    assert state(factory, code, JUMA) == ("asked", "loss_kg", True, False)
    # UTAFITI (SURVEY) asks the question it stopped at; the answers so far are kept
    assert send("UTAFITI") == [LOSS_KG_SW]
    assert send("5000") == [f"Andika idadi ya kilo kati ya 0 na 1000.\n{LOSS_KG_SW}"]
    assert send("60") == [PRICE_KG_SW]
    assert send(keyword_word("menu", "sw"))[0].startswith(translate("sw", "Menu: reply with a "
                                                                          "number."))
    assert send("DODOSO") == [PRICE_KG_SW]
    assert answers(factory, code, JUMA) == {"uses_ice": "no", "why_no_ice": "cost far",
                                            "loss_kg": "60"}
    within_budget(sms_to(twilio, JUMA))


def test_an_answer_after_the_survey_closed_is_thanked_and_the_conversation_ends(
        twilio, app_url, factory, code):
    assert begin(factory, code, phone=AMINA)
    wait_for(lambda: len(sms_to(twilio, AMINA)) == 3)
    assert sms_and_wait(twilio, app_url, AMINA, "No") == [WHY_NO_ICE]
    with unit_of_work(factory) as session:
        sending.close(session, surveys.by_code(session, code), "cli")
    assert sms_and_wait(twilio, app_url, AMINA, "1") == [
        "The survey Fish losses after the catch has closed. Thank you!"]
    assert answers(factory, code, AMINA) == {"uses_ice": "no"}
    # The question is no longer open: SURVEY finds nothing to answer
    assert sms_and_wait(twilio, app_url, AMINA, "SURVEY") == [
        "You have no survey to answer now."]


def test_the_reminder_names_the_survey_what_is_left_and_survey(twilio, app_url, factory, code):
    assert begin(factory, code, phone=JUMA)
    wait_for(lambda: len(sms_to(twilio, JUMA)) == 3)
    sms_and_wait(twilio, app_url, JUMA, "2")
    sms_and_wait(twilio, app_url, JUMA, "3")  # loss_kg is waiting: 5 questions left at most
    with unit_of_work(factory) as session:
        assert answering.remind(session, respondent_of(session, code, JUMA, None))
    [reminder] = wait_for(lambda: sms_to(twilio, JUMA)[5:])
    assert reminder == ("Fish losses after the catch: bado tunasubiri majibu yako, maswali "
                        "yasiyozidi 5. Jibu UTAFITI kuendelea.")
    assert sms_and_wait(twilio, app_url, JUMA, "UTAFITI") == [LOSS_KG_SW]


# --- Telegram, in Swahili ----------------------------------------------------------------------

def test_survey_on_telegram_in_swahili_with_buttons(telegram_api, app_url, factory, code):
    wanjiru = TelegramUser(telegram_api, app_url, WANJIRU_TG)
    assert begin(factory, code, telegram_id=WANJIRU_TG)
    consent, note, first = wait_for(lambda: wanjiru.texts()[2:] and wanjiru.texts())
    assert consent == translate("sw", answering.CONSENT, cluster="Kisumu Fish",
                                purpose=PURPOSE["sw"], count=ASKED, skip="RUKA")
    assert consent.startswith("Kisumu Fish inaomba msaada wako katika utafiti: Chuo Kikuu")
    assert "RUKA" in consent and "STOP" in consent
    assert (note, first) == (NOTE["sw"], USES_ICE_SW)
    assert labels(wanjiru.received()) == ["Ndiyo", "Hapana"]
    # A pressed button: yes, so why_no_ice is not asked
    [loss] = wanjiru.press("Ndiyo")
    assert loss.text == LOSS_KG_SW
    [again] = wanjiru.send("1,5")
    assert again.text == f"Tafadhali tuma namba kamili, kwa mfano 12.\n{LOSS_KG_SW}"
    [again] = wanjiru.send("5000")
    assert again.text == f"Andika idadi ya kilo kati ya 0 na 1000.\n{LOSS_KG_SW}"
    [price] = wanjiru.send("30")
    assert price.text == PRICE_KG_SW
    [price] = wanjiru.send("0")
    assert price.text == f"Bei zaidi ya 0, tafadhali.\n{PRICE_KG_SW}"
    [trip] = wanjiru.send("12.5")
    assert trip.text == LAST_TRIP_SW
    [idea] = wanjiru.send("leo")  # 30 kg: storage is not asked
    assert idea.text == IDEA_SW
    [thanks] = wanjiru.send("Barafu iwe nafuu")
    assert thanks.text == translate("sw", answering.THANKS, title=TITLE)
    assert answers(factory, code, telegram_id=WANJIRU_TG) == {
        "uses_ice": "yes", "loss_kg": "30", "price_kg": "12.5",
        "last_trip": today().isoformat(), "loss_level": "low", "idea": "Barafu iwe nafuu"}
    assert state(factory, code, telegram_id=WANJIRU_TG) == ("complete", None, True, True)


def test_several_choices_by_swahili_words_on_telegram_and_skip(telegram_api, app_url, factory,
                                                               code):
    wanjiru = TelegramUser(telegram_api, app_url, WANJIRU_TG)
    assert begin(factory, code, telegram_id=WANJIRU_TG)
    wait_for(lambda: len(wanjiru.texts()) == 3)
    [required] = wanjiru.send("RUKA")
    assert required.text == f"{translate('sw', 'This question needs an answer.')}\n{USES_ICE_SW}"
    [why] = wanjiru.press("Hapana")
    assert why.text == WHY_NO_ICE_SW
    # Numbered buttons, so that several can be sent by number too
    assert labels(wanjiru.received()) == ["1) Barafu ni ghali", "2) Hakuna barafu karibu",
                                          "3) Haihitajiki"]
    [unread] = wanjiru.send("barafu ni ghali, samaki wengi")
    assert unread.text == (translate("sw", answering.NOT_READ, text="samaki wengi")
                           + f"\n{WHY_NO_ICE_SW}")
    [loss] = wanjiru.send("barafu ni ghali na haihitajiki")
    assert loss.text == LOSS_KG_SW
    [price] = wanjiru.send("200")  # over 50 kg: storage will be asked
    [trip] = wanjiru.send("RUKA")
    assert (price.text, trip.text) == (PRICE_KG_SW, LAST_TRIP_SW)
    [storage] = wanjiru.send("RUKA")
    assert storage.text == "Unahifadhi samaki wapi kabla ya kuuza?"
    assert labels(wanjiru.received()) == ["Ndani ya mashua", "Kivulini", "Chumba baridi"]
    cold_room = dict(buttons(wanjiru.received()))["Chumba baridi"]
    [idea] = wanjiru.press("Kivulini")
    assert idea.text == IDEA_SW
    # A button of an earlier question no longer answers: the open question is asked again
    before = len(wanjiru.received())
    wanjiru.post(callback_update(next(wanjiru.update_ids), WANJIRU_TG, cold_room))
    assert wanjiru.next_text(before) == (translate("sw", "That button belongs to an earlier "
                                                         "question.") + f"\n{IDEA_SW}")
    assert answers(factory, code, telegram_id=WANJIRU_TG) == {
        "uses_ice": "no", "why_no_ice": "cost no_need", "loss_kg": "200", "price_kg": None,
        "last_trip": None, "storage": "shade", "loss_level": "high"}
