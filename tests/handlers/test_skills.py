"""Skills needs: Juma, Amina and Tomás say what they need to learn, Grace sees the counts, is
told when a skill is wanted by many, plans a training and sees who comes."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member, as_sms, lamu_crafts, outbox
from sqlalchemy import select

from handlers import dates
from handlers import meetings as meeting_handlers
from handlers import registration
from handlers import skills as skill_handlers
from locales.i18n import SHIPPED, fold, keyword_index, keyword_word, translate
from storage import clusters
from storage import meetings as meeting_store
from storage import members
from storage import skills as store
from storage.db import unit_of_work
from storage.meetings import Invitation, Meeting
from storage.models import AuditEntry, Member, OutboundMessage
from storage.skills import SkillNeed

NOTED = "Noted, you need: {needs}. We will tell you when a training is planned."
OFFER = "Which skill do you need? Send a number, or write it."
START = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)  # Tuesday 1 Dec, 09:00 in Kisumu
TZ = "Africa/Nairobi"
TRAINING = meeting_handlers.TEXTS["training"]
TRAINING_WORD = {"en": "TRAINING", "sw": "MAFUNZO", "fr": "FORMATION", "pt": "FORMACAO"}
ASKERS = ["+254722000011", "+254722000012", "+254722000013", "+254722000014", "+254722000015",
          "+254722000016"]




@pytest.fixture
def network(factory, kisumu):
    """Kisumu Fish: Grace coordinates it; Juma (fisher, sw), Amina (processor, fr), Tomás
    (craftsperson, en) and Rosa (trader, pt) are members. Lamu Crafts has its own coordinator."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        lamu = lamu_crafts(session)
        add_member(session, GRACE, "trader", kisumu, "en", "Grace", coordinator=True)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma")
        add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina")
        add_member(session, TOMAS, "craftsperson", kisumu, "en", "Tomás")
        add_member(session, "+254722000005", "trader", kisumu, "pt", "Rosa")
        add_member(session, "+254722000006", "craftsperson", lamu, "en", "Halima",
                   coordinator=True)
    return factory


ROSA = "+254722000005"
HALIMA = "+254722000006"  # coordinator of Lamu Crafts


def needs(factory) -> set[tuple[str, str | None, str]]:
    """(phone, skill, words) of every need recorded."""
    with unit_of_work(factory) as session:
        rows = session.execute(select(Member.phone, SkillNeed.skill, SkillNeed.wording)
                               .join(Member, Member.id == SkillNeed.member_id))
        return {tuple(row) for row in rows}


def notices_to(factory, phone) -> list[str]:
    return [m.text for m in outbox(factory) if m.address == phone and m.kind == "notice"]


def audit_actions(factory) -> list[tuple[str, dict]]:
    with unit_of_work(factory) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.action, e.details) for e in entries]


def many_ask(chat, network, text, count):
    """`count` more fishers of Kisumu Fish send `text`."""
    with unit_of_work(network) as session:
        kisumu = clusters.by_slug(session, "kisumu-fish")
        for phone in ASKERS[:count]:
            if members.find(session, phone=phone) is None:
                add_member(session, phone, "fisher", kisumu, "en", f"Fisher {phone[-2:]}")
    for phone in ASKERS[:count]:
        chat(phone).send(text)


# --- NEED -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("phone", "lang", "text"), [
    (TOMAS, "en", "NEED bookkeeping"),
    (JUMA, "sw", "HITAJI uhasibu"),
    (AMINA, "fr", "BESOIN comptabilité"),
    (ROSA, "pt", "PRECISO contabilidade"),
])
def test_need_in_each_language_is_bookkeeping_and_acknowledged_in_it(chat, network, phone, lang,
                                                                    text):
    bookkeeping = skill_handlers.skill_name("bookkeeping", lang)
    assert chat(phone).send(text) == [as_sms(translate(lang, NOTED, needs=bookkeeping))]
    assert needs(network) == {(phone, "bookkeeping", text.split(" ", 1)[1])}


def test_need_with_two_skills_records_each(chat, network):
    reply = chat(TOMAS).send("NEED bookkeeping and marketing")[0]
    assert reply == translate("en", NOTED, needs="Bookkeeping, Marketing")
    assert {skill for _, skill, _ in needs(network)} == {"bookkeeping", "marketing"}


