"""Surveys: a questionnaire read from an XLSForm (kept as the servable form, JSON), the members it
was sent to (respondents) and their answers, one row per question answered or skipped."""
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.market import CODE_ALPHABET
from storage.models import Base, Member, utcnow

STATUSES = ("draft", "scheduled", "open", "closed")  # draft: imported, not sent yet
RESPONDENT_STATUSES = ("invited", "asked", "complete")  # asked: the first question went out


class Survey(Base):
    """A questionnaire of a cluster. `form` is `handlers.surveys.form.Form.to_json()`; `code`
    is what members and the CLI name it by. `filters` and `send_at` are the audience and time
    `survey send` was given (as a broadcast's)."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    form_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[str | None] = mapped_column(String(100))
    form: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft")
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    send_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()  # respondents chosen and being asked
    closed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Respondent(Base):
    """A member a survey was sent to. `token` is their id in exports (never their phone).
    `question` is the name of the question waiting for their answer (None before the first
    is asked and after the last); `reminded_at` is set once, with the one reminder."""

    __tablename__ = "survey_respondents"
    __table_args__ = (UniqueConstraint("survey_id", "member_id"), UniqueConstraint("token"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="invited")
    question: Mapped[str | None] = mapped_column(String(200))
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    asked_at: Mapped[datetime | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()  # the last answer
    completed_at: Mapped[datetime | None] = mapped_column()

    survey: Mapped[Survey] = relationship(lazy="joined")
    member: Mapped[Member] = relationship()
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="respondent", cascade="all, delete-orphan", order_by="Answer.id")


class Answer(Base):
    """One question answered (or skipped: `value` None) by a respondent. `value` is kept as ODK
    keeps it: a choice's name, several names separated by spaces, a number as written by Python,
    a date as YYYY-MM-DD, the text. Answering a question again replaces its row."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("respondent_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_id: Mapped[int] = mapped_column(
        ForeignKey("survey_respondents.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    respondent: Mapped[Respondent] = relationship(back_populates="answers")


# --- Queries ------------------------------------------------------------------------------------

CODE_LENGTH = 4  # typed on keypads; with a second look-up on a clash


def new_code(session: Session) -> str:
    """A survey code no survey has (storage.market.CODE_ALPHABET)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if by_code(session, code) is None:
            return code


def new_token() -> str:
    """A respondent's id in exports: random, so it says nothing about who they are."""
    return secrets.token_hex(6)


def by_code(session: Session, code: str) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.code == code.strip().upper()))


def respondent(session: Session, survey_id: int, member_id: int) -> Respondent | None:
    return session.scalar(select(Respondent).where(
        Respondent.survey_id == survey_id, Respondent.member_id == member_id))


def answers_of(respondent: Respondent) -> dict[str, str | None]:
    """question name -> value, as the expressions read them."""
    return {answer.question: answer.value for answer in respondent.answers}
