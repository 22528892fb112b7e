"""`clusterbot survey import|send|close|results`: what a researcher types, what it prints, what
the database holds. Members answering over SMS and Telegram are in
tests/channels/test_survey_sending.py."""
import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from doubles.server import serve
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member
from sqlalchemy import func, insert, select
from surveyforms import (FISH_LOSSES_CHOICES, FISH_LOSSES_SETTINGS, FISH_LOSSES_SURVEY, fish_losses,
                         row, write_form)

from bot.app import create_app
from handlers.surveys import sending
from storage import clusters
from storage.db import unit_of_work
from storage.market import CODE_ALPHABET
from storage.models import AuditEntry, Member, Membership, utcnow
from storage.surveys import Respondent, Survey

AKINYI, BARAKA = "+254722000013", "+254722000010"
NAIROBI = ZoneInfo("Africa/Nairobi")
QUESTION_LINES = [
    "  1. intro  (note): Thank you for helping the study of fish losses.",
    "  2. uses_ice  (select_one, required, 2 choices): Do you keep your fish on ice?",
    "  3. why_no_ice  (select_multiple, when ${uses_ice} = 'no', 3 choices): Why not? Choose "
    "all that apply.",
    "  4. loss_kg  (integer, required, check . >= 0 and . <= 1000): How many kg of fish did you "
    "lose last week?",
    "  5. price_kg  (decimal, check . > 0): What price per kg did you get last week?",
    "  6. last_trip  (date, check . <= today()): When did you last go out fishing?",
    "  7. storage  (select_one, when ${loss_kg} > 50, 3 choices): Where do you keep the catch "
    "before selling?",
    "  8. loss_level  (calculate): if(${loss_kg} > 100, 'high', 'low')",
    "  9. idea  (text): What would help you lose less fish?",
]


@pytest.fixture
def members(factory, kisumu):
    """Kisumu Fish: Juma and Tomás fish (Juma reads Swahili, Tomás Portuguese), Amina processes
    fish (English), Grace coordinates (French, a fisher too); Akinyi fishes but opted out,
    Baraka fishes but deleted his account."""
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        add_member(session, JUMA, "fisher", cluster, "sw", "Juma", place="Kisumu")
        add_member(session, TOMAS, "fisher", cluster, "pt", "Tomás", place="Homa Bay")
        add_member(session, AMINA, "fish_processor", cluster, "en", "Amina", place="Kisumu")
        add_member(session, GRACE, "fisher", cluster, "fr", "Grace", coordinator=True)
        add_member(session, AKINYI, "fisher", cluster, "sw", "Akinyi", opted_out=True)
        baraka = add_member(session, BARAKA, "fisher", cluster, "sw", "Baraka")
        baraka.deleted_at = utcnow()
    return kisumu


def import_fish_losses(clusterbot, tmp_path) -> str:
    result = clusterbot("survey", "import", str(fish_losses(tmp_path / "fish_losses.xlsx")),
                        "--cluster", "kisumu-fish")
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[-1]


def fish_losses_with(path, **settings):
    """The fish losses form with other settings (a corrected title, a new version)."""
    return write_form(path, FISH_LOSSES_SURVEY, FISH_LOSSES_CHOICES,
                      {**FISH_LOSSES_SETTINGS, **settings})


def stored(factory, code: str) -> Survey:
    with unit_of_work(factory) as session:
        survey = session.scalar(select(Survey).where(Survey.code == code))
        session.expunge(survey)
        return survey


def respondents(factory, code: str) -> dict[str, str]:
    """phone -> status of the survey's respondents."""
    with unit_of_work(factory) as session:
        return {r.member.phone: r.status for r in session.scalars(
            select(Respondent).join(Survey).where(Survey.code == code))}


def audit(factory) -> list[tuple[str, str, dict]]:
    with unit_of_work(factory) as session:
        return [(e.actor, e.action, e.details) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("survey.%")).order_by(AuditEntry.id))]