def test_need_in_a_sentence_with_typos_finds_the_skills(chat, network):
    chat(JUMA).send("HITAJI mafunzo ya uhasibu, masoko na usafi wa samaki")
    chat(TOMAS).send("NEED training on bookeeping, marketting")
    assert needs(network) == {
        (JUMA, "bookkeeping", "mafunzo ya uhasibu"), (JUMA, "marketing", "masoko"),
        (JUMA, "fish_handling", "usafi wa samaki"),
        (TOMAS, "bookkeeping", "training on bookeeping"), (TOMAS, "marketing", "marketting")}


def test_unknown_need_is_kept_as_written(chat, network):
    reply = chat(TOMAS).send("NEED bamboo furniture and bookkeeping")[0]
    assert reply == translate("en", NOTED, needs="bamboo furniture, Bookkeeping")
    assert needs(network) == {(TOMAS, None, "bamboo furniture"),
                              (TOMAS, "bookkeeping", "bookkeeping")}


def test_need_alone_offers_the_skills_of_the_members_trade(chat, network):
    juma = chat(JUMA)
    offer = juma.send("HITAJI")[0]
    assert offer.startswith(translate("sw", OFFER))
    assert "1) Usafi wa samaki 2) Mnyororo wa baridi 3) Zana za uvuvi" in offer
    assert juma.send("2") == [translate("sw", NOTED, needs="Mnyororo wa baridi")]
    assert needs(network) == {(JUMA, "cold_chain", "Mnyororo wa baridi")}


def test_offered_skill_can_be_answered_in_words(chat, network):
    amina = chat(AMINA)
    assert "1) Hygiène du poisson" in amina.send("besoin")[0]
    amina.send("emballage et comptabilité")
    assert {skill for _, skill, _ in needs(network)} == {"packaging", "bookkeeping"}


def test_offered_skills_are_asked_again_when_the_answer_has_none(chat, network):
    tomas = chat(TOMAS)
    tomas.send("NEED")
    again = tomas.send("9")[0]  # there are 8 choices; a number is not a need
    assert again.startswith(translate("en", "Please write the skill you need, e.g. bookkeeping."))
    assert translate("en", OFFER) in again
    assert needs(network) == set()


def test_need_from_unregistered_member_asks_to_register(chat, network):
    with unit_of_work(network) as session:
        session.add(Member(phone="+254722000099", language="en"))  # wrote before, never joined
    reply = chat("+254722000099").send("NEED bookkeeping")
    assert reply == [translate("en", "You are not registered yet. Send {join} to register.",
                               join="JOIN")]
    assert needs(network) == set()


@pytest.mark.parametrize(("text", "why"), [
    ("NEED 😀😀😀", None),
    ("NEED 12345", None),
    ("NEED training", None),
    ("NEED " + "beekeeping " * 1000, "Please describe each need in a few words."),
    ("NEED beekeeping, welding, sewing, baking, driving, english",
     skill_handlers.AT_MOST_NEEDS),
])
def test_bad_need_gets_the_offer_with_a_hint_and_writes_nothing(chat, network, text, why):
    reply = chat(TOMAS).send(text)[0]
    assert translate("en", OFFER) in reply and "1) Craft techniques" in reply
    if why:
        assert reply.startswith(translate("en", why, count=5))
    assert needs(network) == set()


def test_need_with_sql_is_kept_as_plain_words(chat, network):
    chat(TOMAS).send("NEED '); DROP TABLE skill_needs; --")
    assert needs(network) == {(TOMAS, None, "DROP TABLE skill_needs")}


def test_same_member_asking_twice_counts_once(chat, network, kisumu):
    juma = chat(JUMA)
    juma.send("HITAJI uhasibu")
    juma.send("NEED bookkeeping")
    juma.send("HITAJI mafunzo ya uhasibu")
    chat(AMINA).send("BESOIN comptabilité")
    with unit_of_work(network) as session:
        assert store.skill_counts(session, kisumu.id) == {"bookkeeping": 2}
    assert len(needs(network)) == 2


# --- Telling coordinators -------------------------------------------------------------------

def test_threshold_tells_the_coordinators_once(chat, network):
    told = translate("en", skill_handlers.THRESHOLD_REACHED, count=5, cluster="Kisumu Fish",
                     skill="Bookkeeping", skills="SKILLS")
    many_ask(chat, network, "NEED bookkeeping", 3)
    chat(JUMA).send("HITAJI uhasibu")
    chat(JUMA).send("HITAJI uhasibu")  # the same member twice: still 4
    assert notices_to(network, GRACE) == []
    chat(AMINA).send("BESOIN comptabilité")
    assert notices_to(network, GRACE) == [told]
    chat(TOMAS).send("NEED bookkeeping")
    many_ask(chat, network, "NEED bookkeeping", 5)
    assert notices_to(network, GRACE) == [told]
    assert notices_to(network, HALIMA) == []  # the coordinator of another cluster


