"""Answering a survey, in the terminal and piece by piece: numbers as each language writes them,
several choices, choices named in any of the form's languages, dates about the past, SURVEY with
several surveys open or one not begun, and what is cut so that every SMS fits two segments."""
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from scenes import AMINA, add_member, outbox
from sqlalchemy import select
from surveyforms import fish_losses, row, write_form

from handlers.budget import SMS, count_segments, render
from handlers.surveys import answering
from handlers.surveys.form import Form, Option, Question, read_form
from locales.i18n import translate
from storage import surveys
from storage.db import unit_of_work
from storage.surveys import Answer, Respondent, Survey

LOSS_KG = "How many kg of fish did you lose last week?"
TODAY = date(2026, 12, 4)  # a Friday


@pytest.fixture
def form(tmp_path):
    return read_form(fish_losses(tmp_path / "fish_losses.xlsx"))


@pytest.mark.parametrize("text, lang, value", [
    ("12", "en", 12), ("1,500", "en", 1500), ("1,500", "fr", 1.5), ("1,500", "pt", 1.5),
    ("1.500", "pt", 1500), ("1,5", "fr", 1.5), ("1,5", "pt", 1.5), ("1.5", "sw", 1.5),
    ("1 500", "fr", 1500), ("1,480,000", "en", 1480000), ("1.480,50", "pt", 1480.5),
    ("1,480.50", "en", 1480.5), ("-3", "en", -3), ("200kg", "sw", 200), ("kilo 200", "sw", 200),
    ("KES 120", "en", 120), ("120/=", "sw", 120), ("120 shillings", "en", 120),
    ("2 tonnes", "en", None), ("12 15", "en", None), ("a lot", "en", None), ("", "en", None),
    ("1,48,0", "en", None), ("3 bags", "en", None), ("12kg?", "en", 12), ("12-15", "en", None),
    ("about 12", "en", None)])
def test_numbers_are_read_as_the_members_language_writes_them(text, lang, value):
    assert answering.read_amount(text, lang) == value


@pytest.mark.parametrize("text, names, unread", [
    ("1 3", ["cost", "no_need"], []),
    ("1,3", ["cost", "no_need"], []),
    ("3, 1", ["cost", "no_need"], []),
    ("1 na 3", ["cost", "no_need"], []),
    ("1 and 2", ["cost", "far"], []),
    ("1 1", ["cost"], []),
    ("Barafu ni ghali, Haihitajiki", ["cost", "no_need"], []),
    ("barafu ni ghali na hakuna barafu karibu", ["cost", "far"], []),
    ("No ice nearby and not needed", ["far", "no_need"], []),
    ("ice costs to much", ["cost"], []),  # a typo
    ("1 5", ["cost"], ["5"]),
    ("1, samaki wengi", ["cost"], ["samaki wengi"]),
    ("nothing", [], ["nothing"]),
])
def test_several_choices_by_numbers_and_by_words(form, text, names, unread):
    assert answering.read_several(text, form.question("why_no_ice")) == (names, unread)


@pytest.mark.parametrize("text, name", [
    ("1", "yes"), ("2", "no"), ("3", None), ("0", None), ("Ndiyo", "yes"), ("hapana", "no"),
    ("HAPNA", "no"), ("oui", "yes"), ("sim", "yes"), ("no", "no"), ("Yes!", "yes"),
    ("maybe", None)])
def test_one_choice_by_number_name_label_in_any_language_or_a_yes_no_word(form, text, name):
    assert answering.option_named(text, form.question("uses_ice")) == name


def test_a_choice_named_by_its_name_or_its_label():
    question = Question("storage", "select_one", 8, options=(
        Option("cold_room", {"en": "Cold room", "sw": "Chumba baridi"}),
        Option("boat", {"en": "In the boat", "sw": "Ndani ya mashua"})))
    assert [answering.option_named(t, question) for t in (
        "cold_room", "cold room", "chumba baridi", "Ndani ya mashua", "boat", "shade")] == [
        "cold_room", "cold_room", "cold_room", "boat", "boat", None]