def surveys_stored(factory) -> int:
    with unit_of_work(factory) as session:
        return session.scalar(select(func.count()).select_from(Survey))


# --- survey import --------------------------------------------------------------------------

def test_import_prints_the_form_and_the_code_alone_on_the_last_line(clusterbot, factory,
                                                                    kisumu, tmp_path):
    result = clusterbot("survey", "import", str(fish_losses(tmp_path / "fish_losses.xlsx")),
                        "--cluster", "kisumu-fish")

    assert (result.exit_code, result.stderr) == (0, ""), result.output
    *summary, code = result.stdout.splitlines()
    assert summary == ["Fish losses after the catch (form fish_losses, version 2026-12)",
                       "languages: en, sw (default en)", "questions: 8, calculations: 1",
                       *QUESTION_LINES]
    assert len(code) == 4 and set(code) <= set(CODE_ALPHABET)  # may be digits alone
    survey = stored(factory, code)
    assert (survey.title, survey.form_id, survey.version, survey.status) == (
        "Fish losses after the catch", "fish_losses", "2026-12", "draft")
    assert [q["name"] for q in survey.form["questions"]][:2] == ["intro", "uses_ice"]
    assert survey.form["questions"][1]["labels"]["sw"] == (
        "Je, unahifadhi samaki wako kwenye barafu?")
    assert audit(factory) == [("cli", "survey.import", {
        "survey": code, "form_id": "fish_losses", "version": "2026-12", "questions": 9,
        "replaced": False})]


@pytest.mark.parametrize("rows, refused_row, what", [
    ([row("text", "name", "Your name?", "Jina lako?"),
      row("begin_repeat", "boats", "Each boat", "Kila mashua"),
      row("integer", "crew", "How many crew?", "Wafanyakazi wangapi?"),
      row("end_repeat", "", "")], 3, "repeat"),
    ([row("integer", "catch", "Catch in kg?", "Samaki kilo ngapi?"),
      row("text", "landing", "Landing site?", "Mwalo?"),
      row("geopoint", "where", "Where are you?", "Uko wapi?")], 4, "geopoint"),
], ids=["repeat group", "geopoint"])
def test_import_refuses_a_form_sms_cannot_serve_with_its_row(clusterbot, factory, kisumu,
                                                             tmp_path, rows, refused_row,
                                                             what):
    form = write_form(tmp_path / "refused.xlsx", rows, settings={"form_title": "Boats",
                                                                 "form_id": "boats"})

    result = clusterbot("survey", "import", str(form), "--cluster", "kisumu-fish")

    assert (result.exit_code, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: survey sheet, row {refused_row}: ")
    assert what in line.split(": ", 2)[2]  # and why
    assert surveys_stored(factory) == 0 and audit(factory) == []


def test_import_says_who_reads_a_language_the_form_lacks(clusterbot, factory, members,
                                                         tmp_path):
    """Tomás reads Portuguese and Grace French: they will get the English questions (Akinyi,
    opted out, and Baraka, deleted, will get nothing)."""
    result = clusterbot("survey", "import", str(fish_losses(tmp_path / "fish_losses.xlsx")),
                        "--cluster", "kisumu-fish")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2] == (
        "members reading a language the form lacks get it in en: fr 1, pt 1")


def test_import_of_a_file_that_is_not_a_workbook_fails_and_stores_nothing(clusterbot, factory,
                                                                          kisumu, tmp_path):
    file = tmp_path / "form.xlsx"
    file.write_text("type,name,label\ntext,name,Name?\n", encoding="utf-8")

    result = clusterbot("survey", "import", str(file), "--cluster", "kisumu-fish")

    assert result.exit_code == 1 and result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1 and surveys_stored(factory) == 0


def test_import_into_an_unknown_cluster_fails(clusterbot, factory, kisumu, tmp_path):
    result = clusterbot("survey", "import", str(fish_losses(tmp_path / "f.xlsx")), "--cluster",
                        "lamu-crafts")

    assert (result.exit_code, result.stderr) == (1, "error: no cluster lamu-crafts\n")
    assert surveys_stored(factory) == 0