def test_members_who_deleted_their_data_are_not_counted(chat, network, kisumu):
    chat(JUMA).send("HITAJI uhasibu")
    chat(AMINA).send("BESOIN comptabilité")
    chat(JUMA).send("FUTA")
    chat(JUMA).send("1")
    with unit_of_work(network) as session:
        assert store.skill_counts(session, kisumu.id) == {"bookkeeping": 1}


def test_alerts_job_tells_on_the_configured_database(chat, network, kisumu, job_database):
    chat(JUMA).send("HITAJI uhasibu")
    with unit_of_work(network) as session:
        store.set_threshold(session, kisumu.id, 1)
    skill_handlers.alerts_job()
    skill_handlers.alerts_job()
    assert len(notices_to(network, GRACE)) == 1


def test_threshold_is_per_cluster_and_late_alerts_are_caught_up(chat, network, kisumu):
    chat(JUMA).send("HITAJI uhasibu")
    chat(AMINA).send("BESOIN comptabilité")
    assert notices_to(network, GRACE) == []
    with unit_of_work(network) as session:
        store.set_threshold(session, kisumu.id, 2)
        assert skill_handlers.alert_all(session) == 1
    with unit_of_work(network) as session:
        assert skill_handlers.alert_all(session) == 0  # run twice: told once
    assert notices_to(network, GRACE) == [translate(
        "en", skill_handlers.THRESHOLD_REACHED, count=2, cluster="Kisumu Fish",
        skill="Bookkeeping", skills="SKILLS")]


# --- SKILLS ---------------------------------------------------------------------------------

def ask_some(chat):
    chat(JUMA).send("HITAJI uhasibu na masoko")
    chat(AMINA).send("BESOIN comptabilité")
    chat(TOMAS).send("NEED bamboo furniture")
    chat(ROSA).send("PRECISO moveis de bambu")


@pytest.mark.parametrize("lang", SHIPPED)
def test_skills_report_in_each_language_counts_members(chat, network, lang):
    ask_some(chat)
    chat(TOMAS).send("NEED bamboo furniture making")  # similar to his first: still one member
    with unit_of_work(network) as session:
        members.find(session, phone=GRACE).language = lang
    [report] = chat(GRACE).send(keyword_word("skills", lang))
    bookkeeping = skill_handlers.skill_name("bookkeeping", lang)
    marketing = skill_handlers.skill_name("marketing", lang)
    assert report == as_sms(translate(
        lang, "Skills needed in {cluster} (members asking): {needs}. To plan a training: "
        "{skills} TRAINING skill date time place", cluster="Kisumu Fish",
        needs=f'{bookkeeping} 2, {marketing} 1, "bamboo furniture" 1, "moveis de bambu" 1',
        skills=keyword_word("skills", lang)))
    assert ("skills.report", {"needs": 4}) in audit_actions(network)


def test_skills_report_fits_two_sms_with_many_needs(chat, network, kisumu):
    with unit_of_work(network) as session:
        for member_id in session.scalars(select(Member.id)):
            for need in skill_handlers.read_needs(
                    "bookkeeping, marketing, pricing, packaging, design, beekeeping, "
                    "boat building, mushroom growing in sacks, soap making, solar power for "
                    "cold rooms, poultry, fish leather tanning, net making from plastic, "
                    "hair dressing, phone repair"):
                store.add_need(session, cluster_id=kisumu.id, member_id=member_id,
                               skill=need.skill, topic=need.topic, wording=need.wording)
    [report] = chat(GRACE).send("SKILLS")
    assert len(report) <= 306 and report.count(" 6, ") >= 8
    assert re.search(r" 6 \+\d\. To plan a training: SKILLS TRAINING skill date time place$",
                     report)


def test_skills_report_with_no_needs_says_so(chat, network):
    assert chat(GRACE).send("SKILLS") == [translate("en", "No skills needs yet in {cluster}.",
                                                    cluster="Kisumu Fish")]


