"""What answering a survey reads and writes: a member's place in the open surveys, and one answer
kept per question (answering it again replaces it)."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.surveys import Answer, Respondent, Survey


def in_open_surveys(session: Session, member_id: int) -> list[Respondent]:
    """The member's respondent rows of surveys still open, the earliest sent first."""
    return list(session.scalars(
        select(Respondent).join(Survey)
        .where(Respondent.member_id == member_id, Survey.status == "open")
        .order_by(Survey.sent_at, Survey.id)))


def record(respondent: Respondent, question: str, value: str | None, at: datetime) -> None:
    """Keeps the answer to `question` (None: skipped), replacing an earlier one."""
    answer = next((a for a in respondent.answers if a.question == question), None)
    if answer is None:
        respondent.answers.append(Answer(question=question, value=value, answered_at=at))
    else:
        answer.value, answer.answered_at = value, at
