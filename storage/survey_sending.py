"""Queries of a survey's sending: the same form already imported, the languages of the members
it could reach, the members it is sent to (respondents, each with a random token), the
respondents due a first question or the one reminder, and how far the asking has gone."""
from datetime import datetime

from sqlalchemy import Select, exists, func, insert, select
from sqlalchemy.orm import Session

from storage import broadcasts, outbox
from storage.models import Conversation, Member
from storage.surveys import Respondent, Survey, new_token


def same_form(session: Session, cluster_id: int, form_id: str, version: str | None
              ) -> Survey | None:
    """The cluster's survey of this form and version (the newest, should there be several)."""
    version_is = Survey.version.is_(None) if version is None else Survey.version == version
    return session.scalar(
        select(Survey).where(Survey.cluster_id == cluster_id, Survey.form_id == form_id,
                             version_is).order_by(Survey.id.desc()).limit(1))


def audience(survey: Survey) -> Select:
    """Ids of the members the survey goes to: the broadcast audience of its cluster and filters,
    less those opted out, deleted or with no channel that reaches them."""
    chosen = broadcasts.audience([survey.cluster_id], survey.filters or {}).scalar_subquery()
    return select(Member.id).where(Member.id.in_(chosen), reachable()).order_by(Member.id)


def reachable():
    """The member is neither opted out nor deleted, and a channel reaches them (as
    storage.outbox.route says)."""
    channel, _ = outbox.route_columns()
    return ~Member.opted_out & Member.deleted_at.is_(None) & channel.is_not(None)


def readers(session: Session, cluster_id: int) -> dict[str | None, int]:
    """language -> how many of the cluster's members a survey can reach read it (None: not
    known)."""
    members = broadcasts.audience([cluster_id], {}).scalar_subquery()
    rows = session.execute(select(Member.language, func.count())
                           .where(Member.id.in_(members), reachable())
                           .group_by(Member.language))
    return {language: count for language, count in rows.all()}


def add_respondents(session: Session, survey: Survey, now: datetime) -> int:
    """Makes every member of the survey's audience a respondent ("invited"), each with a token no
    other respondent has; members it already has are kept as they are. Returns how many."""
    have = select(Respondent.member_id).where(Respondent.survey_id == survey.id)
    member_ids = list(session.scalars(audience(survey).where(Member.id.not_in(have))))
    tokens = unique_tokens(session, len(member_ids))
    if member_ids:
        session.execute(insert(Respondent), [
            {"survey_id": survey.id, "member_id": member_id, "token": token, "status": "invited",
             "invited_at": now} for member_id, token in zip(member_ids, tokens)])
    return len(member_ids)


def unique_tokens(session: Session, count: int) -> list[str]:
    """`count` tokens, different from each other and from every stored one (a clash is rare:
    it is drawn again)."""
    tokens: set[str] = set()
    while len(tokens) < count:
        drawn = {new_token() for _ in range(count - len(tokens))} - tokens
        taken = set(session.scalars(select(Respondent.token).where(Respondent.token.in_(drawn))))
        tokens |= drawn - taken
    return list(tokens)


def due_to_start(session: Session, now: datetime) -> list[Survey]:
    """Scheduled surveys whose time has come (locked, so one job takes each)."""
    return list(session.scalars(
        select(Survey).where(Survey.status == "scheduled", Survey.send_at <= now)
        .order_by(Survey.id).with_for_update(skip_locked=True)))


def not_busy(since: datetime):
    """The respondent's member has no conversation that moved after `since`."""
    return ~exists().where(Conversation.member_id == Respondent.member_id,
                           Conversation.updated_at > since)


def to_ask(session: Session, busy_since: datetime, limit: int) -> list[Respondent]:
    """Up to `limit` respondents of open surveys not asked yet whose member is not busy in a
    conversation that moved after `busy_since`, the first invited first. Their members are
    locked as the engine locks a member whose message it handles: one being answered now is
    skipped, and a message arriving meanwhile waits for the question."""
    return list(session.scalars(
        select(Respondent).join(Survey, Survey.id == Respondent.survey_id)
        .join(Member, Member.id == Respondent.member_id)
        .where(Survey.status == "open", Respondent.status == "invited", not_busy(busy_since))
        .order_by(Respondent.id).limit(limit)
        .with_for_update(skip_locked=True, of=(Respondent, Member))))


def to_remind(session: Session, quiet_since: datetime, busy_since: datetime, limit: int
              ) -> list[Respondent]:
    """Up to `limit` respondents of open surveys who were asked, have not finished, were never
    reminded and have said nothing since `quiet_since` (their last answer, else the first
    question), whose member is not busy in a conversation that moved after `busy_since`
    (members locked as `to_ask` locks them)."""
    last = func.coalesce(Respondent.answered_at, Respondent.asked_at)
    return list(session.scalars(
        select(Respondent).join(Survey, Survey.id == Respondent.survey_id)
        .join(Member, Member.id == Respondent.member_id)
        .where(Survey.status == "open", Respondent.status == "asked",
               Respondent.reminded_at.is_(None), last < quiet_since, not_busy(busy_since))
        .order_by(Respondent.id).limit(limit)
        .with_for_update(skip_locked=True, of=(Respondent, Member))))


def statuses(session: Session, survey_id: int) -> dict[str, int]:
    """How many respondents the survey has in each status (invited, asked, complete)."""
    rows = session.execute(select(Respondent.status, func.count())
                           .where(Respondent.survey_id == survey_id)
                           .group_by(Respondent.status))
    return {status: count for status, count in rows.all()}
