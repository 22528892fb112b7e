"""Meetings: Grace calls them in four languages, members answer, reminders go out on time,
meetings are moved, cancelled and counted. The clock stands on Wednesday 25 November 2026,
10:00 in Nairobi, unless a scene travels."""
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member, as_sms, lamu_crafts, outbox
from sqlalchemy import select

from handlers import meetings as meeting_handlers
from handlers.budget import count_segments, to_gsm7
from handlers.turn import Inbound
from locales.i18n import keyword_word, translate
from storage import clusters
from storage import meetings as storage
from storage import members
from storage.db import unit_of_work
from storage.models import AuditEntry, Member, OutboundMessage

NAIROBI = ZoneInfo("Africa/Nairobi")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=NAIROBI)  # a Wednesday
OPTED_OUT = "+254722000009"
TOMAS_TELEGRAM = 4242
GRACE_TELEGRAM = 5151



@pytest.fixture
def clock():
    """Time stands still on Wednesday 25 November 2026, 10:00 Nairobi, until a scene moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def network(factory, kisumu, clock):
    """Grace coordinates Kisumu Fish: Juma (fisher, sw), Amina (processor, fr), Tomás (craft, pt,
    on Telegram) and a member who opted out. Lamu Crafts is another cluster, with its own
    coordinator and a member of its own."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        lamu = lamu_crafts(session)
        add_member(session, GRACE, "trader", kisumu, "en", "Grace", coordinator=True)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma")
        add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina")
        add_member(session, TOMAS, "craftsperson", kisumu, "pt", "Tomás",
                   telegram_id=TOMAS_TELEGRAM)
        add_member(session, OPTED_OUT, "fisher", kisumu, "sw", "Otieno", opted_out=True)
        add_member(session, "+254722000010", "trader", lamu, "en", "Halima", coordinator=True)
        add_member(session, "+254722000011", "craftsperson", lamu, "en", "Bakari")
    return factory


def speak(factory, phone, lang):
    with unit_of_work(factory) as session:
        members.find(session, phone=phone).language = lang


def all_meetings(factory):
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(storage.Meeting).order_by(storage.Meeting.id)))
        session.expunge_all()
        return found


def answers(factory, code):
    with unit_of_work(factory) as session:
        meeting = storage.by_code(session, code)
        rows = session.execute(select(Member.name, storage.Invitation.answer)
                               .join(storage.Invitation, storage.Invitation.member_id == Member.id)
                               .where(storage.Invitation.meeting_id == meeting.id))
        return dict(rows.all())


def sent_to(factory, address, since=0):
    """Texts queued to a member (not replies in the terminal), after outbox row `since`."""
    return [m.text for m in outbox(factory) if m.address == address and m.id > since
            and m.channel != "console"]


def last_id(factory):
    rows = outbox(factory)
    return rows[-1].id if rows else 0