def test_import_of_the_same_form_and_version_replaces_the_draft_until_it_is_sent(
        clusterbot, factory, members, tmp_path):
    code = import_fish_losses(clusterbot, tmp_path)
    form = fish_losses_with(tmp_path / "corrected.xlsx", form_title="Fish losses, corrected")

    again = clusterbot("survey", "import", str(form), "--cluster", "kisumu-fish")

    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-2:] == [
        f"(replaces the form of draft {code}, imported before)", code]
    assert surveys_stored(factory) == 1
    assert stored(factory, code).title == "Fish losses, corrected"
    assert clusterbot("survey", "send", code, "--wait", "0").exit_code == 0
    after_send = clusterbot("survey", "import", str(form), "--cluster", "kisumu-fish")
    assert after_send.exit_code == 1
    assert after_send.stderr == (
        f"error: survey {code} of form fish_losses version 2026-12 is open: give the form a new "
        f"version in its settings sheet to import it again\n")
    assert surveys_stored(factory) == 1


# --- survey send ----------------------------------------------------------------------------

def test_send_to_a_role_makes_the_reachable_members_of_it_respondents(clusterbot, factory,
                                                                      members, tmp_path):
    code = import_fish_losses(clusterbot, tmp_path)

    result = clusterbot("survey", "send", code, "--role", "fisher", "--wait", "0")

    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert result.stdout == (f"Survey {code}: 3 members. The running server (clusterbot run) "
                             f"asks each the first question.\n")
    assert respondents(factory, code) == {JUMA: "invited", TOMAS: "invited", GRACE: "invited"}
    survey = stored(factory, code)
    assert (survey.status, survey.filters, survey.send_at) == ("open", {"role": "fisher"}, None)
    assert survey.sent_at is not None
    with unit_of_work(factory) as session:
        tokens = list(session.scalars(select(Respondent.token)))
    assert len(set(tokens)) == 3 and not any(phone[1:] in t for t in tokens for phone in
                                             (JUMA, TOMAS, GRACE))
    assert audit(factory)[-1] == ("cli", "survey.send", {
        "survey": code, "filters": {"role": "fisher"}, "members": 3})


def test_send_filters_by_language_and_place_as_broadcasts_do(clusterbot, factory, members,
                                                             tmp_path):
    by_language = import_fish_losses(clusterbot, tmp_path)
    assert clusterbot("survey", "send", by_language, "--language", "sw",
                      "--wait", "0").exit_code == 0
    assert respondents(factory, by_language) == {JUMA: "invited"}  # Akinyi, Baraka: never

    by_place = clusterbot("survey", "import", str(fish_losses(tmp_path / "v2.xlsx")),
                          "--cluster", "kisumu-fish")
    assert by_place.exit_code == 1  # the same form and version, sent: a new version is needed
    form = fish_losses_with(tmp_path / "v2.xlsx", version="2027-01")
    code = clusterbot("survey", "import", str(form), "--cluster",
                      "kisumu-fish").stdout.splitlines()[-1]
    assert clusterbot("survey", "send", code, "--place", "kisumu", "--wait", "0").exit_code == 0
    assert respondents(factory, code) == {JUMA: "invited", AMINA: "invited"}


def test_send_at_a_later_time_schedules_it_and_asks_nobody_yet(clusterbot, factory, members,
                                                               tmp_path):
    code = import_fish_losses(clusterbot, tmp_path)

    result = clusterbot("survey", "send", code, "--role", "fisher", "--at", "2099-01-01T08:00")

    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert result.stdout == (f"Survey {code} scheduled for 2099-01-01T05:00:00+00:00: the running "
                             f"server (clusterbot run) sends it then.\n")
    survey = stored(factory, code)
    assert (survey.status, survey.send_at.isoformat()) == ("scheduled",
                                                           "2099-01-01T05:00:00+00:00")
    assert respondents(factory, code) == {}
    assert audit(factory)[-1] == ("cli", "survey.send", {
        "survey": code, "filters": {"role": "fisher"}, "scheduled": "2099-01-01T05:00:00+00:00"})


