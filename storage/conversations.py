"""The open conversation of each member, kept in the database."""
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.models import Conversation


def still_open(session: Session, conversation: Conversation | None,
               idle: timedelta) -> Conversation | None:
    """The member's conversation unless it has been idle longer than `idle`, or than the hours
    its question asked to stay open (`_idle_hours`); then it is dropped."""
    if conversation and conversation.data.get("_idle_hours"):
        idle = timedelta(hours=conversation.data["_idle_hours"])
    if conversation and conversation.updated_at < datetime.now(timezone.utc) - idle:
        session.delete(conversation)
        session.flush()
        return None
    return conversation


def save(session: Session, member_id: int, flow: str, step: str, data: dict[str, Any]) -> None:
    conversation = session.get(Conversation, member_id)
    if conversation is None:
        conversation = Conversation(member_id=member_id, flow=flow, step=step)
        session.add(conversation)
    conversation.flow, conversation.step = flow, step
    conversation.data = dict(data)  # a new dict, so the JSON column sees the change
    conversation.updated_at = datetime.now(timezone.utc)


def clear(session: Session, member_id: int) -> None:
    session.execute(delete(Conversation).where(Conversation.member_id == member_id))
