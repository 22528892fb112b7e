"""The directory's queries for FIND: who may be found (listed members, institutions), the
searches members made (MORE continues the last one), and introductions asked from a result."""
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.directory import DirectoryIntroduction, DirectorySearch, Institution
from storage.market import new_code
from storage.models import Member, Membership


def findable(cluster_ids: list[int], searcher_id: int):
    """A select of the members of the clusters who agreed to be listed and can be asked
    (registered, not opted out, not deleted), without the searcher."""
    in_clusters = select(Membership.member_id).where(Membership.cluster_id.in_(cluster_ids))
    return (select(Member)
            .where(Member.id.in_(in_clusters), Member.id != searcher_id, Member.listed.is_(True),
                   Member.registered.is_(True), Member.opted_out.is_(False),
                   Member.deleted_at.is_(None))
            .options(selectinload(Member.products), selectinload(Member.memberships)))


def findable_members(session: Session, cluster_ids: list[int], searcher_id: int) -> list[Member]:
    """The members FIND may show the searcher (see `findable`), their products and roles
    loaded."""
    if not cluster_ids:
        return []
    return list(session.scalars(findable(cluster_ids, searcher_id).order_by(Member.id)).unique())


def findable_member(session: Session, member_id: int, cluster_ids: list[int],
                    searcher_id: int) -> Member | None:
    """The member if FIND may still show them to the searcher (they may have left since)."""
    if not cluster_ids:
        return None
    return session.scalars(findable(cluster_ids, searcher_id).where(Member.id == member_id)
                           ).unique().one_or_none()


def institutions_in(session: Session, cluster_ids: list[int]) -> list[Institution]:
    """The clusters' support institutions, by name."""
    if not cluster_ids:
        return []
    return list(session.scalars(
        select(Institution).where(Institution.cluster_id.in_(cluster_ids))
        .order_by(Institution.name, Institution.id)).unique())


def add_search(session: Session, **fields) -> DirectorySearch:
    """Records one FIND (fields of DirectorySearch)."""
    search = DirectorySearch(**fields)
    session.add(search)
    session.flush()
    return search


def last_search(session: Session, member_id: int) -> DirectorySearch | None:
    """The member's newest search that found something (MORE continues it)."""
    return session.scalar(
        select(DirectorySearch)
        .where(DirectorySearch.member_id == member_id, DirectorySearch.found.is_(True))
        .order_by(DirectorySearch.created_at.desc(), DirectorySearch.id.desc()).limit(1))


def add_introduction(session: Session, *, cluster_id: int, searcher_id: int, member_id: int,
                     query: str) -> DirectoryIntroduction:
    """A new introduction with a code no other introduction has."""
    code = new_code()
    while session.scalar(select(DirectoryIntroduction.id)
                         .where(DirectoryIntroduction.code == code)) is not None:
        code = new_code()
    introduction = DirectoryIntroduction(code=code, cluster_id=cluster_id,
                                         searcher_id=searcher_id, member_id=member_id,
                                         query=query[:200])
    session.add(introduction)
    session.flush()
    return introduction


def unanswered(session: Session, *, searcher_id: int | None = None, member_id: int,
               since: datetime, code: str | None = None) -> list[DirectoryIntroduction]:
    """Introductions `member_id` was asked and has not answered (newer than `since`), from
    `searcher_id` when given, or the one with `code`; newest first."""
    I = DirectoryIntroduction
    query = select(I).where(I.member_id == member_id, I.answer.is_(None), I.created_at > since)
    if searcher_id is not None:
        query = query.where(I.searcher_id == searcher_id)
    if code:
        query = query.where(I.code == code.upper())
    return list(session.scalars(query.order_by(I.created_at.desc(), I.id.desc())))


def record_answer(introduction: DirectoryIntroduction, yes: bool) -> None:
    introduction.answer = yes
    introduction.answered_at = datetime.now(timezone.utc)
