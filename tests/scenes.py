"""Helpers shared by the scenes: read the database as the assertions need it."""
from sqlalchemy import func, select

from storage.db import unit_of_work
from storage.members import find
from storage.models import Member, MemberProduct, Membership, OutboundMessage

# The cast: the same people in every scene.
AMINA = "+254722000001"  # fish processor
JUMA = "+254722000002"  # fisher
GRACE = "+254722000003"  # coordinator
TOMAS = "+254722000004"  # craftsperson


def member(factory, phone=None, telegram_id=None) -> Member | None:
    with unit_of_work(factory) as session:
        found = find(session, phone=phone, telegram_id=telegram_id)
        if found:
            session.expunge(found)
        return found


def profile(factory, phone) -> dict:
    """The member's saved profile in plain values."""
    with unit_of_work(factory) as session:
        m = find(session, phone=phone)
        return {
            "name": m.name,
            "registered": m.registered,
            "language": m.language,
            "place": m.place_name,
            "roles": sorted(ms.role for ms in m.memberships),
            "products": sorted(p.product.slug if p.product else p.raw_name for p in m.products),
        }


def count(factory, model) -> int:
    with unit_of_work(factory) as session:
        return session.scalar(select(func.count()).select_from(model))


def half_written(factory) -> int:
    """Rows a registration writes only when confirmed."""
    return count(factory, Membership) + count(factory, MemberProduct)


def outbox(factory) -> list[OutboundMessage]:
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        session.expunge_all()
        return rows
