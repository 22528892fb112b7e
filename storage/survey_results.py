"""What a survey's results read: its respondents with their role and place in the survey's
cluster (one query), their answers (one query), a cluster's surveys with how many were invited
and completed, and one survey of a cluster by its code."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage import surveys as stored
from storage.models import Member, Membership, Place
from storage.surveys import Answer, Respondent, Survey

DASHBOARD_ROLE = "coordinator"  # a role on top of what a member does: counted only when alone


@dataclass(frozen=True)
class RespondentRow:
    """A respondent as the results read them: `role` is what the member does in the survey's
    cluster, `place` the gazetteer's name of their place, else the place as they wrote it."""

    id: int
    token: str
    status: str
    completed_at: datetime | None
    role: str | None
    place: str | None


@dataclass(frozen=True)
class AnswerRow:
    respondent_id: int
    question: str
    value: str | None  # None: skipped
    answered_at: datetime


@dataclass(frozen=True)
class SurveyRow:
    """A line of a cluster's surveys: the survey, how many were invited, how many completed."""

    survey: Survey
    invited: int
    completed: int


def respondents(session: Session, survey: Survey) -> list[RespondentRow]:
    """Every respondent of the survey in the order they were invited, with their role (their
    first membership of the cluster that says what they do; `coordinator` only when they
    have no other) and place."""
    role = (select(Membership.role)
            .where(Membership.member_id == Respondent.member_id,
                   Membership.cluster_id == survey.cluster_id)
            .order_by(case((Membership.role == DASHBOARD_ROLE, 1), else_=0), Membership.id)
            .limit(1).correlate(Respondent).scalar_subquery())
    rows = session.execute(
        select(Respondent.id, Respondent.token, Respondent.status, Respondent.completed_at,
               role, func.coalesce(Place.name, Member.place_name))
        .join(Member, Member.id == Respondent.member_id)
        .outerjoin(Place, Place.id == Member.place_id)
        .where(Respondent.survey_id == survey.id).order_by(Respondent.id))
    return [RespondentRow(*row) for row in rows]


def answers(session: Session, survey: Survey) -> list[AnswerRow]:
    """Every answer to the survey (skips too), respondent by respondent, in the order given."""
    rows = session.execute(
        select(Answer.respondent_id, Answer.question, Answer.value, Answer.answered_at)
        .join(Respondent, Respondent.id == Answer.respondent_id)
        .where(Respondent.survey_id == survey.id).order_by(Answer.respondent_id, Answer.id))
    return [AnswerRow(*row) for row in rows]


def surveys_of(session: Session, cluster_id: int) -> list[SurveyRow]:
    """The cluster's surveys, the latest first, with how many were invited and completed."""
    completed = func.count(Respondent.completed_at)
    rows = session.execute(
        select(Survey, func.count(Respondent.id), completed)
        .outerjoin(Respondent, Respondent.survey_id == Survey.id)
        .where(Survey.cluster_id == cluster_id)
        .group_by(Survey.id).order_by(Survey.created_at.desc(), Survey.id.desc()))
    return [SurveyRow(survey, invited, done) for survey, invited, done in rows]


def find(session: Session, cluster_id: int, code: str) -> Survey | None:
    """The cluster's survey with `code` (any case); None for another cluster's or none."""
    if not code.isalnum() or len(code) > 8:
        return None
    found = stored.by_code(session, code)
    return found if found is not None and found.cluster_id == cluster_id else None