def test_skills_is_refused_to_members_and_to_coordinators_of_other_clusters(chat, network):
    refusal = "Sorry, only a coordinator of that cluster can do this."
    ask_some(chat)
    assert chat(JUMA).send("UJUZI") == [translate("sw", refusal)]
    assert chat(AMINA).send("COMPETENCES kisumu-fish") == [translate("fr", refusal)]
    assert chat(HALIMA).send("SKILLS kisumu-fish") == [translate("en", refusal)]
    assert chat(HALIMA).send("SKILLS") == [translate("en", "No skills needs yet in {cluster}.",
                                                     cluster="Lamu Crafts")]
    assert [a for a, _ in audit_actions(network)] == ["skills.report"]  # Halima's own


def test_coordinator_of_several_clusters_may_name_one(chat, network):
    with unit_of_work(network) as session:
        grace = members.find(session, phone=GRACE)
        members.add_role(session, grace, clusters.by_slug(session, "lamu-crafts").id, "coordinator")
    ask_some(chat)
    both = chat(GRACE).send("SKILLS")
    assert len(both) == 2 and "Kisumu Fish" in both[0] and "Lamu Crafts" in both[1]
    [one] = chat(GRACE).send("SKILLS Lamu Crafts")
    assert one == translate("en", "No skills needs yet in {cluster}.", cluster="Lamu Crafts")


# --- Trainings: meetings about a skill, for the members who asked for it --------------------

DEC_10 = datetime(2026, 12, 10, 7, 0, tzinfo=timezone.utc)  # Thursday 10 Dec, 10:00 in Kisumu
INVITED = {JUMA: "sw", AMINA: "fr", TOMAS: "en", ROSA: "pt"}
REFUSAL = "Sorry, only a coordinator of that cluster can do this."
PLANNED = skill_handlers.PLANNED
ATTENDANCE = ("{title} ({code}), {starts}. Yes: {yes_count}. No: {no_count}. No answer: "
              "{open_count}.")


def code_of(factory) -> str:
    with unit_of_work(factory) as session:
        return session.scalars(select(Meeting.code).where(Meeting.kind == "training")
                               .order_by(Meeting.id.desc())).first()


def training(factory, code) -> Meeting:
    with unit_of_work(factory) as session:
        found = meeting_store.by_code(session, code)
        session.expunge(found)
        return found


def answers_of(factory) -> dict[str, str | None]:
    with unit_of_work(factory) as session:
        rows = session.execute(select(Member.phone, Invitation.answer)
                               .join(Member, Member.id == Invitation.member_id))
        return dict(rows.all())


def sent_to(factory, phone) -> list[str]:
    """What was queued to the member (not the replies in the terminal)."""
    with unit_of_work(factory) as session:
        return list(session.scalars(select(OutboundMessage.text).where(
            OutboundMessage.address == phone, OutboundMessage.channel != "console")
            .order_by(OutboundMessage.id)))


def shown(moment, lang) -> str:
    return dates.format_when(moment, TZ, lang)


def speak(factory, phone, lang):
    with unit_of_work(factory) as session:
        members.find(session, phone=phone).language = lang


def all_ask_bookkeeping(chat):
    """A member in each language asks for bookkeeping."""
    chat(JUMA).send("HITAJI uhasibu")
    chat(AMINA).send("BESOIN comptabilité")
    chat(TOMAS).send("NEED bookkeeping")
    chat(ROSA).send("PRECISO contabilidade")


def plan_bookkeeping(chat, network, lang):
    """Grace plans a bookkeeping training at Dunga on 10 Dec, in her language; returns its code."""
    bookkeeping = skill_handlers.skill_name("bookkeeping", lang)
    chat(GRACE).send(f"{keyword_word('skills', lang)} {TRAINING_WORD[lang]} {bookkeeping} 10/12 "
                     "10:00 Dunga")
    return code_of(network)


