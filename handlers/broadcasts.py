"""Broadcasts: a coordinator's message to the members of their clusters, now or later.

    BROADCAST [cluster] [role] [place:X] [lang:xx] [product:X] text [|| sw: maandishi || fr: texte]

The coordinator sees the reach (members per channel, SMS segments) and confirms with YES.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from handlers import coordinators, registration
from handlers.budget import count_segments
from handlers.notify import notify
from handlers.products import catalog_names, read_one
from handlers.turn import Choice, Turn
from locales.i18n import N_, SHIPPED, Plural, fold, number, translate
from storage import audit, broadcasts, jobs
from storage.audit import Actor
from storage.broadcasts import Broadcast
from storage.models import Member, utcnow

FLOW = "broadcasts"
FILTERS = {"place": "place", "lang": "language", "product": "product"}
REACH = Plural("This goes to {count} member: {telegram} on Telegram, {sms} by SMS ({segments} SMS "
               "each, {total} in all). Send it?",
               "This goes to {count} members: {telegram} on Telegram, {sms} by SMS ({segments} SMS "
               "each, {total} in all). Send it?")
SENDING = Plural("Sending to {count} member. You will get a summary when it is done.",
                 "Sending to {count} members. You will get a summary when it is done.")


def start(turn: Turn) -> None:
    """Reads the audience and text of a broadcast; asks for the text when it is missing."""
    words = turn.inbound.text.split()[1:]
    named, words = coordinators.named_cluster(turn, words)
    chosen = coordinators.pick(turn, named)
    if chosen is None:
        return turn.end()
    filters, words = read_filters(turn, words)
    if filters is None:
        return turn.end()
    turn.data = {"clusters": [c.id for c in chosen], "filters": filters}
    if not words:
        return ask_text(turn)
    take_text(turn, " ".join(words))


def read_filters(turn: Turn, words: list[str]) -> tuple[dict | None, list[str]]:
    """Leading role and `key:value` filters; None (after a hint) when a filter is not understood."""
    filters: dict = {}
    if words and role_of(words[0]):
        filters["role"], words = role_of(words[0]), words[1:]
    while words and ":" in words[0] and fold(words[0].split(":", 1)[0]) in FILTERS:
        key, value = words[0].split(":", 1)
        words = words[1:]
        name = FILTERS[fold(key)]
        if name == "language" and value.lower() not in SHIPPED:
            turn.say(turn._("Unknown language {language}: use en, sw, fr or pt.", language=value[:10]))
            return None, words
        if name == "product":
            product_id = read_one(catalog_names(turn.session), value.replace("_", " "))
            if product_id is None:
                turn.say(turn._("Unknown product: {product}.", product=value[:30]))
                return None, words
            filters["product_id"] = product_id
        else:
            filters[name] = value.replace("_", " ").lower() if name == "language" else value.replace("_", " ")
    return filters, words


def role_of(word: str) -> str | None:
    """A role slug for a word naming one exactly, in any language, singular or plural."""
    folded = fold(word)
    for slug, label in registration.ROLES.items():
        names = {slug, slug.replace("_", " ")} | {fold(translate(lang, label)) for lang in SHIPPED}
        if folded in names or folded.rstrip("s") in names:
            return slug
    return None


def ask_text(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "ask_text", turn._("What should the broadcast say?"), preface=preface)


def on_text(turn: Turn) -> None:
    """Takes the text asked for."""
    take_text(turn, turn.answer)


def take_text(turn: Turn, text: str) -> None:
    """Splits the text by language and shows the reach, asking to confirm."""
    texts = read_texts(text)
    if texts is None or not any(t.strip() for t in texts.values()):
        return ask_text(turn, turn._("Please send the text of the broadcast."))
    turn.data["texts"] = texts
    cost = estimate(turn.session, turn.data["clusters"], turn.data["filters"], texts)
    if not cost.members:
        turn.end()
        return turn.say(turn._("No member matches this broadcast. Nothing was sent."))
    turn.ask(FLOW, "confirm", turn._(
        REACH, count=cost.members, telegram=number(cost.telegram, turn.lang),
        sms=number(cost.sms, turn.lang), segments=cost.segments,
        total=number(cost.total, turn.lang)),
        [Choice("yes", turn._("Send")), Choice("no", turn._("Do not send"))], free_text=False)


@dataclass(frozen=True)
class Estimate:
    """What a broadcast would reach and cost, before it is sent: members per channel, the SMS
    segments of its longest text, and the SMS it takes in all (each SMS member gets that many)."""

    telegram: int
    sms: int
    segments: int

    @property
    def members(self) -> int:
        return self.telegram + self.sms

    @property
    def total(self) -> int:
        return self.segments * self.sms


def estimate(session: Session, cluster_ids: list[int], filters: dict,
             texts: dict[str, str]) -> Estimate:
    """The reach and SMS cost of a broadcast of `texts` to the members the filters select."""
    reach = broadcasts.reach(session, cluster_ids, filters)
    return Estimate(telegram=reach.get("telegram", 0), sms=reach.get("sms", 0),
                    segments=max((count_segments(t) for t in texts.values()), default=0))


def read_texts(text: str) -> dict[str, str] | None:
    """`Hello || sw: Habari` -> {"": "Hello", "sw": "Habari"}; None when a part is empty."""
    texts: dict[str, str] = {}
    for position, part in enumerate(p.strip() for p in text.split("||")):
        language, _, rest = part.partition(":")
        if position and language.strip().lower() in SHIPPED:
            texts[language.strip().lower()] = rest.strip()
        elif position:
            return None
        else:
            texts[""] = part
    return texts if all(texts.values()) else None


def on_confirm(turn: Turn) -> None:
    """Queues the broadcast on yes (audit-logged); drops it on no."""
    data = turn.data
    turn.end()
    if turn.answer != "yes":
        return turn.say(turn._("Broadcast cancelled. Nothing was sent."))
    texts = with_coordinator_language(data["texts"], turn.lang)
    _, count = send(turn.session, data["clusters"], turn.member, texts, data["filters"])
    turn.say(turn._(SENDING, count=count))


def send(session: Session, cluster_ids: list[int], actor: Actor, texts: dict[str, str],
         filters: dict, *, send_at: datetime | None = None, grace_seconds: int = 3600,
         fallback: str | None = None) -> tuple[Broadcast, int | None]:
    """Sends a broadcast of `texts` (language -> text, "" the default) to the members of the
    clusters that match the filters: queued now, or at `send_at` by `due_job`; audited once
    per cluster. Returns it and how many members it was queued to (None: scheduled)."""
    broadcast = broadcasts.create(session, coordinator_id=audit.member_id(actor),
                                  cluster_ids=cluster_ids, filters=filters, texts=texts,
                                  send_at=send_at, grace_seconds=grace_seconds, fallback=fallback)
    later = send_at is not None and send_at > utcnow()
    count = None if later else broadcasts.queue(session, broadcast)
    details: dict = {}  # when it was scheduled, if it was; how many it went to, if it went
    if send_at is not None:
        details["scheduled"] = send_at.isoformat()
    if count is not None:
        details["members"] = count
    for cluster_id in cluster_ids:
        audit.record(session, action="broadcast.send", actor=actor, cluster_id=cluster_id,
                     broadcast_id=broadcast.id, **details)
    return broadcast, count


def with_coordinator_language(texts: dict[str, str], language: str) -> dict[str, str]:
    """The default text is in the coordinator's language unless they gave that one too."""
    return {language: texts[""], **texts} if language not in texts else texts


