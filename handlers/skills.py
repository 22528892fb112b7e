"""Skills needs: what members need to learn (NEED), counted per cluster for coordinators
(SKILLS), and the trainings coordinators plan for them: meetings about a skill (see
handlers/meetings.py) to which the members who asked are invited."""
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable

from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from handlers import coordinators, dates
from handlers import meetings as meeting_handlers
from handlers import registration
from handlers.budget import most_that_fit
from handlers.labels import shorten
from handlers.matching import CLOSE, best, sure
from handlers.notify import notify
from handlers.turn import Choice, Handler, Turn
from locales.i18n import Plural, command_word, fold, keyword_word
from locales.skills import Skill
from locales.skills import catalog as skill_catalog
from locales.skills import key, skill_name, words_of
from storage import audit, clusters, jobs
from storage import meetings as meeting_store
from storage import skills as store
from storage.audit import Actor
from storage.models import Cluster, utcnow

FLOW = "skills"
OFFERED = 8  # skills offered as choices when NEED comes alone
TOPICS_OFFERED = 6  # most needed skills offered when a coordinator plans a training
MAX_NEEDS = 5  # needs in one message
MAX_WORDING = 100  # characters of a need in the member's own words
SIMILAR = CLOSE  # rapidfuzz score at which two needs in members' own words are the same need
EXAMPLES = 5  # wordings shown per need in the CLI report
DATE_WORDS = 10  # words a date and a time take at most (`kesho saa kumi na moja na nusu jioni`)
THRESHOLDS = (1, 100_000)  # the fewest and most members a cluster's alert threshold may be

THRESHOLD_REACHED = Plural("{count} member of {cluster} now needs {skill}. Send {skills} to see "
                           "all their needs.",
                           "{count} members of {cluster} now need {skill}. Send {skills} to see "
                           "all their needs.")
AT_MOST_NEEDS = Plural("Please send at most {count} need at a time.",
                       "Please send at most {count} needs at a time.")
PLANNED = Plural("Training planned: {skill}, {when}, {place}. {count} member who asked for it is "
                 "invited. To see who comes, send {skills} {code}.",
                 "Training planned: {skill}, {when}, {place}. {count} members who asked for it "
                 "are invited. To see who comes, send {skills} {code}.")

# Words that only frame a need ("training in", "mafunzo ya"): a part of a message made of
# these alone is no need of its own.
FILLER = {
    "training", "trainings", "train", "learn", "learning", "how", "to", "in", "on", "of", "for",
    "about", "with", "the", "a", "an", "i", "we", "my", "our", "need", "want", "skill", "skills",
    "course", "courses", "more", "better", "help", "please", "some", "good",
    "mafunzo", "jinsi", "ya", "wa", "za", "la", "cha", "vya", "kuhusu", "kujifunza", "nahitaji",
    "tunahitaji", "ujuzi", "kozi", "elimu", "tafadhali", "juu", "kwa",
    "formation", "formations", "apprendre", "comment", "en", "de", "du", "des", "le", "les",
    "sur", "pour", "un", "une", "je", "nous", "besoin", "cours", "competences", "plus",
    "formacao", "treinamento", "capacitacao", "aprender", "como", "em", "do", "da", "dos",
    "das", "sobre", "para", "um", "uma", "eu", "nos", "preciso", "curso", "cursos",
    "competencias", "mais", "por", "favor",
}
# `SKILLS TRAINING ...` in each language (the word coordinators are shown in the report).
TRAINING_WORDS = {"training", "mafunzo", "formation", "formacao", "treinamento", "capacitacao"}
SEPARATOR_WORDS = {"and", "na", "et", "e", "n"}  # as in handlers.matching.split_list
SEPARATOR_SIGNS = {",", ";", "/", "&", "+"}


# --- The catalog ----------------------------------------------------------------------------