def past(d: date) -> bool:
    return d <= TODAY


NOW = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, fits, day", [
    ("30/11/2026", past, date(2026, 11, 30)),
    ("2026-11-30", past, date(2026, 11, 30)),
    ("30 Nov", past, date(2026, 11, 30)),
    ("20/8", past, date(2026, 8, 20)),  # yearless and long past: this year's, not next year's
    ("20/8", lambda d: True, date(2027, 8, 20)),  # with no constraint: the usual reading
    ("Monday", past, date(2026, 11, 30)),  # the last Monday, not the next
    ("Jumatatu", lambda d: d > TODAY, date(2026, 12, 7)),  # a question about the future
    ("leo", past, TODAY),
    ("aujourd'hui", past, TODAY),
    ("jana", past, date(2026, 12, 3)),
    ("avant-hier", past, date(2026, 12, 2)),
    ("tomorrow", past, date(2026, 12, 5)),  # taken: the constraint then refuses it
    ("20/8/2027", past, date(2027, 8, 20)),  # its year is written: not moved
    ("4/12 10:00", past, None),  # a time is no date
    ("soon", past, None),
    ("30 Nov at the lake", past, None),
])
def test_dates_about_the_past(text, fits, day):
    assert answering.read_date(text, "Africa/Nairobi", NOW, fits) == day


# --- In the terminal ---------------------------------------------------------------------------

def open_survey(session, cluster, form, code, title=None) -> Survey:
    survey = Survey(cluster_id=cluster.id, code=code, title=title or form.title,
                    form_id=form.form_id, version=form.version, form=form.to_json(),
                    status="open", sent_at=datetime.now(timezone.utc))
    session.add(survey)
    session.flush()
    return survey


def test_survey_lists_the_open_surveys_and_resumes_the_one_chosen(chat, factory, kisumu, form):
    with unit_of_work(factory) as session:
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina")
        first = open_survey(session, kisumu, form, "F1SH")
        second = open_survey(session, kisumu, form, "F2SH", "Fish prices in the dry season")
        done = open_survey(session, kisumu, form, "F3SH", "Nets")
        session.add_all([
            Respondent(survey=first, member_id=amina.id, token=surveys.new_token(),
                       status="asked", question="uses_ice"),
            Respondent(survey=second, member_id=amina.id, token=surveys.new_token(),
                       status="asked", question="loss_kg",
                       answers=[surveys.Answer(question="uses_ice", value="yes")]),
            Respondent(survey=done, member_id=amina.id, token=surveys.new_token(),
                       status="complete")])
    person = chat(AMINA)
    assert person.send("SURVEY") == [
        "Which survey do you want to answer?\n1) Fish losses after the catch "
        "2) Fish prices in the dry season"]
    assert person.send("2") == [LOSS_KG]
    assert person.send("12") == ["What price per kg did you get last week?\nIn shillings."]
    with unit_of_work(factory) as session:
        kept = surveys.respondent(session, surveys.by_code(session, "F2SH").id, amina.id)
        assert surveys.answers_of(kept) == {"uses_ice": "yes", "loss_kg": "12"}
        assert kept.question == "price_kg"


def test_survey_begins_a_survey_not_begun_yet_with_its_consent_line(chat, factory, kisumu,
                                                                     form):
    with unit_of_work(factory) as session:
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina")
        survey = open_survey(session, kisumu, form, "F1SH")
        session.add(Respondent(survey=survey, member_id=amina.id, token=surveys.new_token()))
    consent, note, question = chat(AMINA).send("QUESTIONNAIRE")
    assert consent.startswith("Kisumu Fish asks for your help with a survey: The University")
    assert (note, question) == ("Thank you for helping the study of fish losses.",
                                "Do you keep your fish on ice?\n1) Yes 2) No")
    with unit_of_work(factory) as session:
        respondent = session.scalars(select(Respondent)).one()
        assert (respondent.status, respondent.question) == ("asked", "uses_ice")
        assert respondent.asked_at is not None