def audit(factory, action):
    with unit_of_work(factory) as session:
        return [(e.action, e.details) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def code_in(text):
    return re.search(r"\b([A-Z0-9]{4})\b(?=\. )", text).group(1)


def call(chat, command, answer="YES", phone=GRACE):
    """Grace sends the command and confirms; returns the meeting's code."""
    coordinator = chat(phone)
    coordinator.send(command)
    done = coordinator.send(answer)[0]
    return code_in(done)



def in_nairobi(moment):
    return moment.astimezone(NAIROBI)


# --- Calling a meeting, in every language ----------------------------------------------------

def test_coordinator_calls_meeting_in_one_command_and_members_are_invited(chat, network):
    grace = chat(GRACE)
    [question] = grace.send("MEETING Fri 10am Dunga Beach: Cold chain")
    assert question == ("Cold chain, Fri 27 Nov 10:00, Dunga Beach. Send the invitation to 3 "
                        "members?\n1) Yes 2) Do not send")
    assert all_meetings(network) == []  # nothing before the coordinator confirms
    [done] = grace.send("YES")
    code = code_in(done)
    assert done == (f"Invitation sent to 3 members. Its code is {code}. For the answers, send "
                    f"MEETING LIST {code}.")
    [meeting] = all_meetings(network)
    assert (meeting.title, meeting.place, in_nairobi(meeting.starts_at)) == (
        "Cold chain", "Dunga Beach", datetime(2026, 11, 27, 10, tzinfo=NAIROBI))
    assert sent_to(network, JUMA) == [
        f"Mkutano {code}: Cold chain. Ijumaa 27 Nov 10:00 (saa 4 asubuhi), Dunga Beach. "
        f"Utahudhuria? Jibu NDIYO {code} au HAPANA {code}."]
    assert sent_to(network, AMINA) == [
        f"Réunion {code} : Cold chain. ven. 27 nov. 10:00, Dunga Beach. Viendrez-vous ? "
        f"Répondez OUI {code} ou NON {code}."]
    assert sent_to(network, str(TOMAS_TELEGRAM)) == [  # Telegram costs nothing: not SMS
        f"Reunião {code}: Cold chain. sex. 27 nov. 10:00, Dunga Beach. Vem? Responda SIM {code} "
        f"ou NAO {code}."]
    assert sent_to(network, OPTED_OUT) == [] and sent_to(network, "+254722000011") == []
    assert sent_to(network, GRACE) == []  # the organiser is not invited to her own meeting
    [(_, details)] = audit(network, "meeting.create")
    assert details["code"] == code and details["invited"] == 3


@pytest.mark.parametrize(("lang", "command", "yes", "starts"), [
    ("en", "MEETING tomorrow 3pm Dunga Beach: Cold chain", "YES", (26, 15, 0)),
    ("sw", "MKUTANO kesho saa nne Dunga Beach: Mnyororo baridi", "NDIYO", (26, 10, 0)),
    ("fr", "REUNION demain 10h Dunga Beach : Chaîne du froid", "OUI", (26, 10, 0)),
    ("pt", "REUNIÃO sexta 14:30 Dunga Beach: Cadeia de frio", "SIM", (27, 14, 30)),
])
def test_coordinator_calls_meeting_in_each_language(chat, network, lang, command, yes, starts):
    speak(network, GRACE, lang)
    grace = chat(GRACE)
    [question] = grace.send(command)
    title = command.split(": ")[1] if ": " in command else command.split(" : ")[1]
    assert question.startswith(f"{to_gsm7(title)}, ") and re.search(r"\b3\b", question)
    [done] = grace.send(yes)
    code = code_in(done)
    command = f"{keyword_word('meeting', lang)} {meeting_handlers.action_word('list', lang)} {code}"
    assert done == as_sms(translate(lang, meeting_handlers.SENT, count=3, code=code,
                                    command=command))
    [meeting] = all_meetings(network)
    day, hour, minute = starts
    assert in_nairobi(meeting.starts_at) == datetime(2026, 11, day, hour, minute, tzinfo=NAIROBI)
    assert meeting.title == title and meeting.place == "Dunga Beach"


def test_half_command_is_completed_one_question_at_a_time_in_swahili(chat, network):
    speak(network, GRACE, "sw")
    grace = chat(GRACE)
    assert grace.send("MKUTANO") == [translate("sw", "What day is the meeting? For example: Fri, "
                                                     "4 Dec, tomorrow.")]
    assert grace.send("kesho") == [translate("sw", "At what time does it start? For example: "
                                                   "10am, 14:30.")]
    assert grace.send("saa nne asubuhi") == [translate("sw", "Where is the meeting?")]
    assert grace.send("Dunga Beach") == [translate("sw", "What is the meeting about? Send a short "
                                                         "title.")]
    [question] = grace.send("Mnyororo baridi")
    assert question.startswith(
        "Mnyororo baridi, Alhamisi 26 Nov 10:00 (saa 4 asubuhi), Dunga Beach.")
    assert question.endswith("1) Ndiyo 2) Usitume")
    grace.send("1")
    [meeting] = all_meetings(network)
    assert in_nairobi(meeting.starts_at) == datetime(2026, 11, 26, 10, tzinfo=NAIROBI)


def test_command_without_time_asks_only_for_the_time(chat, network):
    grace = chat(GRACE)
    assert grace.send("MEETING Fri Dunga Beach: Cold chain") == [
        "At what time does it start? For example: 10am, 14:30."]
    [question] = grace.send("2pm")
    assert question.startswith("Cold chain, Fri 27 Nov 14:00, Dunga Beach.")


def test_command_without_title_asks_for_it(chat, network):
    grace = chat(GRACE)
    assert grace.send("MEETING Fri 10am at Dunga Beach") == [
        "What is the meeting about? Send a short title."]
    assert grace.send("Cold chain")[0].startswith("Cold chain, Fri 27 Nov 10:00, Dunga Beach.")


def test_answer_to_the_day_question_may_give_the_time_too(chat, network):
    grace = chat(GRACE)
    grace.send("MEETING")
    assert grace.send("next Monday 9:00") == ["Where is the meeting?"]


def test_ambiguous_hour_is_asked_back_with_choices(chat, network):
    grace = chat(GRACE)
    [question] = grace.send("MEETING tomorrow 8 Dunga Beach: Cold chain")
    assert question == ("Which day and time do you mean?\n1) Thu 26 Nov 08:00 2) Thu 26 Nov 20:00")
    assert grace.send("2")[0].startswith("Cold chain, Thu 26 Nov 20:00, Dunga Beach.")


def test_ambiguous_day_and_month_is_asked_back_in_french(chat, network):
    speak(network, GRACE, "fr")
    grace = chat(GRACE)
    [question] = grace.send("REUNION 04/12 10h Dunga : Chaîne du froid")
    assert question == ("Vous voulez dire quel jour et quelle heure ?\n1) ven. 4 déc. 10:00 "
                        "2) lun. 12 avr. 10:00")
    # î is outside GSM-7: the SMS gets plain letters, which saves a segment
    assert grace.send("1")[0].startswith("Chaine du froid, ven. 4 déc. 10:00, Dunga. ")


def test_past_time_is_offered_the_next_day(chat, network):
    grace = chat(GRACE)
    [question] = grace.send("MEETING today 9am Dunga Beach: Cold chain")
    assert question == ("That time has passed.\nWhich day and time do you mean?\n"
                        "1) Thu 26 Nov 09:00")
    assert grace.send("1")[0].startswith("Cold chain, Thu 26 Nov 09:00")


def test_a_new_date_may_be_typed_instead_of_a_choice(chat, network):
    grace = chat(GRACE)
    grace.send("MEETING tomorrow 8 Dunga Beach: Cold chain")
    assert grace.send("Sat 11am")[0].startswith("Cold chain, Sat 28 Nov 11:00")


def test_unreadable_date_is_asked_again_and_the_place_is_not_guessed(chat, network):
    grace = chat(GRACE)
    assert grace.send("MEETING Sartuday 10am Dunga Beach: Cold chain") == [
        "I could not read that date.\nWhat day is the meeting? For example: Fri, 4 Dec, tomorrow."]
    assert grace.send("someday") == [
        "I could not read that date.\nWhat day is the meeting? For example: Fri, 4 Dec, tomorrow."]
    grace.send("Saturday 10am")
    assert grace.send("Dunga Beach")[0].startswith("Cold chain, Sat 28 Nov 10:00, Dunga Beach.")


def test_unreadable_time_is_asked_again(chat, network):
    grace = chat(GRACE)
    assert grace.send("MEETING Fri 10amm Dunga Beach: Cold chain") == [
        "I could not read that time.\nAt what time does it start? For example: 10am, 14:30."]
    assert grace.send("at noon")[0].startswith("Cold chain, Fri 27 Nov 12:00, Dunga Beach.")


@pytest.mark.parametrize("title", ["x" * 10_000, "🎉🎉🎉", "   ", "12345"])
def test_bad_title_gets_a_hint_and_nothing_is_written(chat, network, title):
    grace = chat(GRACE)
    grace.send("MEETING Fri 10am Dunga Beach")
    [hint] = grace.send(title)
    assert hint.endswith("What is the meeting about? Send a short title.")
    assert hint.startswith(("That is too long: at most 60 characters.",
                            "Please send a short title in words.", "Your message was empty."))
    assert all_meetings(network) == []


def test_title_with_sql_is_kept_as_text(chat, network):
    code = call(chat, "MEETING Fri 10am Dunga Beach: x'); DROP TABLE meetings; --")
    [meeting] = all_meetings(network)
    assert meeting.code == code and meeting.title == "x'); DROP TABLE meetings; --"


def test_long_place_in_the_command_is_asked_again(chat, network):
    grace = chat(GRACE)
    assert grace.send(f"MEETING Fri 10am {'Dunga ' * 20}: Cold chain") == [
        "That is too long: at most 60 characters.\nWhere is the meeting?"]


def test_coordinator_may_drop_the_meeting_before_it_is_sent(chat, network):
    grace = chat(GRACE)
    grace.send("MEETING Fri 10am Dunga Beach: Cold chain")
    assert grace.send("Do not send") == ["OK, nothing was sent."]
    assert all_meetings(network) == [] and sent_to(network, JUMA) == []


def test_confirm_too_late_asks_the_time_again(chat, network, clock):
    grace = chat(GRACE)
    grace.send("MEETING today 10:20 Dunga Beach: Cold chain")
    clock.shift(timedelta(minutes=25))  # 10:25: the meeting would have begun
    [question] = grace.send("YES")
    assert question.startswith("That time has passed.\nWhich day and time do you mean?")
    assert all_meetings(network) == []


def test_nobody_to_invite_is_said_and_nothing_is_written(chat, factory, kisumu, clock):
    with unit_of_work(factory) as session:
        add_member(session, GRACE, "trader", session.merge(kisumu), "en", "Grace",
                   coordinator=True)
    assert chat(GRACE).send("MEETING Fri 10am Dunga Beach: Cold chain") == [
        "Nobody in Kisumu Fish can get an invitation yet."]
    assert all_meetings(factory) == []


def test_coordinator_on_telegram_confirms_with_a_button(chat, network):
    with unit_of_work(network) as session:
        members.find(session, phone=GRACE).telegram_id = GRACE_TELEGRAM
    grace = chat(str(GRACE_TELEGRAM), style="telegram")
    [which] = grace.send("/meeting tomorrow 8 Dunga Beach: Cold chain")
    assert which.endswith("[Thu 26 Nov 08:00]  [Thu 26 Nov 20:00]")
    [question] = grace.press(2)
    assert question.startswith("Cold chain, Thu 26 Nov 20:00, Dunga Beach.")
    assert question.endswith("[Yes]  [Do not send]") and "1)" not in question
    [done] = grace.press(1)
    assert in_nairobi(all_meetings(network)[0].starts_at) == datetime(2026, 11, 26, 20,
                                                                      tzinfo=NAIROBI)
    assert code_in(done) in sent_to(network, JUMA)[0]


# --- Who may call a meeting ------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "command"), [
    ("en", "MEETING Fri 10am Dunga Beach: Cold chain"),
    ("sw", "MKUTANO kesho saa nne Dunga: Mnyororo baridi"),
    ("fr", "REUNION demain 10h Dunga : Chaîne du froid"),
    ("pt", "REUNIAO amanhã 10h Dunga: Cadeia de frio"),
    ("sw", "MKUTANO ORODHA K7Q3"),
    ("fr", "REUNION ANNULER K7Q3"),
])
def test_member_who_is_not_a_coordinator_is_refused_politely(chat, network, lang, command):
    speak(network, JUMA, lang)
    assert chat(JUMA).send(command) == [
        translate(lang, "Sorry, only a coordinator of that cluster can do this.")]
    assert all_meetings(network) == []
    [(_, details)] = audit(network, "meeting.refused")
    assert details["command"] in ("create", "list", "cancel")