@lru_cache
def catalog() -> dict[str, Skill]:
    """The skills catalog (locales/skills.toml), each skill offered to roles members register
    with; ValueError on an unknown role."""
    skills = skill_catalog()
    for skill in skills.values():
        unknown = sorted(set(skill.roles) - set(registration.ROLES))
        if unknown:
            raise ValueError(f"skill {skill.slug!r}: unknown roles {unknown}")
    return skills


@lru_cache
def name_words() -> dict[tuple[str, ...], str]:
    """Every name as its words (folded) -> slug, for finding names inside a message."""
    return {tuple(map(key, words_of(name))): skill.slug for skill in catalog().values()
            for names in skill.names.values() for name in names}


@lru_cache
def names() -> dict[str, str]:
    """Every folded name -> slug, for fuzzy matching with typos."""
    return {fold(name): skill.slug for skill in catalog().values()
            for names in skill.names.values() for name in names}


@lru_cache
def one_word_names() -> dict[str, str]:
    return {name: slug for name, slug in names().items() if " " not in name}


def offered(roles: list[str]) -> list[str]:
    """The skills offered to members of these roles, at most 8; without a role, the skills of
    the most trades."""
    skills = list(catalog().values())
    if roles:
        slugs = [s.slug for role in roles for s in skills if role in s.roles]
    else:
        slugs = [s.slug for s in sorted(skills, key=lambda s: -len(s.roles))]
    return list(dict.fromkeys(slugs))[:OFFERED]


def offer_labels(roles: list[str], lang: str) -> list[str]:
    """The names of the skills offered to members of these roles, in `lang`."""
    return [skill_name(slug, lang) for slug in offered(roles)]


# --- Reading needs --------------------------------------------------------------------------

@dataclass(frozen=True)
class Need:
    skill: str | None  # catalog slug; None when the catalog does not know it
    wording: str  # as the member wrote it

    @property
    def topic(self) -> str:
        """What makes two needs of a member the same one."""
        return self.skill or "~" + fold(self.wording)[:110]


def read_needs(text: str) -> list[Need]:
    """The needs in a member's words, without repeats: catalog skills in any language and with
    typos, others as written. `bookkeeping and marketing` is two needs; the words around a
    skill (`mafunzo ya uhasibu`) are no need of their own."""
    needs: dict[str, Need] = {}
    for words, found in parts(text):
        wording = " ".join(words)
        found = found or fuzzy_skills(wording)
        if found:
            for slug in found:
                needs.setdefault(slug, Need(slug, wording[:MAX_WORDING]))
        elif any(c.isalpha() for c in wording) and not all(key(w) in FILLER for w in words):
            need = Need(None, wording)
            needs.setdefault(need.topic, need)
    return list(needs.values())


def parts(text: str) -> list[tuple[list[str], list[str]]]:
    """(words, skills named in them) of each part of a list; a skill's name is never split,
    even where it has `and` in it."""
    words = words_of(text)
    keys = [key(w) for w in words]
    longest = max(map(len, name_words()))
    found: list[tuple[list[str], list[str]]] = [([], [])]
    i = 0
    while i < len(words):
        size = next((n for n in range(min(longest, len(words) - i), 0, -1)
                     if tuple(keys[i:i + n]) in name_words()), 0)
        if size:
            found[-1][0].extend(words[i:i + size])
            found[-1][1].append(name_words()[tuple(keys[i:i + size])])
            i += size
            continue
        if keys[i] in SEPARATOR_WORDS or words[i] in SEPARATOR_SIGNS:
            found.append(([], []))
        else:
            found[-1][0].append(words[i])
        i += 1
    return [(w, list(dict.fromkeys(s))) for w, s in found if w]


def fuzzy_skills(wording: str) -> list[str]:
    """Skills named with a typo: the whole part (`fish handlin`), else one of its words
    (`training on bookeeping`)."""
    match = sure(best(wording, names()))
    if match:
        return [match.key]
    found = [sure(best(word, one_word_names()))
             for word in wording.split() if len(key(word)) >= 5]
    return list(dict.fromkeys(m.key for m in found if m))