def test_survey_with_none_open_and_with_all_answered(chat, factory, kisumu, form):
    with unit_of_work(factory) as session:
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina")
        closed = open_survey(session, kisumu, form, "F1SH", "Old nets")
        closed.status = "closed"
        session.add(Respondent(survey=closed, member_id=amina.id, token=surveys.new_token(),
                               status="asked", question="uses_ice"))
    person = chat(AMINA)
    assert person.send("SURVEY") == ["You have no survey to answer now."]
    with unit_of_work(factory) as session:
        survey = open_survey(session, kisumu, form, "F2SH")
        session.add(Respondent(survey=survey, member_id=amina.id, token=surveys.new_token(),
                               status="complete"))
    assert person.send("SURVEY") == [
        "You have already answered Fish losses after the catch. Thank you!"]


def test_long_texts_of_a_form_are_cut_to_fit_two_sms(chat, factory, kisumu):
    """A long purpose, label, hint and choices (read_form refuses most such forms; a reason said
    before the question may still make it too long): the consent line cuts the purpose, the
    question drops its hint, then cuts its choices, then its label."""
    long = "Please think carefully about every single one of the last seven fishing trips " * 3
    gear = Question("gear", "select_multiple", 2, {"en": long}, {"en": long}, options=tuple(
        Option(f"g{i}", {"en": f"A very long name for fishing gear number {i} of the lake"})
        for i in range(1, 9)))
    form = Form("Gear", "gear", None, "en", ("en",), (
        gear, Question("count", "integer", 3, {"en": long})), purpose={"en": long})
    with unit_of_work(factory) as session:
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina")
        survey = open_survey(session, kisumu, form, "GEAR")
        respondent = Respondent(survey=survey, member_id=amina.id, token=surveys.new_token())
        session.add(respondent)
        session.flush()
        assert answering.begin(session, amina, respondent)
    consent, question = [render(SMS, m.text, [c["label"] for c in m.choices])[0]
                         for m in outbox(factory)]
    assert [count_segments(consent), count_segments(question)] == [2, 2]
    assert "Please think carefully" in consent and consent.endswith("stop all messages.")
    assert question.startswith("Please think carefully")
    assert "Several? Send their numbers, e.g. 1 3.\n1) A very" in question and "8) " in question
    # The question asked again after a reason still fits
    [again] = chat(AMINA).send("1 9")
    assert again.startswith('I could not read "9".') and count_segments(again) <= 2
    [number] = chat(AMINA).send("1 2")
    assert number.startswith("Please think") and count_segments(number) <= 2


def test_answers_so_far_are_said_in_later_questions_and_messages(chat, factory, kisumu,
                                                                   tmp_path):
    path = write_form(tmp_path / "catch.xlsx", [
        row("select_one fish", "fish", "Which fish do you catch most?", "Samaki gani?"),
        row("integer", "kg", "How many kg of ${fish} a day?", "Kilo ngapi za ${fish} kwa siku?",
            constraint=". < 500", message="${fish}: less than 500 kg, please.",
            message_sw="${fish}: chini ya kilo 500."),
        row("note", "said", "So ${kg} kg of ${fish}.", "Kwa hiyo kilo ${kg} za ${fish}.")],
        [["fish", "tilapia", "Tilapia", "Sato"], ["fish", "omena", "Silver cyprinid", "Dagaa"]],
        {"form_title": "Catch", "form_id": "catch", "default_language": "English (en)"})
    form = read_form(path)
    with unit_of_work(factory) as session:
        juma = add_member(session, AMINA, "fisher", kisumu, "sw", "Juma")
        survey = open_survey(session, kisumu, form, "CTCH")
        session.add(Respondent(survey=survey, member_id=juma.id, token=surveys.new_token()))
    person = chat(AMINA)
    assert person.send("UTAFITI")[1:] == ["Samaki gani?\n1) Sato 2) Dagaa"]
    assert person.send("dagaa") == ["Kilo ngapi za Dagaa kwa siku?"]
    assert person.send("900") == ["Dagaa: chini ya kilo 500.\nKilo ngapi za Dagaa kwa siku?"]
    assert person.send("90") == ["Kwa hiyo kilo 90 za Dagaa.",
                                 translate("sw", answering.THANKS, title="Catch")]