def test_coordinator_of_another_cluster_is_refused(chat, network):
    assert chat(GRACE).send("MEETING lamu-crafts Fri 10am Lamu: Beads") == [
        "Sorry, only a coordinator of that cluster can do this."]
    assert all_meetings(network) == []
    [(_, details)] = audit(network, "meeting.refused")
    assert details["named"] == "lamu-crafts"


def test_coordinator_of_another_cluster_cannot_list_cancel_or_move_its_meeting(chat, network):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    halima = chat("+254722000010")
    for command in (f"MEETING LIST {code}", f"MEETING CANCEL {code}",
                    f"MEETING MOVE {code} Sat 9am"):
        assert halima.send(command) == ["Sorry, only a coordinator of that cluster can do this."]
    assert all_meetings(network)[0].status == "scheduled"
    assert len(audit(network, "meeting.refused")) == 3


def test_coordinator_of_several_clusters_is_asked_which_or_names_one(chat, network):
    with unit_of_work(network) as session:
        grace = members.find(session, phone=GRACE)
        members.add_role(session, grace, clusters.by_slug(session, "lamu-crafts").id, "coordinator")
    grace = chat(GRACE)
    assert grace.send("MEETING Fri 10am Dunga Beach: Cold chain") == [
        "Which cluster is the meeting for?\n1) Kisumu Fish 2) Lamu Crafts"]
    [question] = grace.send("2")
    # Halima and Bakari
    assert question.endswith("Send the invitation to 2 members?\n1) Yes 2) Do not send")
    grace.send("2")
    code = call(chat, "MEETING kisumu-fish Fri 10am Dunga Beach: Cold chain")
    assert sent_to(network, "+254722000011") == []
    assert [t for t in sent_to(network, JUMA) if code in t]