def label(need: Need, lang: str) -> str:
    return skill_name(need.skill, lang) if need.skill else need.wording


# --- NEED -----------------------------------------------------------------------------------

def need(turn: Turn) -> None:
    """NEED text records each need named; NEED alone offers the skills of the member's trade."""
    if not clusters.clusters_of(turn.member):
        return turn.say(turn._("You are not registered yet. Send {join} to register.",
                               join=keyword_word("join", turn.lang)))
    words = turn.inbound.text.split(" ", 1)
    take_needs(turn, words[1] if len(words) > 1 else "", asked=False)


def ask_need(turn: Turn, preface: str | None = None) -> None:
    roles = [m.role for m in turn.member.memberships if m.role in registration.ROLES]
    labels = offer_labels(roles, turn.lang)
    choices = [Choice(slug, name) for slug, name in zip(offered(roles), labels)]
    turn.ask(FLOW, "pick_need", turn._("Which skill do you need? Send a number, or write it."),
             choices, preface=preface)


def on_need(turn: Turn) -> None:
    """Records the skill chosen, or the needs written."""
    if turn.chosen:
        return save_needs(turn, [Need(turn.answer, skill_name(turn.answer, turn.lang))])
    take_needs(turn, turn.answer, asked=True)


def take_needs(turn: Turn, text: str, asked: bool) -> None:
    """Records the needs in `text`; asks with the skills of the member's trade when there are
    none, or when they cannot be taken as they are (too many, too long)."""
    needs = read_needs(text)
    if not needs:
        return ask_need(turn, turn._("Please write the skill you need, e.g. bookkeeping.")
                        if asked else None)
    if len(needs) > MAX_NEEDS:
        return ask_need(turn, turn._(AT_MOST_NEEDS, count=MAX_NEEDS))
    if any(len(n.wording) > MAX_WORDING for n in needs if n.skill is None):
        return ask_need(turn, turn._("Please describe each need in a few words."))
    save_needs(turn, needs)


def save_needs(turn: Turn, needs: list[Need]) -> None:
    """Records the needs in each of the member's clusters, acknowledges them, and invites the
    member to trainings already planned for them."""
    session, member = turn.session, turn.member
    for cluster in clusters.clusters_of(member):
        for n in needs:
            store.add_need(session, cluster_id=cluster.id, member_id=member.id, skill=n.skill,
                           topic=n.topic, wording=n.wording[:MAX_WORDING])
        alert_coordinators(session, cluster)
    turn.end()
    turn.say(fitted(lambda shown: turn._(
        "Noted, you need: {needs}. We will tell you when a training is planned.", needs=shown),
        [label(n, turn.lang) for n in needs]))
    invite_to_planned(turn, [n.skill for n in needs if n.skill])


def fitted(make: Callable[[str], str], items: list[str], empty: str = "-") -> str:
    """`make(list)` with as many items as fit in two SMS, the others counted as `+N`."""
    def listed(shown: list[str], hidden: int) -> str:
        counted = [f"+{hidden}"] if hidden else ([] if shown else [empty])
        return make(" ".join(filter(None, [", ".join(shown), *counted])))

    return most_that_fit(listed, items)


# --- Telling coordinators -------------------------------------------------------------------

def alert_coordinators(session: Session, cluster: Cluster) -> list[str]:
    """Tells the cluster's coordinators, once for each skill, when as many members need it as
    the cluster's threshold; returns the skills they were just told about."""
    limit = store.threshold(session, cluster.id)
    told = store.alerted(session, cluster.id)
    reached = [(slug, count) for slug, count in store.skill_counts(session, cluster.id).items()
               if count >= limit and slug not in told]
    alerted = []
    for slug, count in sorted(reached):
        if not store.mark_alerted(session, cluster.id, slug, count):
            continue  # another process told them just now
        alerted.append(slug)
        for coordinator in store.coordinators(session, cluster.id):
            notify(session, coordinator, THRESHOLD_REACHED, count=count, cluster=cluster.name,
                   skill=skill_name(slug, coordinator.language),
                   skills=keyword_word("skills", coordinator.language))
    return alerted