def add_fishers(factory, cluster_id: int, count: int) -> None:
    """`count` registered Swahili-speaking fishers reading SMS, straight into the database."""
    rows = [{"phone": f"+2547300{i:05d}", "registered": True, "language": "sw"}
            for i in range(count)]
    with unit_of_work(factory) as session:
        session.execute(insert(Member), rows)
        ids = session.scalars(select(Member.id).where(Member.phone.like("+2547300%"))).all()
        session.execute(insert(Membership), [{"member_id": i, "cluster_id": cluster_id,
                                              "role": "fisher"} for i in ids])


def test_first_questions_are_asked_a_batch_at_a_time(clusterbot, factory, kisumu, tmp_path):
    """Each batch commits on its own: a large send holds no long transaction, and the sending
    command sees the asking progress."""
    add_fishers(factory, kisumu.id, 2 * sending.BATCH + 50)
    code = import_fish_losses(clusterbot, tmp_path)
    clusterbot("survey", "send", code, "--wait", "0")

    asked = []
    for _ in range(4):
        with unit_of_work(factory) as session:
            asked.append(sending.start_due(session, utcnow()))

    assert asked == [sending.BATCH, sending.BATCH, 50, 0]


def test_a_member_sent_two_surveys_is_asked_the_second_when_done_with_the_first(
        clusterbot, factory, members, tmp_path):
    first = import_fish_losses(clusterbot, tmp_path)
    second = clusterbot("survey", "import", str(fish_losses_with(tmp_path / "v2.xlsx",
                                                                 version="2027-01")),
                        "--cluster", "kisumu-fish").stdout.splitlines()[-1]
    for code in (first, second):
        clusterbot("survey", "send", code, "--language", "sw", "--wait", "0")
    start = utcnow()

    with unit_of_work(factory) as session:
        assert sending.start_due(session, start) == 1
    with unit_of_work(factory) as session:
        assert sending.start_due(session, start + timedelta(minutes=5)) == 0  # answering

    assert (respondents(factory, first), respondents(factory, second)) == (
        {JUMA: "asked"}, {JUMA: "invited"})
    with time_machine.travel(start + sending.BUSY_FOR + timedelta(minutes=1), tick=False):
        with unit_of_work(factory) as session:
            assert sending.start_due(session, utcnow()) == 1
    assert respondents(factory, second) == {JUMA: "asked"}


def test_send_watches_the_running_server_ask_everyone(clusterbot, factory, kisumu, settings,
                                                      tmp_path):
    add_fishers(factory, kisumu.id, 2 * sending.BATCH + 50)
    code = import_fish_losses(clusterbot, tmp_path)

    with serve(create_app(settings)):
        result = clusterbot("survey", "send", code, "--wait", "60")

    assert (result.exit_code, result.stderr.count("error")) == (0, 0), result.output
    assert result.stdout == (f"Survey {code}: 450 members. The running server (clusterbot run) "
                             f"asks each the first question; watching for up to 60 s.\n"
                             f"asked 450 of 450\n")
    assert set(respondents(factory, code).values()) == {"asked"}


def test_send_exits_1_when_members_are_still_to_be_asked_after_the_wait(clusterbot, factory,
                                                                        members, tmp_path):
    """No server runs: nobody is asked the first question."""
    code = import_fish_losses(clusterbot, tmp_path)

    result = clusterbot("survey", "send", code, "--language", "sw", "--wait", "1")

    assert result.exit_code == 1
    assert result.stdout.endswith("; watching for up to 1 s.\nasked 0 of 1\n")
    assert result.stderr.splitlines()[-1] == (
        "error: 1 of 1 members not asked yet after 1 s: the running server (clusterbot run) asks "
        "them, those in another conversation once it ends")