# --- Answers ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("phone", "yes", "no", "thanks"), [
    (JUMA, "NDIYO", "HAPANA", "Asante!"),
    (AMINA, "OUI", "NON", "Merci !"),
    (TOMAS, "SIM", "NÃO", "Obrigado!"),
    (GRACE, "YES", "NO", "Thank you!"),
])
def test_member_answers_with_the_code_in_their_language_and_may_change(chat, network, phone,
                                                                        yes, no, thanks):
    if phone == GRACE:  # Grace answers a meeting Halima calls for both their clusters' sake
        with unit_of_work(network) as session:
            grace = members.find(session, phone=GRACE)
            members.add_role(session, grace, clusters.by_slug(session, "lamu-crafts").id, "trader")
        code = call(chat, "MEETING Fri 10am Lamu: Beads", phone="+254722000010")
    else:
        code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    member = chat(phone)
    assert member.send(f"{yes} {code.lower()}")[0].startswith(thanks)
    name = {JUMA: "Juma", AMINA: "Amina", TOMAS: "Tomás", GRACE: "Grace"}[phone]
    assert answers(network, code)[name] == "yes"
    [changed] = member.send(f"{no} {code}")
    assert code in changed  # how to say yes again
    assert answers(network, code)[name] == "no"


def test_bare_yes_answers_the_newest_open_invitation(chat, network, clock):
    first = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    clock.shift(timedelta(minutes=1))
    second = call(chat, "MEETING Sat 10am Dunga Beach: Prices")
    assert chat(JUMA).send("ndiyo")[0].startswith("Asante! Tutaonana kwenye Prices")
    assert answers(network, second)["Juma"] == "yes" and answers(network, first)["Juma"] is None


