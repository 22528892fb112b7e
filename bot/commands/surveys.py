"""`clusterbot survey import|send|close|results`: a questionnaire written as an XLSForm (the ODK /
KoboToolbox format) sent to a cluster's members, who answer it over SMS and Telegram, and what
they answered, as text or as the CSV files researchers analyse ODK data with."""
import io
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from bot.commands.common import (USAGE, audience_filters, cluster_named, fail, open_database, out,
                                 read_time, reported, watch)
from bot.settings import get_settings
from bot.spreadsheet import write
from handlers.surveys import results, sending
from handlers.surveys.form import Form, FormRefused, Question
from storage import survey_sending, surveys
from storage.db import unit_of_work
from storage.models import Cluster, utcnow
from storage.surveys import Survey

app = typer.Typer(help="A survey written as an XLSForm, answered over SMS and Telegram.",
                  no_args_is_help=True)


@app.command("import")
@reported
def import_command(
        file: Annotated[Path, typer.Argument(
            exists=True, dir_okay=False, readable=True, metavar="FORM.xlsx",
            help="An XLSForm: survey, choices and settings sheets, labels per language as "
                 "label::Swahili (sw).")],
        cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")]):
    """Read an XLSForm into a draft survey of the cluster: prints its title, languages and
    questions, then its code alone on the last line. A form the bot cannot serve over SMS is
    refused with its sheet, row and reason (exit status 1), and nothing is stored. The same
    form_id and version again replaces the draft's form until it is sent; after that, a new
    version makes a new survey."""
    started = utcnow()
    with unit_of_work(open_database(get_settings())) as session:
        network = cluster_named(session, cluster)
        try:
            survey = sending.load(session, network, file, "cli")
        except (FormRefused, sending.SurveyError) as e:
            raise fail(str(e)) from None
        form = Form.from_json(survey.form)
        lines = describe(form) + language_note(form, survey_sending.readers(session, network.id))
        if survey.created_at < started:
            lines.append(f"(replaces the form of draft {survey.code}, imported before)")
        code = survey.code
    for line in lines:
        out.print(line)
    out.print(code)


@app.command("send")
@reported
def send_command(
        code: Annotated[str, typer.Argument(help="The survey's code.")],
        role: Annotated[str | None, typer.Option(
            help="Only members with this role (a slug).")] = None,
        place: Annotated[str | None, typer.Option(help="Only members in this place.")] = None,
        language: Annotated[str | None, typer.Option(
            help="Only members reading this language.")] = None,
        at: Annotated[str | None, typer.Option(
            help="When to send, ISO 8601 (no offset: the cluster's time zone); default "
                 "now.")] = None,
        wait: Annotated[int, typer.Option(
            min=0, help="Seconds to watch the first questions being asked before giving up "
                        "watching (the asking goes on); 0: return at once.")] = 600):
    """Send a draft survey to the cluster's members (filters as for broadcasts); the running
    server (`clusterbot run`) asks each of them, on their channel and in their language, the
    consent line and the first question, once they are not in the middle of another
    conversation.

    Until every member is asked, or --wait seconds have passed, a progress bar shows the asking.
    Exit status 1 when the survey is not a draft, when no member matches, or when members are
    still to be asked when the wait ends; 0 when all were asked, when it is scheduled (--at) or
    with --wait 0.
    """
    factory = open_database(get_settings())
    with unit_of_work(factory) as session:
        survey = survey_coded(session, code)
        network = session.get(Cluster, survey.cluster_id)
        filters = audience_filters(session, role, place, language)
        send_at = read_time(at, network.timezone)
        try:
            count = sending.send(session, survey, "cli", filters, send_at=send_at)
        except sending.SurveyError as e:
            raise fail(str(e)) from None
        survey_id, code = survey.id, survey.code
    if count is None:
        return out.print(f"Survey {code} scheduled for {send_at.isoformat()}: the running server "
                         f"(clusterbot run) sends it then.")
    out.print(f"Survey {code}: {count} members. The running server (clusterbot run) asks each "
              f"the first question" + (f"; watching for up to {wait} s." if wait else "."))
    if not wait:
        return

    def asked(session: Session) -> tuple[int, int]:
        counts = survey_sending.statuses(session, survey_id)
        return sum(counts.values()) - counts.get("invited", 0), sum(counts.values())

    done, total = watch(factory, asked, wait, "asking",
                        "Nobody asked yet: is clusterbot run running?")
    out.print(f"asked {done} of {total}")
    if done < total:
        raise fail(f"{total - done} of {total} members not asked yet after {wait} s: the running "
                   f"server (clusterbot run) asks them, those in another conversation once it "
                   f"ends")


@app.command("close")
@reported
def close_command(code: Annotated[str, typer.Argument(help="The survey's code.")]):
    """Close a survey: no member is asked or reminded any more, and later answers are not
    taken. Its results stay."""
    with unit_of_work(open_database(get_settings())) as session:
        survey = survey_coded(session, code)
        try:
            sending.close(session, survey, "cli")
        except sending.SurveyError as e:
            raise fail(str(e)) from None
        counts = survey_sending.statuses(session, survey.id)
        code = survey.code
    out.print(f"Survey {code} closed: {counts.get('complete', 0)} of {sum(counts.values())} "
              f"members answered it to the end.")


@app.command("results")
@reported
def results_command(
        code: Annotated[str, typer.Argument(help="The survey's code.")],
        csv: Annotated[bool, typer.Option(
            "--csv", help="CSV on stdout, one row per respondent and one column per question "
                          "name, as ODK exports.")] = False,
        long: Annotated[bool, typer.Option(
            "--long", help="CSV on stdout, one row per answer: respondent, question, answer, "
                           "time.")] = False):
    """The survey's results: per question, counts and percentages of its choices, or n, mean,
    median, min and max of its numbers, with the response rate, by role and by place."""
    if csv and long:
        raise fail("--csv and --long are two exports: ask for one", USAGE)
    with unit_of_work(open_database(get_settings())) as session:
        survey = survey_coded(session, code)
        if csv or long:
            header, rows = (results.wide if csv else results.long)(session, survey)
            buffer = io.StringIO()
            write(buffer, header, rows)
            return sys.stdout.write(buffer.getvalue())
        text = results.report(results.summarise(session, survey, hide_small=False))
    out.print(text)


def survey_coded(session: Session, code: str) -> Survey:
    """The survey with this code; exits 1 with a one-line reason when there is none."""
    survey = surveys.by_code(session, code)
    if survey is None:
        raise fail(f"no survey {code}")
    return survey


def describe(form: Form) -> list[str]:
    """The form as an operator checks it: title, languages, each question as it is served, with
    its label in the form's default language."""
    asked = [q for q in form.questions if q.kind != "calculate"]
    calculated = len(form.questions) - len(asked)
    languages = ", ".join(form.languages)
    return [f"{form.title} (form {form.form_id}, version {form.version or '(none)'})",
            f"languages: {languages} (default {form.default_language})",
            f"questions: {len(asked)}" + (f", calculations: {calculated}" if calculated else ""),
            *(question_line(form, number, q) for number, q in enumerate(form.questions, start=1))]


def language_note(form: Form, readers: dict[str | None, int]) -> list[str]:
    """Who will read the form in its default language though they read another: `members
    reading a language the form lacks get it in en: fr 1, pt 2`."""
    lacking = sorted((language or "not known", count) for language, count in readers.items()
                     if language not in form.languages)
    if not lacking:
        return []
    return [f"members reading a language the form lacks get it in {form.default_language}: "
            + ", ".join(f"{language} {count}" for language, count in lacking)]


def question_line(form: Form, number: int, question: Question) -> str:
    """`  4. loss_kg  (integer, required, check . >= 0 and . <= 1000): How many kg of ...`"""
    traits = [question.kind] + ["required"] * question.required
    if question.relevant:
        traits.append(f"when {question.relevant}")
    if question.constraint:
        traits.append(f"check {question.constraint}")
    if question.options:
        traits.append(f"{len(question.options)} choices")
    if question.kind == "calculate":
        text = question.calculation or ""
    else:
        text = form.text(question.labels, form.default_language)
    return f"  {number}. {question.name}  ({', '.join(traits)}): {text}"