def test_send_refuses_a_survey_that_is_not_a_draft(clusterbot, factory, members, tmp_path):
    code = import_fish_losses(clusterbot, tmp_path)
    clusterbot("survey", "send", code, "--role", "fisher", "--wait", "0")

    again = clusterbot("survey", "send", code, "--wait", "0")

    assert (again.exit_code, again.stdout) == (1, "")
    assert again.stderr == f"error: survey {code} is open: only a draft can be sent\n"
    assert len(respondents(factory, code)) == 3


def test_send_to_nobody_is_refused_and_the_survey_stays_a_draft(clusterbot, factory, members,
                                                                tmp_path):
    code = import_fish_losses(clusterbot, tmp_path)

    result = clusterbot("survey", "send", code, "--place", "Mombasa", "--wait", "0")

    assert result.exit_code == 1
    assert result.stderr == ("error: no member of the cluster who can be reached matches these "
                             "filters\n")
    assert stored(factory, code).status == "draft" and respondents(factory, code) == {}
    assert [action for _, action, _ in audit(factory)] == ["survey.import"]


@pytest.mark.parametrize("args, reason", [
    (("--role", "captain"), "unknown role captain: one of "),
    (("--language", "de"), "languages must be among "),
    (("--at", "next friday"), "not an ISO 8601 time: next friday"),
])
def test_send_with_a_filter_it_cannot_read_exits_2(clusterbot, factory, members, tmp_path, args,
                                                   reason):
    code = import_fish_losses(clusterbot, tmp_path)

    result = clusterbot("survey", "send", code, *args)

    assert result.exit_code == 2 and result.stderr.startswith(f"error: {reason}")
    assert stored(factory, code).status == "draft"


def test_send_of_an_unknown_survey_fails(clusterbot, factory, kisumu):
    result = clusterbot("survey", "send", "ZZZZ")

    assert (result.exit_code, result.stderr) == (1, "error: no survey ZZZZ\n")


# --- survey close ---------------------------------------------------------------------------

def test_close_ends_the_survey_once(clusterbot, factory, members, tmp_path):
    code = import_fish_losses(clusterbot, tmp_path)
    clusterbot("survey", "send", code, "--role", "fisher", "--wait", "0")

    result = clusterbot("survey", "close", code.lower())

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"Survey {code} closed: 0 of 3 members answered it to the end.\n"
    survey = stored(factory, code)
    assert survey.status == "closed" and survey.closed_at is not None
    assert audit(factory)[-1] == ("cli", "survey.close", {"survey": code, "was": "open"})
    again = clusterbot("survey", "close", code)
    assert (again.exit_code, again.stderr) == (1, f"error: survey {code} is already closed\n")
    assert clusterbot("survey", "send", code).stderr == (
        f"error: survey {code} is closed: only a draft can be sent\n")


def test_results_takes_one_export_at_a_time(clusterbot, factory, kisumu, tmp_path):
    code = import_fish_losses(clusterbot, tmp_path)

    result = clusterbot("survey", "results", code, "--csv", "--long")

    assert (result.exit_code, result.stderr) == (2, "error: --csv and --long are two exports: ask "
                                                    "for one\n")



# --- survey results -------------------------------------------------------------------------

def answered(factory, chat, clusterbot, tmp_path) -> tuple[str, dict[str, str], str]:
    """The fish losses survey sent to Kisumu Fish and answered in the terminal: Juma (Swahili)
    and Amina (English) to the end, Tomás the first question only, Grace not at all. Returns
    the code, phone -> export id, and the day of the last trips."""
    code = import_fish_losses(clusterbot, tmp_path)
    assert clusterbot("survey", "send", code, "--wait", "0").exit_code == 0
    with unit_of_work(factory) as session:
        assert sending.start_due(session, utcnow()) == 4
    day = (utcnow() - timedelta(days=2)).astimezone(NAIROBI)
    juma = chat(JUMA)
    for answer in ("2", "1 2", "120", "250.5", day.strftime("%d/%m/%Y"), "1",
                   "Barafu karibu na mwalo"):
        juma.send(answer)
    amina = chat(AMINA)
    for answer in ("yes", "30", "SKIP", day.strftime("%d/%m/%Y"), "A cold room we share"):
        amina.send(answer)
    chat(TOMAS).send("1")
    with unit_of_work(factory) as session:
        tokens = {r.member.phone: r.token for r in session.scalars(select(Respondent))}
    return code, tokens, day.strftime("%Y-%m-%d")