def test_the_reminder_counts_the_questions_left(factory, kisumu, form):
    with unit_of_work(factory) as session:
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina")
        survey = open_survey(session, kisumu, form, "F1SH")
        respondent = Respondent(survey=survey, member_id=amina.id, token=surveys.new_token(),
                                status="asked", question="last_trip")
        session.add(respondent)
        session.flush()
        assert answering.remind(session, respondent)
    [reminder] = outbox(factory)
    assert (reminder.channel, reminder.address, reminder.kind) == ("sms", AMINA, "survey")
    assert reminder.text == translate("en", answering.REMINDER, title=form.title, count=3,
                                      survey="SURVEY")
    assert reminder.text == ("Fish losses after the catch: your answers are still awaited, 3 "
                             "questions at most. Reply SURVEY to go on.")


def test_a_question_stays_open_a_week_then_survey_brings_it_back(chat, factory, kisumu, form):
    """Members answer surveys when they can: a question waits IDLE_HOURS (the usual idle time
    of a conversation is half an hour); after that an answer is no longer taken for it, and
    SURVEY asks it again."""
    start = datetime(2026, 12, 4, 6, 0, tzinfo=timezone.utc)
    with unit_of_work(factory) as session:
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina")
        survey = open_survey(session, kisumu, form, "F1SH")
        session.add(Respondent(survey=survey, member_id=amina.id, token=surveys.new_token(),
                               status="asked", question="uses_ice"))
    person = chat(AMINA)
    with time_machine.travel(start, tick=False):
        assert person.send("SURVEY") == ["Do you keep your fish on ice?\n1) Yes 2) No"]
    with time_machine.travel(start + timedelta(hours=answering.IDLE_HOURS - 1), tick=False):
        assert person.send("1") == [LOSS_KG]
    with time_machine.travel(start + timedelta(hours=2 * answering.IDLE_HOURS), tick=False):
        assert LOSS_KG not in person.send("12")[0]  # no question is open: a message of its own
        assert person.send("SURVEY") == [LOSS_KG]
        assert person.send("12") == ["What price per kg did you get last week?\nIn shillings."]
    with unit_of_work(factory) as session:
        respondent = surveys.respondent(session, surveys.by_code(session, "F1SH").id, amina.id)
        assert surveys.answers_of(respondent) == {"uses_ice": "yes", "loss_kg": "12"}


def test_today_in_a_form_is_the_clusters_day_not_the_servers(chat, factory, kisumu,
                                                             tmp_path):
    """At 22:30 UTC it is already the next day in Kisumu: `today` written by a member and
    today() in the form's constraint are that same day."""
    path = write_form(tmp_path / "trip.xlsx", [
        row("date", "trip", "When did you last go out fishing?", "Ulienda lini?",
            constraint=". <= today()", message="That date has not come yet.",
            message_sw="Tarehe hiyo bado haijafika.")], [],
        {"form_title": "Trip", "form_id": "trip", "default_language": "English (en)"})
    with unit_of_work(factory) as session:
        amina = add_member(session, AMINA, "fisher", kisumu, "en", "Amina")
        survey = open_survey(session, kisumu, read_form(path), "TRIP")
        session.add(Respondent(survey=survey, member_id=amina.id, token=surveys.new_token()))
    with time_machine.travel(datetime(2026, 12, 4, 22, 30, tzinfo=timezone.utc), tick=False):
        person = chat(AMINA)
        assert person.send("SURVEY")[1:] == ["When did you last go out fishing?"]
        assert person.send("today") == [translate("en", answering.THANKS, title="Trip")]
    with unit_of_work(factory) as session:
        assert session.scalars(select(Answer.value)).all() == ["2026-12-05"]