def set_threshold(session: Session, cluster: Cluster, actor: Actor, members: int) -> list[str]:
    """Sets how many members must need a skill before the cluster's coordinators are told,
    audited; tells them now, once, of the skills already there, and returns those. ValueError,
    with nothing changed, for a number outside THRESHOLDS."""
    if not THRESHOLDS[0] <= members <= THRESHOLDS[1]:
        raise ValueError(f"a threshold is from {THRESHOLDS[0]} to {THRESHOLDS[1]} members")
    store.set_threshold(session, cluster.id, members)
    told = alert_coordinators(session, cluster)
    audit.record(session, action="skills.threshold", actor=actor, cluster_id=cluster.id,
                 members=members)
    return told


def alert_all(session: Session) -> int:
    """Tells coordinators of every cluster about skills that reached the threshold."""
    return sum(len(alert_coordinators(session, session.get(Cluster, cluster_id)))
               for cluster_id in store.clusters_with_needs(session))


def alerts_job() -> None:
    """Catches up on alerts a race or a lowered threshold left untold (safe to run twice)."""
    with jobs.transaction() as session:
        alert_all(session)


JOBS = [("skills-alerts", "handlers.skills:alerts_job", {"trigger": "interval", "minutes": 10})]


# --- SKILLS: the needs of a cluster ---------------------------------------------------------

@dataclass
class NeedRow:
    """One line of the needs report: a catalog skill, or similar needs in members' own words."""

    skill: str | None
    members: set[int] = field(default_factory=set)
    wordings: Counter = field(default_factory=Counter)
    first: str = ""  # the first wording: what similar ones are compared with

    @property
    def wording(self) -> str:
        return self.wordings.most_common(1)[0][0]

    def label(self, lang: str) -> str:
        return skill_name(self.skill, lang) if self.skill else f'"{self.wording[:40]}"'


def needs_table(session: Session, cluster_id: int) -> list[NeedRow]:
    """The cluster's needs by skill, those in members' own words grouped when similar; by how
    many members ask, most first."""
    by_skill: dict[str, NeedRow] = {}
    free: list[NeedRow] = []
    for skill, member_id, wording in store.wordings(session, cluster_id):
        row = by_skill.setdefault(skill, NeedRow(skill)) if skill else similar_row(free, wording)
        row.members.add(member_id)
        row.wordings[wording] += 1
    rows = list(by_skill.values()) + free
    return sorted(rows, key=lambda r: (-len(r.members), r.skill or "~" + fold(r.wording)))


def similar_row(rows: list[NeedRow], wording: str) -> NeedRow:
    """The row of needs similar to `wording` (rapidfuzz), added when there is none."""
    found = process.extractOne(fold(wording), [fold(r.first) for r in rows],
                               scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR)
    if found:
        return rows[found[2]]
    rows.append(NeedRow(None, first=wording))
    return rows[-1]


def skills(turn: Turn) -> None:
    """SKILLS [cluster]: the needs; SKILLS [cluster] TRAINING ...: plans a training;
    SKILLS code: who comes to a training; SKILLS CANCEL / MOVE code: as MEETING does."""
    words = turn.inbound.text.split()[1:]
    action = meeting_handlers.action_of(words[0]) if words else None
    if action:
        return meeting_handlers.ACTION_STARTS[action](turn, " ".join(words[1:]))
    at = next((i for i, w in enumerate(words) if command_word(w) in TRAINING_WORDS), None)
    if at is not None:
        return start_training(turn, " ".join(words[:at]) or None, words[at + 1:])
    if len(words) == 1 and meeting_store.by_code(turn.session, words[0].strip(".,!")[:8]):
        return meeting_handlers.start_list(turn, words[0])
    for cluster in coordinators.pick(turn, " ".join(words) or None) or []:
        show_needs(turn, cluster)