def completed(factory) -> dict[str, str]:
    """phone -> when the respondent completed, as the export writes it."""
    with unit_of_work(factory) as session:
        return {r.member.phone: r.completed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                for r in session.scalars(select(Respondent)) if r.completed_at}


def test_results_report_each_question_with_the_response_rate(clusterbot, factory, members,
                                                             chat, tmp_path):
    code, _, _ = answered(factory, chat, clusterbot, tmp_path)

    result = clusterbot("survey", "results", code)

    assert (result.exit_code, result.stderr) == (0, ""), result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"Fish losses after the catch (survey {code}, open)",
                         "Response rate: 50% (2 of 4 invited completed it; 3 answered at least "
                         "one question)."]
    uses_ice = lines.index("1. Do you keep your fish on ice? [uses_ice, one choice]")
    assert lines[uses_ice + 1:uses_ice + 4] == ["   answered 3, skipped 0", "   Yes: 2 (67%)",
                                                "   No: 1 (33%)"]
    assert "   mean 75, median 75, min 30, max 120" in lines


def test_results_csv_is_a_row_per_respondent_a_column_per_question(clusterbot, factory,
                                                                   members, chat, tmp_path):
    code, tokens, day = answered(factory, chat, clusterbot, tmp_path)

    result = clusterbot("survey", "results", code, "--csv")

    assert (result.exit_code, result.stderr) == (0, ""), result.output
    header, *rows = csv.reader(io.StringIO(result.stdout))
    assert header == ["respondent", "submitted_at", "respondent_role", "respondent_place",
                      "uses_ice", "why_no_ice", "loss_kg", "price_kg", "last_trip", "storage",
                      "loss_level", "idea"]
    done = completed(factory)
    assert sorted(rows) == sorted([
        [tokens[JUMA], done[JUMA], "fisher", "Kisumu", "no", "cost far", "120", "250.5", day,
         "boat", "high", "Barafu karibu na mwalo"],
        [tokens[AMINA], done[AMINA], "fish_processor", "Kisumu", "yes", "", "30", "", day, "",
         "low", "A cold room we share"],
        [tokens[TOMAS], "", "fisher", "Homa Bay", "yes", "", "", "", "", "", "", ""]])


def test_results_long_is_a_row_per_answer(clusterbot, factory, members, chat, tmp_path):
    code, tokens, day = answered(factory, chat, clusterbot, tmp_path)

    result = clusterbot("survey", "results", code, "--long")

    assert (result.exit_code, result.stderr) == (0, ""), result.output
    header, *rows = csv.reader(io.StringIO(result.stdout))
    assert header == ["respondent", "question", "answer", "answered_at"]
    assert all(len(row[3]) == 20 and row[3].endswith("Z") for row in rows)
    by_respondent = {}
    for respondent, question, answer, _ in rows:
        by_respondent.setdefault(respondent, []).append((question, answer))
    assert by_respondent == {
        tokens[JUMA]: [("uses_ice", "no"), ("why_no_ice", "cost far"), ("loss_kg", "120"),
                       ("price_kg", "250.5"), ("last_trip", day), ("storage", "boat"),
                       ("loss_level", "high"), ("idea", "Barafu karibu na mwalo")],
        tokens[AMINA]: [("uses_ice", "yes"), ("loss_kg", "30"), ("price_kg", ""),
                        ("last_trip", day), ("loss_level", "low"),
                        ("idea", "A cold room we share")],
        tokens[TOMAS]: [("uses_ice", "yes")]}