def test_wrong_code_is_said(chat, network):
    call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    assert chat(JUMA).send("NDIYO ZZZZ") == [
        translate("sw", "No open invitation has the code {code}.", code="ZZZZ")]


def test_member_who_was_not_invited_has_nothing_to_answer(chat, network):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    assert chat("+254722000011").send(f"YES {code}") == [
        f"No open invitation has the code {code}."]


# --- Reminders -------------------------------------------------------------------------------

def remind(factory):
    with unit_of_work(factory) as session:
        return meeting_handlers.send_reminders(session, datetime.now(timezone.utc))


def test_reminders_go_24_and_2_hours_before_once_each_and_not_to_who_said_no(chat, network, clock):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    chat(JUMA).send(f"NDIYO {code}")
    chat(AMINA).send(f"NON {code}")  # Tomás does not answer
    before = last_id(network)
    assert remind(network) == 0  # Wednesday: nothing due
    clock.move_to(datetime(2026, 11, 26, 9, 59, tzinfo=NAIROBI))
    assert remind(network) == 0  # one minute early
    clock.move_to(datetime(2026, 11, 26, 10, 0, tzinfo=NAIROBI))
    assert remind(network) == 1
    assert remind(network) == 0  # the job runs twice: sent once
    assert sent_to(network, JUMA, before) == [
        "Kumbusho: Cold chain, Ijumaa 27 Nov 10:00 (saa 4 asubuhi), Dunga Beach. Tutaonana huko!"]
    assert sent_to(network, str(TOMAS_TELEGRAM), before) == [
        f"Lembrete: Cold chain, sex. 27 nov. 10:00, Dunga Beach. Vem? Responda SIM {code} ou "
        f"NAO {code}."]
    assert sent_to(network, AMINA, before) == []
    before = last_id(network)
    clock.move_to(datetime(2026, 11, 27, 8, 0, tzinfo=NAIROBI))
    assert remind(network) == 1 and remind(network) == 0
    assert len(sent_to(network, JUMA, before)) == 1 and sent_to(network, AMINA, before) == []
    clock.move_to(datetime(2026, 11, 28, 8, 0, tzinfo=NAIROBI))
    assert remind(network) == 0
    assert all_meetings(network)[0].status == "held"  # its code is free again


def test_late_job_sends_only_the_nearest_reminder(chat, network, clock):
    call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    before = last_id(network)
    clock.move_to(datetime(2026, 11, 27, 8, 30, tzinfo=NAIROBI))  # the job was down since Wednesday
    assert remind(network) == 1
    assert len(sent_to(network, JUMA, before)) == 1