def show_needs(turn: Turn, cluster: Cluster) -> None:
    """Says the cluster's top needs with how many members ask, in two SMS."""
    table = needs_table(turn.session, cluster.id)
    coordinators.record(turn, "skills.report", cluster, needs=len(table))
    if not table:
        return turn.say(turn._("No skills needs yet in {cluster}.", cluster=cluster.name))
    items = [f"{row.label(turn.lang)} {len(row.members)}" for row in table]
    turn.say(fitted(lambda shown: turn._(
        "Skills needed in {cluster} (members asking): {needs}. To plan a training: {skills} "
        "TRAINING skill date time place", cluster=cluster.name, needs=shown,
        skills=keyword_word("skills", turn.lang)), items))


# --- SKILLS TRAINING: a meeting about a skill for the members who asked for it -----------------

def start_training(turn: Turn, cluster_name: str | None, words: list[str]) -> None:
    """Takes what the coordinator gave of the training (skill, date and time, place) and asks
    for the rest."""
    chosen = coordinators.pick(turn, cluster_name)
    if chosen is None:
        return turn.end()
    coordinators.begin(turn, "training", chosen)
    at = date_start(words, chosen[0].timezone)
    meeting_handlers.read_command(turn, " ".join(words[at:]), chosen[0].timezone)
    turn.data.pop("title", None)  # words after a colon: the title of a training is its skill
    if at and (problem := take_topic(turn, " ".join(words[:at]))):
        turn.data["why"]["topic"] = problem
    ask_training_next(turn)


def date_start(words: list[str], tz: str) -> int:
    """Where the date and time start, after the skill: the first word from which the most of a
    date and a time is read (`seguranca no mar 10/12 10:00`: at 10/12, not at `mar`)."""
    now, best, start = utcnow(), 0, len(words)
    for i in range(len(words)):
        reading = dates.scan(" ".join(words[i:i + DATE_WORDS]), tz, now)
        found = bool(reading.day) + bool(reading.clock)
        if found > best:
            best, start = found, i
    return start


def ask_training_next(turn: Turn) -> None:
    """Asks which cluster and which skill; the date, time and place are asked as for a
    meeting, which then comes back to `announce`."""
    if "cluster" not in turn.data:
        return ask_cluster(turn)
    if "title" not in turn.data:
        return ask_topic(turn, turn.data.get("why", {}).pop("topic", None))
    meeting_handlers.ask_next(turn)


def ask_cluster(turn: Turn) -> None:
    coordinators.ask_cluster(turn, FLOW, "training_cluster",
                             turn._("Which cluster is the training for?"))


def on_cluster(turn: Turn) -> None:
    turn.data["cluster"] = int(turn.answer)
    ask_training_next(turn)


def ask_topic(turn: Turn, preface: str | None = None) -> None:
    needed = [row.skill for row in needs_table(turn.session, turn.data["cluster"]) if row.skill]
    choices = [Choice(slug, skill_name(slug, turn.lang)) for slug in needed[:TOPICS_OFFERED]]
    turn.ask(FLOW, "training_topic", turn._("Which skill is the training for? Send a number, "
                                            "or write it."), choices, preface=preface)


def on_topic(turn: Turn) -> None:
    """Stores the skill of the training (chosen, or written in any language)."""
    if turn.chosen:
        turn.data.update(skill=turn.answer, title=skill_name(turn.answer, turn.lang),
                         topic=skill_name(turn.answer, turn.lang))
    elif problem := take_topic(turn, turn.answer):
        return ask_topic(turn, problem)
    ask_training_next(turn)