def send_due(session, now: datetime) -> None:
    """Queues scheduled broadcasts whose time has come; one later than its grace time (the bot
    was down) is not sent but reported to its coordinator."""
    for broadcast in broadcasts.due(session, now):
        if broadcasts.late(broadcast, now):
            broadcast.status = "missed"
            tell_coordinator(session, broadcast, N_(
                "Broadcast {id} was due at {time} UTC but the bot was not running then. It was "
                "not sent; send it again if it still matters."), time=broadcast.send_at.strftime("%Y-%m-%d %H:%M"))
        else:
            broadcasts.queue(session, broadcast)


def report_done(session, now: datetime) -> None:
    """Tells each coordinator how their finished broadcasts went."""
    for broadcast in broadcasts.finished_sending(session):
        broadcast.status = "done"
        counts = broadcasts.progress(session, broadcast.id)
        tell_coordinator(session, broadcast, N_(
            "Broadcast {id} is done: {sent} sent, {delivered} delivered, {failed} failed."),
            **summary(counts))


def summary(counts: dict[str, int]) -> dict[str, int]:
    """sent / delivered / failed out of outbox statuses (delivered counts as sent too)."""
    delivered = counts.get("delivered", 0) + counts.get("read", 0)
    failed = sum(counts.get(s, 0) for s in ("failed", "undelivered", "undeliverable"))
    return {"sent": counts.get("sent", 0) + delivered, "delivered": delivered, "failed": failed}


def tell_coordinator(session, broadcast, msgid: str, **values) -> None:
    coordinator = session.get(Member, broadcast.coordinator_id) if broadcast.coordinator_id else None
    if coordinator is not None:
        notify(session, coordinator, msgid, id=broadcast.id, **values)


def due_job() -> None:
    """Every few seconds in the running app: due broadcasts out, finished ones reported."""
    with jobs.transaction() as session:
        send_due(session, jobs.now())
    with jobs.transaction() as session:
        report_done(session, jobs.now())


KEYWORDS = {"broadcast": start}
STEPS = {"ask_text": on_text, "confirm": on_confirm}
JOBS = [("broadcasts-due", "handlers.broadcasts:due_job", {"trigger": "interval", "seconds": 10})]