def test_training_invites_the_members_who_asked_each_in_their_language(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        [planned] = chat(GRACE).send("SKILLS TRAINING bookkeeping 2026-12-10 10:00 Kisumu Hall")
        code = code_of(network)
        assert planned == translate("en", PLANNED, skill="Bookkeeping", when="Thu 10 Dec 10:00",
                                    place="Kisumu Hall", count=2, skills="SKILLS", code=code)
        assert sent_to(network, JUMA) == [translate(
            "sw", TRAINING["invitation"], title="Uhasibu", starts=shown(DEC_10, "sw"),
            place="Kisumu Hall", accept=f"NDIYO {code}", decline=f"HAPANA {code}")]
        assert f"OUI {code} ou NON {code}" in sent_to(network, AMINA)[0]
        assert sent_to(network, TOMAS) == [] and sent_to(network, ROSA) == []
        found = training(network, code)
        assert (found.kind, found.skill, found.starts_at) == ("training", "bookkeeping", DEC_10)
        assert ("skills.training", {
            "code": code, "skill": "bookkeeping", "topic": "bookkeeping", "place": "Kisumu Hall",
            "starts_at": "2026-12-10T07:00:00+00:00", "invited": 2}) in audit_actions(network)


def test_invited_members_answer_and_the_coordinator_sees_who_comes(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        chat(GRACE).send("SKILLS TRAINING bookkeeping 10/12 10:00 Dunga Beach")
        code = code_of(network)
        assert chat(JUMA).send(f"NDIYO {code}") == [translate(
            "sw", TRAINING["coming"], title="Uhasibu", starts=shown(DEC_10, "sw"),
            place="Dunga Beach")]
        assert chat(AMINA).send("non")[0].startswith("Merci de nous avoir")  # bare NO: the newest
        assert answers_of(network) == {JUMA: "yes", AMINA: "no"}
        [seen] = chat(GRACE).send(f"SKILLS {code.lower()}")
        assert seen == translate("en", ATTENDANCE, title="Bookkeeping", code=code,
                                 starts="Thu 10 Dec 10:00", yes_count=1, no_count=1,
                                 open_count=0) + "\n" + translate("en", "Coming: {people}",
                                                                  people="Juma")
        assert chat(JUMA).send(f"UJUZI {code}") == [translate("sw", REFUSAL)]
        assert chat(HALIMA).send(f"SKILLS {code}") == [translate("en", REFUSAL)]


@pytest.mark.parametrize(("lang", "command", "yes"), [
    ("sw", "UJUZI MAFUNZO uhasibu 10/12 saa 10:00 Dunga", "NDIYO"),
    ("fr", "COMPETENCES FORMATION comptabilité 10 déc. 10h Dunga", "OUI"),
    ("pt", "COMPETENCIAS FORMACAO contabilidade 10 de dezembro 10:00 Dunga", "SIM"),
    ("en", "SKILLS TRAINING book keeping Dec 10 10am Dunga", "YES"),
])
def test_training_command_and_answers_in_each_language(chat, network, lang, command, yes):
    with time_machine.travel(START, tick=False):
        for phone in (GRACE, ROSA, TOMAS):
            speak(network, phone, lang)
        bookkeeping = skill_handlers.skill_name("bookkeeping", lang)
        chat(ROSA).send(f"{keyword_word('need', lang)} {bookkeeping}")
        [planned] = chat(GRACE).send(command)
        code = code_of(network)
        assert planned.endswith(f"{keyword_word('skills', lang)} {code}.")
        assert f"{yes} {code}" in sent_to(network, ROSA)[0]
        chat(ROSA).send(f"{yes.lower()} {code}")
        chat(TOMAS).send(f"{keyword_word('no', lang)} {code}")  # not invited: of the cluster
        assert answers_of(network) == {ROSA: "yes", TOMAS: "no"}
        assert training(network, code).starts_at == DEC_10
        assert chat(GRACE).send(f"{keyword_word('skills', lang)} {code}") == [as_sms(
            translate(lang, ATTENDANCE, title=bookkeeping, code=code, starts=shown(DEC_10, lang),
                      yes_count=1, no_count=1, open_count=0)
            + "\n" + translate(lang, "Coming: {people}", people="Rosa"))]


def test_half_a_training_command_asks_for_the_missing_parts(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        grace = chat(GRACE)
        topic = grace.send("SKILLS TRAINING")[0]
        assert topic.startswith(translate("en", "Which skill is the training for? Send a "
                                                "number, or write it."))
        assert "1) Bookkeeping 2) Marketing" in topic
        when = translate("en", "When is the training? Send the date and time, e.g. 10/12 10:00.")
        assert grace.send("1") == [when]
        assert grace.send("someday") == [translate("en", "I could not read that date.") + "\n"
                                         + when]
        assert grace.send("10/12") == [translate("en", "At what time does it start? For "
                                                       "example: 10am, 14:30.")]
        assert grace.send("25:00")[0].startswith(translate("en", "I could not read that time."))
        assert grace.send("2pm") == [translate("en", "Where is the training?")]
        assert grace.send("😀")[0].startswith(translate("en", "Please send the name of a place."))
        assert grace.send("Dunga Beach")[0].startswith("Training planned: Bookkeeping, Thu 10 Dec "
                                                       "14:00, Dunga Beach. 2 members")


def test_training_in_the_past_or_too_far_ahead_is_asked_again(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        grace = chat(GRACE)
        passed = grace.send("SKILLS TRAINING bookkeeping 2026-11-30 10:00 Kisumu")[0]
        assert passed.startswith(translate("en", "That time has passed.") + "\n"
                                 + translate("en", "Which day and time do you mean?"))
        assert "1) Tue 30 Nov 10:00" in passed  # next year's, offered
        far = grace.send("10/12/2031 10:00")[0]
        assert far.startswith(translate("en", "I could not read that date."))
        assert grace.send("kesho 10:00")[0].startswith(
            "Training planned: Bookkeeping, Wed 2 Dec 10:00, Kisumu.")


def test_training_reads_swahili_time_and_asks_which_hour_is_meant(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        grace = chat(GRACE)
        which = grace.send("SKILLS TRAINING bookkeeping kesho saa mbili Dunga")[0]
        assert which.startswith(translate("en", "Which day and time do you mean?"))
        assert "1) Wed 2 Dec 08:00 2) Wed 2 Dec 20:00" in which  # saa mbili: 8:00 or 20:00
        assert grace.send("2")[0].startswith(
            "Training planned: Bookkeeping, Wed 2 Dec 20:00, Dunga.")


def test_training_date_with_dots_is_read_before_its_time(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        [planned] = chat(GRACE).send("SKILLS TRAINING bookkeeping 10.12 10:00 Dunga")
        assert planned.startswith("Training planned: Bookkeeping, Thu 10 Dec 10:00, Dunga.")


def test_training_for_a_need_in_members_own_words_invites_those_who_wrote_it(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        chat(GRACE).send("SKILLS TRAINING bamboo furniture 10/12 10:00 Kisumu")
        code = code_of(network)
        assert sent_to(network, TOMAS) == [translate(
            "en", TRAINING["invitation"], title="bamboo furniture", starts="Thu 10 Dec 10:00",
            place="Kisumu", accept=f"YES {code}", decline=f"NO {code}")]
        assert sent_to(network, JUMA) == []


def test_member_asking_after_a_training_is_planned_is_invited_at_once(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        chat(GRACE).send("SKILLS TRAINING marketing 10/12 10:00 Kisumu")
        code = code_of(network)
        noted, invitation = chat(TOMAS).send("NEED marketing")
        assert noted == translate("en", NOTED, needs="Marketing")
        assert invitation.endswith(f"Reply YES {code} or NO {code}.")
        assert chat(TOMAS).send("yes") == [translate(
            "en", TRAINING["coming"], title="Marketing", starts="Thu 10 Dec 10:00",
            place="Kisumu")]


def test_member_of_the_cluster_may_answer_with_the_code_without_an_invitation(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        chat(GRACE).send("SKILLS TRAINING marketing 10/12 10:00 Kisumu")
        code = code_of(network)
        chat(ROSA).send(f"SIM {code}")
        assert chat(HALIMA).send(f"YES {code}") == [translate(
            "en", "No open invitation has the code {code}.", code=code)]
        assert answers_of(network) == {JUMA: None, ROSA: "yes"}


def test_training_that_has_started_takes_no_more_answers(chat, network):
    with time_machine.travel(START, tick=False):
        ask_some(chat)
        chat(GRACE).send("SKILLS TRAINING bookkeeping 10/12 10:00 Kisumu")
        code = code_of(network)
    with time_machine.travel(datetime(2026, 12, 10, 8, 0, tzinfo=timezone.utc), tick=False):
        assert chat(JUMA).send(f"NDIYO {code}") == [translate(
            "sw", "No open invitation has the code {code}.", code=code)]
        assert chat(AMINA).send("OUI") == [translate("fr", "You have no open invitation to "
                                                           "answer.")]


def test_coordinator_of_several_clusters_is_asked_which_one(chat, network):
    with time_machine.travel(START, tick=False):
        with unit_of_work(network) as session:
            grace = members.find(session, phone=GRACE)
            members.add_role(session, grace, clusters.by_slug(session, "lamu-crafts").id,
                             "coordinator")
        grace = chat(GRACE)
        question = grace.send("SKILLS TRAINING design 10/12 10:00 Lamu")[0]
        assert question.startswith(translate("en", "Which cluster is the training for?"))
        assert grace.send("2")[0].startswith("Training planned: Product design, Thu 10 Dec")
        with unit_of_work(network) as session:
            assert meeting_store.by_code(session, code_of(network)).cluster_id == \
                clusters.by_slug(session, "lamu-crafts").id


# --- Moving, cancelling and reminding a training, as a meeting ------------------------------

@pytest.mark.parametrize("lang", SHIPPED)
def test_training_is_moved_and_everyone_invited_is_told_in_their_language(chat, network, lang):
    moved = datetime(2026, 12, 11, 11, 0, tzinfo=timezone.utc)  # Friday 11 Dec, 14:00 in Kisumu
    with time_machine.travel(START, tick=False):
        speak(network, GRACE, lang)
        all_ask_bookkeeping(chat)
        code = plan_bookkeeping(chat, network, lang)
        before = {phone: len(sent_to(network, phone)) for phone in INVITED}
        move = meeting_handlers.action_word("move", lang)
        [question] = chat(GRACE).send(f"{keyword_word('skills', lang)} {move} {code} 11/12 14:00")
        assert code in question and " 4 " in question
        assert chat(GRACE).send("1") == [as_sms(translate(
            lang, TRAINING["is_moved"], code=code, count=4, starts=shown(moved, lang)))]
        for phone, their in INVITED.items():
            assert sent_to(network, phone)[before[phone]:] == [translate(
                their, TRAINING["moved"], code=code, place="Dunga", starts=shown(moved, their),
                title=skill_handlers.skill_name("bookkeeping", their),
                accept=f"{keyword_word('yes', their)} {code}",
                decline=f"{keyword_word('no', their)} {code}")]
        assert training(network, code).starts_at == moved
        with unit_of_work(network) as session:
            due = set(session.scalars(select(meeting_store.Reminder.due_at)))
        assert due == {moved - timedelta(hours=24), moved - timedelta(hours=2)}


@pytest.mark.parametrize("lang", SHIPPED)
def test_training_is_cancelled_and_everyone_invited_is_told_in_their_language(chat, network,
                                                                              lang):
    with time_machine.travel(START, tick=False):
        speak(network, GRACE, lang)
        all_ask_bookkeeping(chat)
        code = plan_bookkeeping(chat, network, lang)
        before = {phone: len(sent_to(network, phone)) for phone in INVITED}
        cancel = meeting_handlers.action_word("cancel", lang)
        chat(GRACE).send(f"{keyword_word('meeting', lang)} {cancel} {code}")
        assert chat(GRACE).send("1") == [as_sms(translate(
            lang, TRAINING["is_cancelled"], code=code, count=4))]
        for phone, their in INVITED.items():
            assert sent_to(network, phone)[before[phone]:] == [translate(
                their, TRAINING["cancelled"], code=code, starts=shown(DEC_10, their),
                title=skill_handlers.skill_name("bookkeeping", their))]
        assert training(network, code).status == "cancelled"
        assert chat(JUMA).send(f"NDIYO {code}") == [translate(
            "sw", "No open invitation has the code {code}.", code=code)]


def test_training_is_neither_moved_nor_cancelled_by_others(chat, network):
    with time_machine.travel(START, tick=False):
        all_ask_bookkeeping(chat)
        code = plan_bookkeeping(chat, network, "en")
        assert chat(JUMA).send(f"UJUZI GHAIRI {code}") == [translate("sw", REFUSAL)]
        assert chat(AMINA).send(f"REUNION DEPLACER {code} 11/12 14h") == [
            as_sms(translate("fr", REFUSAL))]
        assert chat(HALIMA).send(f"MEETING MOVE {code} 11/12 14:00") == [translate("en", REFUSAL)]
        assert chat(HALIMA).send(f"SKILLS CANCEL {code}") == [translate("en", REFUSAL)]
        found = training(network, code)
        assert (found.status, found.starts_at) == ("scheduled", DEC_10)


def test_training_reminders_go_to_those_coming_and_those_who_have_not_answered(chat, network):
    with time_machine.travel(START, tick=False):
        all_ask_bookkeeping(chat)
        code = plan_bookkeeping(chat, network, "en")
        chat(JUMA).send(f"NDIYO {code}")
        chat(AMINA).send(f"NON {code}")
        before = {phone: len(sent_to(network, phone)) for phone in INVITED}
    with unit_of_work(network) as session:
        assert meeting_handlers.send_reminders(session, DEC_10 - timedelta(hours=23)) == 1
    new = {phone: sent_to(network, phone)[before[phone]:] for phone in INVITED}
    assert new[JUMA] == [translate("sw", meeting_handlers.REMINDER_COMING, title="Uhasibu",
                                   starts=shown(DEC_10, "sw"), place="Dunga")]
    assert new[AMINA] == []
    assert new[ROSA] == [translate("pt", meeting_handlers.REMINDER_WAITING, title="Contabilidade",
                                   starts=shown(DEC_10, "pt"), place="Dunga",
                                   accept=f"SIM {code}", decline=f"NAO {code}")]
    assert len(new[TOMAS]) == 1


# --- Telegram -------------------------------------------------------------------------------

def test_need_and_skills_with_telegram_buttons(chat, network, kisumu):
    with unit_of_work(network) as session:
        add_member(session, None, "craftsperson", session.merge(kisumu), "en", "Wanjiru",
                   telegram_id=5550001)
        grace = members.find(session, phone=GRACE)
        grace.telegram_id = 5550002
    wanjiru = chat("5550001", style="telegram")
    offer = wanjiru.send("/need")[0]
    assert "1)" not in offer and "[Craft techniques]" in offer
    assert wanjiru.press(2) == [translate("en", NOTED, needs="Product design")]
    [report] = chat("5550002", style="telegram").send("/skills")
    assert "Product design 1" in report


# --- The catalog ----------------------------------------------------------------------------

def test_catalog_names_are_read_back_as_their_skill():
    for slug, skill in skill_handlers.catalog().items():
        for names in skill.names.values():
            for name in names:
                assert [n.skill for n in skill_handlers.read_needs(name)] == [slug], name


def test_catalog_labels_are_short_and_no_name_starts_with_a_command():
    for skill in skill_handlers.catalog().values():
        for lang, names in skill.names.items():
            assert len(names[0]) <= 26, names[0]
            for name in names:
                assert fold(name.split()[0]) not in keyword_index(), name


def test_every_role_is_offered_its_skills_without_cutting_any():
    for role in registration.ROLES:
        listed = [s.slug for s in skill_handlers.catalog().values() if role in s.roles]
        assert 1 <= len(listed) <= skill_handlers.OFFERED
        assert skill_handlers.offered([role]) == listed
    assert len(skill_handlers.catalog()) >= 20


# --- The command line -----------------------------------------------------------------------

def test_cli_report_lists_needs_per_cluster(chat, network, clusterbot):
    ask_some(chat)
    result = clusterbot("skills", "report")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "kisumu-fish (Kisumu Fish): coordinators are told at 5 members",
        "     2  Bookkeeping  (uhasibu; comptabilité)",
        "     1  Marketing  (masoko)",
        "     1  other: bamboo furniture  (bamboo furniture)",
        "     1  other: moveis de bambu  (moveis de bambu)",
        "lamu-crafts (Lamu Crafts): coordinators are told at 5 members",
        "  no needs yet",
    ]


def test_cli_report_as_csv_for_one_cluster(chat, network, clusterbot):
    ask_some(chat)
    chat(TOMAS).send("NEED bamboo furniture making")
    result = clusterbot("skills", "report", "--cluster", "kisumu-fish", "--csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "cluster,skill,members,examples",
        "kisumu-fish,bookkeeping,2,uhasibu; comptabilité",
        "kisumu-fish,marketing,1,masoko",
        "kisumu-fish,other: bamboo furniture,1,bamboo furniture; bamboo furniture making",
        "kisumu-fish,other: moveis de bambu,1,moveis de bambu",
    ]


def test_cli_report_of_unknown_cluster_fails(network, clusterbot):
    result = clusterbot("skills", "report", "--cluster", "nowhere")
    assert result.exit_code == 1 and result.stderr == "error: no cluster nowhere\n"


def test_cli_threshold_tells_coordinators_of_skills_already_there(chat, network, clusterbot):
    ask_some(chat)
    result = clusterbot("skills", "threshold", "2", "--cluster", "kisumu-fish")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("kisumu-fish: coordinators are told when 2 members need a skill; "
                             "told now about: bookkeeping.\n")
    assert len(notices_to(network, GRACE)) == 1
    assert clusterbot("skills", "threshold", "0", "--cluster", "kisumu-fish").exit_code == 2
    assert "2 members" in clusterbot("skills", "report").stdout