def take_topic(turn: Turn, text: str) -> str | None:
    """Stores the one skill `text` names; returns why it cannot when it does not."""
    needs = read_needs(text)
    if len(needs) != 1:
        return turn._("Please name one skill for the training.")
    if len(needs[0].wording) > MAX_WORDING:
        return turn._("Please describe each need in a few words.")
    wording = needs[0].wording
    turn.data.update(skill=needs[0].skill, topic=wording,
                     title=shorten(wording, meeting_handlers.MAX_TITLE))
    return None


def announce(turn: Turn) -> None:
    """Plans the training, invites the members who asked for it, and tells the coordinator."""
    session, data = turn.session, turn.data
    starts_at = datetime.fromisoformat(data["at"])
    cluster = session.get(Cluster, data["cluster"])
    try:
        training, invited = plan_training(session, cluster, turn.member, skill=data["skill"],
                                          topic=data["topic"], title=data["title"],
                                          place=data["place"], starts_at=starts_at)
    except meeting_handlers.Refused as refusal:
        return meeting_handlers.not_changed(turn, refusal)
    turn.end()
    turn.say(turn._(PLANNED, skill=meeting_handlers.title_in(training, turn.lang),
                    when=dates.format_when(starts_at, cluster.timezone, turn.lang),
                    place=training.place, count=invited,
                    skills=keyword_word("skills", turn.lang), code=training.code))


def plan_training(session: Session, cluster: Cluster, organiser: Actor, *, skill: str | None,
                  topic: str, title: str, place: str, starts_at: datetime,
                  now: datetime | None = None) -> tuple[meeting_store.Meeting, int]:
    """Plans a training on a catalog skill (or, with no skill, on the topic in members' own
    words) and invites the members of the cluster who asked for it, audited; returns it and
    how many are invited. Refused (handlers.meetings), with nothing changed, for a moment
    passed or a place that cannot be taken."""
    now = now or utcnow()
    meeting_handlers.check_start(starts_at, now)
    meeting_handlers.check_text("place", place)
    training, invited = meeting_store.schedule(
        session, cluster_id=cluster.id, organiser_id=audit.member_id(organiser), title=title,
        place=place, starts_at=starts_at, now=now, kind="training", skill=skill,
        member_ids=askers(session, cluster.id, skill, topic))
    meeting_handlers.tell(session, training, meeting_handlers.text_of(training, "invitation"))
    audit.record(session, action="skills.training", actor=organiser, cluster_id=cluster.id,
                 code=training.code, skill=training.skill, topic=topic, place=training.place,
                 starts_at=starts_at.astimezone(timezone.utc).isoformat(), invited=invited)
    return training, invited


def askers(session: Session, cluster_id: int, skill: str | None, topic: str) -> list[int]:
    """Ids of the members of the cluster who asked for the skill (or for something like the
    topic in their own words)."""
    if skill:
        return store.members_needing(session, cluster_id, skill)
    topic = fold(topic)
    return sorted({member_id for slug, member_id, wording in store.wordings(session, cluster_id)
                   if slug is None and fuzz.token_sort_ratio(fold(wording), topic) >= SIMILAR})


def invite_to_planned(turn: Turn, slugs: list[str]) -> None:
    """Invites the member to the planned trainings for skills they just asked for."""
    now = utcnow()
    for cluster in clusters.clusters_of(turn.member):
        for slug in slugs:
            for training in meeting_store.upcoming_trainings(turn.session, cluster.id, slug, now):
                if meeting_store.invitation(turn.session, training.id, turn.member.id) is None:
                    meeting_store.invite(turn.session, training.id, turn.member.id, now)
                    turn.say(meeting_handlers.about(
                        training, meeting_handlers.text_of(training, "invitation"), turn.lang))


KEYWORDS: dict[str, Handler] = {"need": need, "skills": skills}
STEPS: dict[str, Handler] = {
    "pick_need": on_need,
    "training_cluster": on_cluster,
    "training_topic": on_topic,
}
meeting_handlers.PLANNING_ENDS["training"] = announce  # a training is planned as a meeting is