def test_meeting_called_less_than_a_day_ahead_gets_only_the_2_hour_reminder(chat, network, clock):
    call(chat, "MEETING tomorrow 9am Dunga Beach: Cold chain")
    with unit_of_work(network) as session:
        leads = sorted(r.lead_minutes for r in session.scalars(select(storage.Reminder)))
    assert leads == [120]


def test_reminder_job_runs_on_the_configured_database(chat, network, clock, job_database):
    call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    clock.move_to(datetime(2026, 11, 26, 10, 0, tzinfo=NAIROBI))
    meeting_handlers.reminders_job()
    meeting_handlers.reminders_job()
    assert sum("Kumbusho" in t for t in sent_to(network, JUMA)) == 1
    assert ("meeting-reminders", "handlers.meetings:reminders_job",
            {"trigger": "interval", "seconds": 60}) in meeting_handlers.JOBS


# --- Cancel and move -------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "word", "yes", "stopped", "told"), [
    ("en", "MEETING CANCEL", "YES", (JUMA, AMINA), "1 member will be told."),
    ("en", "MEETING CANCEL", "YES", (JUMA, AMINA, TOMAS), "0 members will be told."),
    ("sw", "MKUTANO GHAIRI", "NDIYO", (JUMA, AMINA), "Mwanachama 1 ataarifiwa."),
    ("fr", "REUNION ANNULER", "OUI", (JUMA, AMINA), "1 membre sera prévenu."),
    ("fr", "REUNION ANNULER", "OUI", (JUMA, AMINA, TOMAS), "0 membre sera prévenu."),
    ("pt", "REUNIAO CANCELAR", "SIM", (JUMA, AMINA), "1 membro será avisado."),
    ("pt", "REUNIAO CANCELAR", "SIM", (JUMA, AMINA, TOMAS), "0 membro será avisado."),
])
def test_coordinator_is_told_how_many_hear_of_it_in_the_singular_or_plural(
        chat, network, clock, lang, word, yes, stopped, told):
    """Those who sent STOP since the invitation are not told: one left, or none (French and
    Portuguese say 0 in the singular)."""
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    for phone in stopped:
        chat(phone).send("STOP")
    speak(network, GRACE, lang)
    grace = chat(GRACE, style="telegram")
    grace.send(f"{word} {code}")
    [done] = grace.send(yes)
    assert done.startswith(code_in_text(lang, code)) and done.endswith(told)


def code_in_text(lang, code):
    return {"en": f"Meeting {code}", "sw": f"Mkutano {code}", "fr": f"La réunion {code}",
            "pt": f"A reunião {code}"}[lang]


@pytest.mark.parametrize(("lang", "word", "yes"), [
    ("en", "MEETING CANCEL", "YES"), ("sw", "MKUTANO GHAIRI", "NDIYO"),
    ("fr", "REUNION ANNULER", "OUI"), ("pt", "REUNIAO CANCELAR", "SIM"),
])
def test_cancelled_meeting_is_told_to_everyone_invited(chat, network, clock, lang, word, yes):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    chat(AMINA).send(f"NON {code}")
    speak(network, GRACE, lang)
    grace = chat(GRACE)
    before = last_id(network)
    [question] = grace.send(f"{word} {code}")
    assert code in question and "3" in question
    [done] = grace.send(yes)
    assert done == translate(lang, meeting_handlers.TEXTS["meeting"]["is_cancelled"], code=code,
                             count=3)
    assert sent_to(network, JUMA, before) == [
        f"Imeghairiwa: mkutano Cold chain wa Ijumaa 27 Nov 10:00 (saa 4 asubuhi) ({code}) "
        "hautafanyika."]
    assert len(sent_to(network, AMINA, before)) == 1  # she said no, and is told too
    assert len(sent_to(network, str(TOMAS_TELEGRAM), before)) == 1
    assert all_meetings(network)[0].status == "cancelled"
    assert chat(JUMA).send(f"NDIYO {code}") == [
        translate("sw", "No open invitation has the code {code}.", code=code)]
    clock.move_to(datetime(2026, 11, 26, 10, 0, tzinfo=NAIROBI))
    before = last_id(network)
    assert remind(network) == 0 and sent_to(network, JUMA, before) == []
    assert [d["code"] for _, d in audit(network, "meeting.cancel")] == [code]


