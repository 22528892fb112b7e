"""A survey's life after its form is read: imported as a draft, sent to the cluster's members
(now, or scheduled), its first questions asked a batch at a time to members not busy in another
conversation, the one reminder to those who went quiet, and closed. Each verb writes its own
audit row; what members read is the answering part's."""
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from handlers.surveys import answering
from handlers.surveys import form as forms
from storage import audit, jobs, survey_sending, surveys
from storage.audit import Actor
from storage.models import Cluster, utcnow
from storage.surveys import Survey

BATCH = 200  # respondents asked (or reminded) per transaction: each commit shows progress
MOST_BATCHES = 25  # per run of a job; what is left waits for the next run
# A member whose conversation moved this recently is busy with it and is asked on a later run:
# the engine's idle time (bot.settings' conversation_timeout_minutes, 30 by default).
BUSY_FOR = timedelta(minutes=30)
REMIND_AFTER = timedelta(hours=48)  # since the first question, or the last answer


class SurveyError(ValueError):
    """What an operator asked cannot be done to the survey; the text says why, in English."""


def load(session: Session, cluster: Cluster, path: Path, actor: Actor) -> Survey:
    """Reads the XLSForm at `path` (FormRefused when the bot cannot serve it) and stores it as a
    draft survey of the cluster. The same form_id and version again replaces the draft's form (a
    label corrected before sending); once that survey was sent it is refused: a changed form
    takes a new version, as ODK asks."""
    form = forms.read_form(path)
    survey = survey_sending.same_form(session, cluster.id, form.form_id, form.version)
    if survey is not None and survey.status != "draft":
        raise SurveyError(
            f"survey {survey.code} of form {form.form_id} version {form.version or '(none)'} "
            f"is {survey.status}: give the form a new version in its settings sheet to import it "
            f"again")
    replaced = survey is not None
    if survey is None:
        survey = Survey(cluster_id=cluster.id, code=surveys.new_code(session), status="draft",
                        form_id=form.form_id, version=form.version)
        session.add(survey)
    survey.title, survey.form = form.title, form.to_json()
    session.flush()
    audit.record(session, action="survey.import", actor=actor, cluster_id=cluster.id,
                 survey=survey.code, form_id=form.form_id, version=form.version,
                 questions=len(form.questions), replaced=replaced)
    return survey


def send(session: Session, survey: Survey, actor: Actor, filters: dict,
         send_at: datetime | None = None) -> int | None:
    """Sends a draft survey to the members of its cluster who match the filters (role, place,
    language, as a broadcast's): at `send_at` when that is later than now (returns None), else
    now: they become its respondents, asked their first question by `start_due`. Returns how
    many. Refused when the survey is not a draft or when no member would get it."""
    if survey.status != "draft":
        raise SurveyError(f"survey {survey.code} is {survey.status}: only a draft can be sent")
    now = utcnow()
    survey.filters, survey.send_at = dict(filters), send_at
    details: dict = {"survey": survey.code, "filters": survey.filters}
    if send_at is not None and send_at > now:
        survey.status = "scheduled"
        count = None
        details["scheduled"] = send_at.isoformat()
    else:
        count = start(session, survey, now)
        if not count:
            raise SurveyError("no member of the cluster who can be reached matches these filters")
        details["members"] = count
    audit.record(session, action="survey.send", actor=actor, cluster_id=survey.cluster_id,
                 **details)
    return count


def start(session: Session, survey: Survey, now: datetime) -> int:
    """Opens the survey: its audience become respondents; returns how many."""
    survey.status, survey.sent_at = "open", now
    return survey_sending.add_respondents(session, survey, now)


def start_due(session: Session, now: datetime, limit: int = BATCH) -> int:
    """Opens the scheduled surveys whose time came, then asks up to `limit` respondents not
    asked yet their first question (with the consent line); a member busy in another
    conversation (another survey's first question too) waits for a later run, one who can no
    longer be reached is no respondent. Returns how many were asked."""
    for survey in survey_sending.due_to_start(session, now):
        start(session, survey, now)
    asked: set[int] = set()  # members: one asked now is busy with it until a later run
    for respondent in survey_sending.to_ask(session, now - BUSY_FOR, limit):
        if respondent.member_id in asked:
            continue
        if answering.begin(session, respondent.member, respondent):
            asked.add(respondent.member_id)
        else:  # opted out or unreachable since the survey was sent: it was never put to them
            session.delete(respondent)
    session.flush()
    return len(asked)


def remind_due(session: Session, now: datetime, limit: int = BATCH) -> int:
    """Reminds, once, up to `limit` respondents of open surveys who have not finished and said
    nothing for REMIND_AFTER (a member busy in another conversation waits for a later run).
    Returns how many were reminded."""
    reminded = 0
    for respondent in survey_sending.to_remind(session, now - REMIND_AFTER, now - BUSY_FOR,
                                               limit):
        reminded += answering.remind(session, respondent)
        respondent.reminded_at = now  # even when it could not go: once only
    session.flush()
    return reminded


def close(session: Session, survey: Survey, actor: Actor) -> None:
    """Closes the survey: no first question nor reminder goes out any more and later answers
    are refused (by the answering part). A scheduled or draft survey is closed unsent."""
    if survey.status == "closed":
        raise SurveyError(f"survey {survey.code} is already closed")
    was = survey.status
    survey.status, survey.closed_at = "closed", utcnow()
    audit.record(session, action="survey.close", actor=actor, cluster_id=survey.cluster_id,
                 survey=survey.code, was=was)


def start_job() -> None:
    """Scheduled: opens the surveys due and asks their respondents the first question, a batch
    per transaction."""
    for _ in range(MOST_BATCHES):
        with jobs.transaction() as session:
            if start_due(session, jobs.now()) < BATCH:
                return


def remind_job() -> None:
    """Scheduled: the one reminder to respondents who went quiet, a batch per transaction."""
    for _ in range(MOST_BATCHES):
        with jobs.transaction() as session:
            if remind_due(session, jobs.now()) < BATCH:
                return
