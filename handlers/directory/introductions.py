"""Getting in touch from a FIND result: a listed member is asked YES or NO (in their language, on
their channel) and both get each other's contact only after YES; an institution's contact is
public and given at once."""
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from handlers.labels import shorten
from handlers.market.introductions import contact
from handlers.notify import notify
from handlers.turn import Invitation, Turn
from locales.i18n import N_, keyword_word
from storage import audit, clusters, directory_search, outbox
from storage.directory import DirectoryIntroduction, DirectorySearch, Institution
from storage.models import Member

ANSWER_WITHIN = timedelta(days=14)
NAME, QUERY, SERVICES, WEBSITE = 30, 30, 60, 80
ASKED = N_('{name} found you in the directory looking for "{looked_for}" and would like your '
           'contact. Reply {accept} to share contacts, or {refuse}.')
AGREED = N_('{name} agreed to share contacts: {contact} ("{looked_for}", code {code}).')
DECLINED = N_('{name} cannot help with "{looked_for}" this time. Send {more} for other results.')


def name_of(member: Member) -> str:
    return shorten(member.business_name or member.name or "-", NAME)


def ask_member(turn: Turn, search: DirectorySearch, member_id: int) -> None:
    """Asks the chosen member whether they agree to share contacts with the searcher, when they
    are still listed and reachable; tells the searcher."""
    session, me = turn.session, turn.member
    mine = [c.id for c in clusters.clusters_of(me)]
    other = directory_search.findable_member(session, member_id, mine, me.id)
    if other is None or outbox.route(other) is None:
        return turn.say(turn._("Sorry, this member can no longer be contacted through the "
                               "directory. Send {more} for other results.",
                               more=keyword_word("more", turn.lang)))
    since = datetime.now(timezone.utc) - ANSWER_WITHIN
    if directory_search.unanswered(session, searcher_id=me.id, member_id=other.id, since=since):
        return turn.say(turn._("You already asked {name}. We will tell you their answer.",
                               name=name_of(other)))
    shared = next(c.id for c in clusters.clusters_of(other) if c.id in mine)
    introduction = directory_search.add_introduction(
        session, cluster_id=shared, searcher_id=me.id, member_id=other.id, query=search.query)
    audit.record(session, action="directory.introduction.ask", actor=me, cluster_id=shared,
                 code=introduction.code, member_id=other.id)
    lang, code = other.language, introduction.code
    notify(session, other, ASKED, kind="directory", name=name_of(me),
           looked_for=shorten(search.query, QUERY), accept=f"{keyword_word('yes', lang)} {code}",
           refuse=f"{keyword_word('no', lang)} {code}")
    turn.say(turn._("We asked {name} whether they agree to share contacts. We will tell you "
                    "their answer.", name=name_of(other)))


def open_invitations(session: Session, member: Member, code: str | None) -> list:
    """The introductions the member was asked and may still answer (for handlers.answers)."""
    since = datetime.now(timezone.utc) - ANSWER_WITHIN
    return [Invitation(i.code, i.created_at, lambda turn, yes, i=i: answer(turn, i, yes))
            for i in directory_search.unanswered(session, member_id=member.id, since=since,
                                                 code=code)]


def answer(turn: Turn, introduction: DirectoryIntroduction, yes: bool) -> None:
    """Records the member's answer; YES shares each side's contact, NO tells the searcher
    politely, without it."""
    session = turn.session
    directory_search.record_answer(introduction, yes)
    audit.record(session, action="directory.introduction.answer", actor=turn.member,
                 cluster_id=introduction.cluster_id, code=introduction.code, answer=yes)
    searcher = introduction.searcher
    query = shorten(introduction.query, QUERY)
    if not yes:
        notify(session, searcher, DECLINED, kind="directory", name=name_of(turn.member),
               looked_for=query, more=keyword_word("more", searcher.language))
        return turn.say(turn._("OK, we will not share your contact ({code}).",
                               code=introduction.code))
    reached = notify(session, searcher, AGREED, kind="directory", name=name_of(turn.member),
                     contact=contact(turn.member), looked_for=query, code=introduction.code)
    if not reached:
        return turn.say(turn._("Thank you. We could not reach them any more; your contact was "
                               "not shared."))
    turn.say(turn._('Contact of {name}, who looked for "{looked_for}": {contact} (code {code}).',
                    name=name_of(searcher), looked_for=query, contact=contact(searcher),
                    code=introduction.code))


def institution_contact(turn: Turn, institution: Institution | None) -> None:
    """The institution's public contact at once; unverified ones say so."""
    if institution is None:
        return turn.say(turn._("Sorry, this result is no longer in the directory."))
    reach = [institution.phone] if institution.phone else []
    if institution.website and len(institution.website) <= WEBSITE:
        reach.append(institution.website)
    values = {"name": shorten(institution.name, NAME), "links": ", ".join(reach) or "-",
              "offered": shorten(", ".join(institution.services), SERVICES) or "-"}
    if institution.verified:
        return turn.say(turn._("{name}: {links}. Offers: {offered}.", **values))
    turn.say(turn._("{name}: {links}. Offers: {offered}. Not verified yet: please check "
                    "before you go.", **values))