def test_cancel_can_be_called_off(chat, network):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    grace = chat(GRACE)
    grace.send(f"MEETING CANCEL {code}")
    assert grace.send("2") == ["OK, the meeting stays as it was."]
    assert all_meetings(network)[0].status == "scheduled"


def test_cancel_without_code_offers_the_upcoming_meetings(chat, network):
    call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    code = call(chat, "MEETING Sat 10am Dunga Beach: Prices")
    grace = chat(GRACE)
    [question] = grace.send("MEETING CANCEL")
    assert question.startswith("Which meeting?\n1) ") and f"2) {code} Prices" in question
    assert grace.send("2")[0].startswith(f"Cancel Prices ({code})")


@pytest.mark.parametrize(("lang", "word", "when", "yes"), [
    ("en", "MEETING MOVE", "Sat 9am", "YES"),
    ("sw", "MKUTANO HAMISHA", "Jumamosi saa tatu", "NDIYO"),
    ("fr", "REUNION DEPLACER", "samedi 9h", "OUI"), ("pt", "REUNIAO MUDAR", "sábado 9h", "SIM"),
])
def test_moved_meeting_is_told_to_everyone_and_reminded_at_the_new_time(chat, network, clock,
                                                                      lang, word, when, yes):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    chat(AMINA).send(f"NON {code}")
    speak(network, GRACE, lang)
    grace = chat(GRACE)
    before = last_id(network)
    [question] = grace.send(f"{word} {code} {when}")
    assert code in question
    [done] = grace.send(yes)
    assert code in done and "3" in done
    assert sent_to(network, JUMA, before) == [
        f"Mkutano {code} umehamishwa: Cold chain sasa ni Jumamosi 28 Nov 09:00 (saa 3 asubuhi), "
        f"Dunga Beach. Utahudhuria? Jibu NDIYO {code} au HAPANA {code}."]
    assert len(sent_to(network, AMINA, before)) == 1  # her no was for Friday: she may come now
    assert in_nairobi(all_meetings(network)[0].starts_at) == datetime(2026, 11, 28, 9,
                                                                      tzinfo=NAIROBI)
    clock.move_to(datetime(2026, 11, 26, 10, 0, tzinfo=NAIROBI))  # the old reminder's time
    assert remind(network) == 0
    clock.move_to(datetime(2026, 11, 27, 9, 0, tzinfo=NAIROBI))
    before = last_id(network)
    assert remind(network) == 1 and remind(network) == 0
    assert len(sent_to(network, JUMA, before)) == 1
    [(_, details)] = audit(network, "meeting.move")
    assert details["code"] == code


def test_move_without_a_time_asks_for_it(chat, network):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    grace = chat(GRACE)
    assert grace.send(f"MEETING MOVE {code}") == [
        "What day is the meeting? For example: Fri, 4 Dec, tomorrow."]
    assert grace.send("Monday") == ["At what time does it start? For example: 10am, 14:30."]
    assert grace.send("11am")[0].startswith("Move Cold chain")


def test_unknown_or_finished_meeting_cannot_be_moved(chat, network, clock):
    code = call(chat, "MEETING tomorrow 9am Dunga Beach: Cold chain")
    grace = chat(GRACE)
    assert grace.send("MEETING MOVE ZZZZ Sat 9am") == ["No meeting has the code ZZZZ."]
    clock.move_to(datetime(2026, 11, 26, 11, 0, tzinfo=NAIROBI))
    assert grace.send(f"MEETING MOVE {code} Sat 9am") == [f"Meeting {code} is over or cancelled."]


def test_coordinator_without_meetings_is_told_so(chat, network):
    assert chat(GRACE).send("MEETING LIST") == ["You have no upcoming meetings."]


# --- Attendance ------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "word"), [
    ("en", "MEETING LIST"), ("sw", "MKUTANO ORODHA"), ("fr", "REUNION LISTE"),
    ("pt", "REUNIAO LISTA"),
])
def test_attendance_counts_answers_and_names_who_comes(chat, network, lang, word):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    chat(JUMA).send(f"NDIYO {code}")
    chat(AMINA).send(f"NON {code}")
    speak(network, GRACE, lang)
    [attendance] = chat(GRACE).send(f"{word} {code}")
    starts = {"en": "Fri 27 Nov 10:00", "sw": "Ijumaa 27 Nov 10:00 (saa 4 asubuhi)",
              "fr": "ven. 27 nov. 10:00", "pt": "sex. 27 nov. 10:00"}[lang]
    assert attendance == as_sms(translate(lang, "{title} ({code}), {starts}. Yes: {yes_count}. No: "
                                          "{no_count}. No answer: {open_count}.",
                                    title="Cold chain", code=code, starts=starts, yes_count=1,
                                    no_count=1, open_count=1)
                             + "\n" + translate(lang, "Coming: {people}", people="Juma"))
    assert audit(network, "meeting.list")


