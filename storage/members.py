"""Queries and changes on members, their memberships and products."""
from datetime import datetime, timezone

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload

from storage.models import Conversation, Member, MemberProduct, Membership


def find(session: Session, *, phone: str | None = None, telegram_id: int | None = None,
         lock: bool = False) -> Member | None:
    """The member with this phone or Telegram id. `lock` holds their row until commit, so two
    workers never interleave one conversation, and reads it as the last commit left it
    (PostgreSQL; SQLite already holds the database write lock: BEGIN IMMEDIATE): it is
    `for_handling`'s lock."""
    if lock:
        return for_handling(session, phone=phone, telegram_id=telegram_id)[0]
    if phone:
        query = select(Member).where(Member.phone == phone)
    elif telegram_id is not None:
        query = select(Member).where(Member.telegram_id == telegram_id)
    else:
        return None
    # Most messages need the member's clusters (read in the same statement), few their
    # products: those load when used.
    query = query.options(joinedload(Member.memberships), lazyload(Member.products))
    return session.scalars(query).unique().first()


def handling_statement(column):
    """The member whose `column` is the `key` parameter and their conversation (open or not):
    every message needs both. The member's row is locked FOR NO KEY UPDATE: rows that refer to
    the member (a notice, a match) are still written meanwhile, and two members matched with
    each other at once do not deadlock."""
    return (select(Member, Conversation)
            .outerjoin(Conversation, Conversation.member_id == Member.id)
            .where(column == bindparam("key"))
            .with_for_update(of=Member, key_share=True)  # key_share: FOR NO KEY UPDATE
            .options(joinedload(Member.memberships), lazyload(Member.products))
            .execution_options(populate_existing=True))


# Built once: building an ORM statement costs about as much as running it.
HANDLING_BY_PHONE = handling_statement(Member.phone)
HANDLING_BY_TELEGRAM = handling_statement(Member.telegram_id)


def for_handling(session: Session, *, phone: str | None = None, telegram_id: int | None = None
                 ) -> tuple[Member | None, Conversation | None]:
    """The member with this phone or Telegram id, locked, and their conversation, in one
    statement (`handling_statement`)."""
    if phone:
        row = session.execute(HANDLING_BY_PHONE, {"key": phone}).unique().first()
    elif telegram_id is not None:
        row = session.execute(HANDLING_BY_TELEGRAM, {"key": telegram_id}).unique().first()
    else:
        row = None
    return (row[0], row[1]) if row else (None, None)


def get_or_create(session: Session, *, phone: str | None = None, telegram_id: int | None = None,
                  lock: bool = False) -> Member:
    """The member with this phone or Telegram id, created on first contact (safe under races);
    `lock` as for `find` (a member just created is locked by the insert)."""
    member = find(session, phone=phone, telegram_id=telegram_id, lock=lock)
    if member:
        return member
    try:
        with session.begin_nested():
            member = Member(phone=phone, telegram_id=telegram_id)
            session.add(member)
    except IntegrityError:  # another process created it between our select and insert
        member = find(session, phone=phone, telegram_id=telegram_id, lock=lock)
    return member


def set_memberships(session: Session, member: Member, cluster_id: int, roles: list[str]) -> None:
    """Replaces the member's chosen roles in one cluster (coordinator is kept: it is granted)."""
    for m in list(member.memberships):
        if m.cluster_id == cluster_id and m.role != "coordinator":
            member.memberships.remove(m)
    session.flush()
    for role in roles:
        member.memberships.append(Membership(cluster_id=cluster_id, role=role))


def add_role(session: Session, member: Member, cluster_id: int, role: str) -> bool:
    """Grants `role` in the cluster; False when the member already has it."""
    if any(m.cluster_id == cluster_id and m.role == role for m in member.memberships):
        return False
    member.memberships.append(Membership(cluster_id=cluster_id, role=role))
    session.flush()
    return True


def set_products(member: Member, products: list[tuple[int | None, str]]) -> None:
    """Replaces what the member deals in: (catalog product id or None, name as typed)."""
    member.products.clear()
    for product_id, raw in products:
        member.products.append(MemberProduct(product_id=product_id, raw_name=raw))


def anonymise(session: Session, member: Member) -> None:
    """Empties the member's own row and stops all messages to them (DELETE does more:
    storage.forget)."""
    member.name = member.phone = member.telegram_id = member.telegram_username = None
    member.place_name = member.place_id = None
    member.listed = member.business_name = member.capacity = member.reserved_groups = None
    member.opted_out = True
    member.registered = False
    member.deleted_at = datetime.now(timezone.utc)
    member.memberships.clear()
    member.products.clear()
    session.execute(delete(Conversation).where(Conversation.member_id == member.id))


def all_members(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.deleted_at.is_(None)).order_by(Member.id)))


def mark_unreachable(session: Session, member_id: int, effect: str) -> None:
    """Records what a provider told us: `opted_out`, `sms_unreachable` or `telegram_blocked`."""
    member = session.get(Member, member_id)
    if member is not None and effect in ("opted_out", "sms_unreachable", "telegram_blocked"):
        setattr(member, effect, True)