def many_yes(factory, code, count):
    """`count` more members of Kisumu Fish, invited to the meeting and coming."""
    with unit_of_work(factory) as session:
        meeting = storage.by_code(session, code)
        for n in range(count):
            member = add_member(session, f"+2547330{n:05d}", "fisher", meeting.cluster, "sw",
                                f"Mwanachama Namba {n:03d}")
            session.add(storage.Invitation(meeting_id=meeting.id, member_id=member.id,
                                           answer="yes", answered_at=NOW))


def test_long_attendance_fits_two_sms(chat, network):
    code = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain and ice supply for processors")
    many_yes(network, code, 80)
    [attendance] = chat(GRACE).send(f"MEETING LIST {code}")
    assert count_segments(attendance) <= 2
    assert "Yes: 80. No: 0. No answer: 3." in attendance
    assert re.search(r"and \d+ more$", attendance)


def test_telegram_attendance_lists_everyone(engine, network):
    code = None
    with unit_of_work(network) as session:
        grace = members.find(session, phone=GRACE)
        grace.telegram_id = GRACE_TELEGRAM
    engine.handle(Inbound(channel="telegram", address=str(GRACE_TELEGRAM),
                          text="/meeting Fri 10am Dunga Beach: Cold chain"))
    engine.handle(Inbound(channel="telegram", address=str(GRACE_TELEGRAM), text="YES"))
    code = code_in(outbox_texts(network, str(GRACE_TELEGRAM))[-1])
    many_yes(network, code, 80)
    engine.handle(Inbound(channel="telegram", address=str(GRACE_TELEGRAM),
                          text=f"/meeting list {code}"))
    attendance = outbox_texts(network, str(GRACE_TELEGRAM))[-1]
    assert "Mwanachama Namba 079" in attendance and "more" not in attendance
    assert "\nNo answer yet: Amina, Juma, Tomás" in attendance


def outbox_texts(factory, address):
    return [m.text for m in outbox(factory) if m.address == address]


def test_codes_are_short_unambiguous_and_unique_among_scheduled_meetings(chat, network,
                                                                         monkeypatch):
    first = call(chat, "MEETING Fri 10am Dunga Beach: Cold chain")
    assert len(first) == 4 and not set(first) & set("0O1IL5S2Z8BUV")
    drawn = iter([first, first, "K7Q3"])
    monkeypatch.setattr(storage, "new_code", lambda: next(drawn))
    assert call(chat, "MEETING Sat 10am Dunga Beach: Prices") == "K7Q3"  # the taken one is skipped


def test_new_code_mixes_letters_and_digits():
    for _ in range(200):
        code = storage.new_code()
        assert len(code) == 4 and set(code) <= set(storage.CODE_ALPHABET)
        assert not code.isalpha() and not code.isdigit()


def test_meeting_is_sent_only_to_reachable_members_counted_in_the_question(chat, network):
    with unit_of_work(network) as session:
        session.execute(OutboundMessage.__table__.delete())
        members.find(session, phone=AMINA).sms_unreachable = True  # no channel left for her
    [question] = chat(GRACE).send("MEETING Fri 10am Dunga Beach: Cold chain")
    assert "to 2 members" in question


def test_title_may_start_with_a_keyword_word(chat, factory, kisumu, clock):
    """`Bei ya samaki` (fish prices) is a title, not the PRICE command."""
    from storage import members
    from storage.db import unit_of_work

    with unit_of_work(factory) as session:
        grace = members.get_or_create(session, phone=GRACE)
        grace.registered, grace.language, grace.name = True, "en", "Grace"
        members.add_role(session, grace, kisumu.id, "coordinator")
        juma = members.get_or_create(session, phone=JUMA)
        juma.registered, juma.language, juma.name = True, "sw", "Juma"
        members.add_role(session, juma, kisumu.id, "fisher")
    grace_chat = chat(GRACE)
    grace_chat.send("MEETING 2026-12-04 10:00 Dunga Beach")
    reply = grace_chat.send("Bei ya samaki")[0]
    assert "Bei ya samaki" in reply
