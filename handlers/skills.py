"""Skills needs: what members need to learn (NEED), counted per cluster for coordinators
(SKILLS), and the trainings coordinators plan for them, to which the members who asked are
invited and answer YES or NO with the training's code."""
import re
import secrets
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Callable
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_month_names
from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from bot.channels import SMS, fits_budget
from bot.i18n import DEFAULT_LANGUAGE, LOCALES, N_, SHIPPED, command_word, fold, keyword_word
from bot.messages import Choice
from handlers import answers, coordinators, registration
from handlers.matching import CLOSE, best, sure
from handlers.notify import notify
from handlers.registration import shorten
from handlers.turn import Handler, Turn
from storage import clusters
from storage import skills as store
from storage.models import Cluster, Member, utcnow
from storage.skills import SkillTraining as Training

FLOW = "skills"
CATALOG_PATH = LOCALES / "skills.toml"
OFFERED = 8  # skills offered as choices when NEED comes alone
TOPICS_OFFERED = 6  # most needed skills offered when a coordinator plans a training
MAX_NEEDS = 5  # needs in one message
MAX_WORDING = 100  # characters of a need in the member's own words
SIMILAR = CLOSE  # rapidfuzz score at which two needs in members' own words are the same need
EXAMPLES = 5  # wordings shown per need in the CLI report
MAX_DAYS_AHEAD = 366

THRESHOLD_REACHED = N_("{count} members of {cluster} now need {skill}. Send {skills} to see "
                       "all their needs.")
INVITATION = N_("Training on {skill}: {when}, {place}. You asked for it. Will you come? Reply "
                "{accept} or {decline}.")

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
TOKEN = re.compile(r"[,;/&+]|[^\s,;/&+]+")


# --- The catalog ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Skill:
    slug: str
    names: dict[str, tuple[str, ...]]  # language -> names, display name first
    roles: tuple[str, ...]  # roles whose members are offered it


def words_of(text: str) -> list[str]:
    """`Fish handling & hygiene,` -> [`Fish`, `handling`, `&`, `hygiene`, `,`]."""
    return TOKEN.findall(text)


def key(word: str) -> str:
    """A word as matching compares it: folded, without the punctuation around it."""
    return fold(word).strip(".!?:()\"'")


@lru_cache
def catalog() -> dict[str, Skill]:
    """slug -> skill, from locales/skills.toml in file order; ValueError on a bad entry."""
    with CATALOG_PATH.open("rb") as f:
        raw = tomllib.load(f)
    skills: dict[str, Skill] = {}
    owners: dict[tuple[str, ...], str] = {}
    for slug, entry in raw.get("skills", {}).items():
        names = {}
        for lang in SHIPPED:
            given = entry.get(lang) or []
            if not given or not all(isinstance(n, str) and n.strip() for n in given):
                raise ValueError(f"skill {slug!r}: needs non-empty names in {lang!r}")
            names[lang] = tuple(given)
            for name in given:
                owner = owners.setdefault(tuple(map(key, words_of(name))), slug)
                if owner != slug:
                    raise ValueError(f"name {name!r} of {slug!r} is also a name of {owner!r}")
        roles = tuple(entry.get("roles", []))
        unknown = sorted(set(roles) - set(registration.ROLES))
        if unknown:
            raise ValueError(f"skill {slug!r}: unknown roles {unknown}")
        skills[slug] = Skill(slug, names, roles)
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


def skill_name(slug: str, lang: str | None) -> str:
    """The skill's display name in `lang` (its slug when it left the catalog)."""
    skill = catalog().get(slug)
    if skill is None:
        return slug
    return (skill.names.get(lang or DEFAULT_LANGUAGE) or skill.names[DEFAULT_LANGUAGE])[0]


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
        return ask_need(turn, turn._("Please send at most {count} needs at a time.",
                                     count=MAX_NEEDS))
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
    for shown in range(len(items), 0, -1):
        hidden = len(items) - shown
        text = make(", ".join(items[:shown]) + (f" +{hidden}" if hidden else ""))
        if fits_budget(SMS, text, []):
            return text
    return make(f"+{len(items)}" if items else empty)


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


def alert_all(session: Session) -> int:
    """Tells coordinators of every cluster about skills that reached the threshold."""
    return sum(len(alert_coordinators(session, session.get(Cluster, cluster_id)))
               for cluster_id in store.clusters_with_needs(session))


def alerts_job() -> None:
    """Catches up on alerts a race or a lowered threshold left untold (safe to run twice)."""
    from bot.jobs import transaction

    with transaction() as session:
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
    SKILLS code: who comes to a training."""
    words = turn.inbound.text.split()[1:]
    at = next((i for i, w in enumerate(words) if command_word(w) in TRAINING_WORDS), None)
    if at is not None:
        return start_training(turn, " ".join(words[:at]) or None, words[at + 1:])
    if len(words) == 1:
        training = store.training_by_code(turn.session, words[0].upper().strip(".,!"))
        if training:
            return show_answers(turn, training)
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


# --- SKILLS TRAINING: planning a training ---------------------------------------------------

def start_training(turn: Turn, cluster_name: str | None, words: list[str]) -> None:
    """Takes what the coordinator gave of the training and asks for the rest."""
    chosen = coordinators.pick(turn, cluster_name)
    if chosen is None:
        return
    turn.data = {"cluster": chosen[0].id} if len(chosen) == 1 else {}
    why = {}
    day, hour, spans = find_when(words, today(turn))
    if not take_when(turn, day, hour):
        why["date"] = turn._("Please send a date within a year from now.")
    if spans and words[spans[-1][1]:]:
        take_place(turn, " ".join(words[spans[-1][1]:]))
    topic = " ".join(words[:min((start for start, _ in spans), default=len(words))])
    if topic and (problem := take_topic(turn, topic)):
        why["topic"] = problem
    ask_training_next(turn, why)


def ask_training_next(turn: Turn, why: dict[str, str] | None = None) -> None:
    """Asks the first missing part of the training (saying `why` a part given was not taken);
    with all of them, announces it."""
    data, why = turn.data, why or {}
    if "cluster" not in data:
        return ask_cluster(turn)
    if "topic" not in data:
        return ask_topic(turn, why.get("topic"))
    if "date" not in data:
        return ask_when(turn, why.get("date"))
    if "time" not in data:
        return ask_time(turn)
    if starts_at(turn) <= utcnow():
        data.pop("date")
        data.pop("time")
        return ask_when(turn, turn._("That date has passed."))
    if "place" not in data:
        return ask_place(turn)
    announce(turn)


def ask_cluster(turn: Turn) -> None:
    choices = [Choice(str(c.id), c.name) for c in coordinators.coordinated(turn)]
    turn.ask(FLOW, "training_cluster", turn._("Which cluster is the training for?"), choices,
             free_text=False)


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
        turn.data.update(skill=turn.answer, topic=skill_name(turn.answer, turn.lang))
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
    turn.data.update(skill=needs[0].skill, topic=needs[0].wording)
    return None


def ask_when(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "training_when", turn._("When is the training? Send the date and time, "
                                           "e.g. 10/12 10:00."), preface=preface)


def on_when(turn: Turn) -> None:
    """Stores the date and the time (and a place written after them)."""
    words = turn.answer.split()
    day, hour, spans = find_when(words, today(turn))
    if not spans:
        return ask_when(turn, turn._("Please send a date and time, like 10/12 10:00."))
    if not take_when(turn, day, hour):
        return ask_when(turn, turn._("Please send a date within a year from now."))
    if words[spans[-1][1]:] and "place" not in turn.data:
        take_place(turn, " ".join(words[spans[-1][1]:]))
    ask_training_next(turn)


def ask_time(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "training_time", turn._("At what time does it start? e.g. 10:00"),
             preface=preface)


def on_time(turn: Turn) -> None:
    _, hour, _ = find_when(turn.answer.split(), None)
    if hour is None:
        return ask_time(turn, turn._("Please send a time, like 10:00."))
    take_when(turn, None, hour)
    ask_training_next(turn)


def ask_place(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "training_place", turn._("Where is the training?"), preface=preface)


def on_place(turn: Turn) -> None:
    if not take_place(turn, turn.answer):
        return ask_place(turn, turn._("Please send the name of a place."))
    ask_training_next(turn)


def take_when(turn: Turn, day: date | None, hour: time | None) -> bool:
    """Stores the date and time found; False when the date is too far ahead to be meant."""
    if hour is not None:
        turn.data["time"] = hour.strftime("%H:%M")
    if day is None:
        return True
    if day > today(turn) + timedelta(days=MAX_DAYS_AHEAD):
        return False
    turn.data["date"] = day.isoformat()
    return True


def take_place(turn: Turn, text: str) -> bool:
    text = text.strip()
    if not any(c.isalpha() for c in text) or len(text) > MAX_WORDING:
        return False
    turn.data["place"] = text
    return True


def zone(turn: Turn) -> ZoneInfo:
    """The time zone of the training's cluster (or of the coordinator's first cluster)."""
    cluster_id = turn.data.get("cluster")
    cluster = turn.session.get(Cluster, cluster_id) if cluster_id else None
    cluster = cluster or next(iter(coordinators.coordinated(turn)), None)
    return ZoneInfo(cluster.timezone if cluster else "UTC")


def today(turn: Turn) -> date:
    return utcnow().astimezone(zone(turn)).date()


def starts_at(turn: Turn) -> datetime:
    day, hour = date.fromisoformat(turn.data["date"]), time.fromisoformat(turn.data["time"])
    return datetime.combine(day, hour, tzinfo=zone(turn)).astimezone(timezone.utc)


def announce(turn: Turn) -> None:
    """Saves the training, invites the members who asked for it, and tells the coordinator."""
    session, data = turn.session, turn.data
    cluster = session.get(Cluster, data["cluster"])
    training = store.add_training(
        session, code=new_code(session), cluster_id=cluster.id, skill=data["skill"],
        topic=data["topic"], starts_at=starts_at(turn), place=data["place"],
        created_by=turn.member.id)
    invited = sum(invite(session, training, cluster, member)
                  for member in askers(session, training) if member.id != turn.member.id)
    coordinators.record(turn, "skills.training", cluster, code=training.code,
                        skill=training.skill, topic=training.topic, place=training.place,
                        starts_at=training.starts_at.isoformat(), invited=invited)
    turn.end()
    turn.say(turn._("Training planned: {skill}, {when}, {place}. {count} members who asked for "
                    "it are invited. To see who comes, send {skills} {code}.",
                    skill=training_name(training, turn.lang),
                    when=when_text(training.starts_at, cluster, turn.lang),
                    place=place_name(training), count=invited,
                    skills=keyword_word("skills", turn.lang), code=training.code))


def askers(session: Session, training: Training) -> list[Member]:
    """The members of the training's cluster who asked for its skill (or for something like it
    in their own words)."""
    if training.skill:
        return store.members_needing(session, training.cluster_id, training.skill)
    topic = fold(training.topic)
    return store.members_by_id(session, {
        member_id for skill, member_id, wording in store.wordings(session, training.cluster_id)
        if skill is None and fuzz.token_sort_ratio(fold(wording), topic) >= SIMILAR})


def invite(session: Session, training: Training, cluster: Cluster, member: Member) -> bool:
    """Invites the member in their language; False when they cannot be reached."""
    store.invite(session, training.id, member.id)
    return notify(session, member, INVITATION,
                  **invitation_values(training, cluster, member.language))


def invitation_values(training: Training, cluster: Cluster, lang: str | None) -> dict:
    lang = lang or DEFAULT_LANGUAGE
    return {"skill": training_name(training, lang),
            "when": when_text(training.starts_at, cluster, lang), "place": place_name(training),
            "accept": f"{keyword_word('yes', lang)} {training.code}",
            "decline": f"{keyword_word('no', lang)} {training.code}"}


def invite_to_planned(turn: Turn, slugs: list[str]) -> None:
    """Invites the member to the planned trainings for skills they just asked for."""
    now = utcnow()
    for cluster in clusters.clusters_of(turn.member):
        for slug in slugs:
            for training in store.upcoming_trainings(turn.session, cluster.id, slug, now):
                if store.invitation(turn.session, training.id, turn.member.id) is None:
                    store.invite(turn.session, training.id, turn.member.id)
                    turn.say(turn._(INVITATION, **invitation_values(training, cluster, turn.lang)))


CODE_CHARACTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_code(session: Session) -> str:
    """A short code no training has, with a digit so it is never a word."""
    while True:
        code = "".join(secrets.choice(CODE_CHARACTERS) for _ in range(6))
        if any(c.isdigit() for c in code) and not store.code_taken(session, code):
            return code


def training_name(training: Training, lang: str) -> str:
    return skill_name(training.skill, lang) if training.skill else shorten(training.topic)


def place_name(training: Training) -> str:
    return shorten(training.place)


def when_text(moment: datetime, cluster: Cluster, lang: str) -> str:
    """`Thu 10 Dec 10:00` in the cluster's time zone and the reader's language."""
    return format_datetime(moment, "EEE d MMM HH:mm", tzinfo=ZoneInfo(cluster.timezone),
                           locale=lang or DEFAULT_LANGUAGE)


# --- Reading dates and times ----------------------------------------------------------------

RELATIVE_DAYS = {"today": 0, "leo": 0, "aujourd'hui": 0, "hoje": 0,
                 "tomorrow": 1, "kesho": 1, "demain": 1, "amanha": 1}
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
DAY_MONTH = re.compile(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?")
DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th|er)?")
YEAR = re.compile(r"\d{4}")
CLOCK = re.compile(r"(\d{1,2})(?:[:.](\d{2})|h(\d{2})?)?(am|pm)?")
LINK_WORDS = {"de", "of"}  # `10 de dezembro`, `10th of December`


@lru_cache
def month_numbers() -> dict[str, int]:
    """Folded month names and abbreviations in every shipped language -> 1..12."""
    months = {"sept": 9}
    for lang in SHIPPED:
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=lang).items():
                months.setdefault(fold(name).rstrip("."), number)
    return months


def find_when(words: list[str], day_of_today: date | None) -> tuple[date | None, time | None, list]:
    """The first date and the first time in `words`, and the (start, end) word spans they
    took; dates only when `day_of_today` is given (to place `10/12` and `kesho`)."""
    day = hour = None
    spans = []
    i = 0
    while i < len(words):
        found_day = read_date(words[i:], day_of_today) if day is None and day_of_today else None
        found_hour = read_time(words[i:]) if hour is None and not found_day else None
        if found_day:
            day, size = found_day
        elif found_hour:
            hour, size = found_hour
        else:
            i += 1
            continue
        spans.append((i, i + size))
        i += size
    return day, hour, spans


def read_date(words: list[str], day_of_today: date) -> tuple[date, int] | None:
    """A date at the start of `words` and how many words it took: 2026-12-10, 10/12,
    10 Dec, 10 de dezembro de 2026, Dec 10, kesho."""
    w = [fold(word).strip(",") for word in words[:5]]
    try:
        if w[0] in RELATIVE_DAYS:
            return day_of_today + timedelta(days=RELATIVE_DAYS[w[0]]), 1
        if m := ISO_DATE.fullmatch(w[0]):
            return date(int(m[1]), int(m[2]), int(m[3])), 1
        if m := DAY_MONTH.fullmatch(w[0].rstrip(".")):
            return next_date(day_of_today, int(m[1]), int(m[2]), m[3]), 1
        return named_date(w, day_of_today)
    except ValueError:  # 31/02, month 13
        return None


def named_date(w: list[str], day_of_today: date) -> tuple[date, int] | None:
    months = month_numbers()
    at = 0

    def skip_link():
        nonlocal at
        if at + 1 < len(w) and w[at] in LINK_WORDS:
            at += 1

    if (m := DAY.fullmatch(w[0])) and len(w) > 1:
        day, at = int(m[1]), 1
        skip_link()
        month = months.get(w[at].rstrip(".")) if at < len(w) else None
    elif w[0].rstrip(".") in months and len(w) > 1 and (m := DAY.fullmatch(w[1])):
        month, day, at = months[w[0].rstrip(".")], int(m[1]), 1
    else:
        return None
    if month is None:
        return None
    at += 1
    start = at
    skip_link()
    if at < len(w) and YEAR.fullmatch(w[at]):
        return next_date(day_of_today, day, month, w[at]), at + 1
    return next_date(day_of_today, day, month, None), start


def next_date(day_of_today: date, day: int, month: int, year: str | None) -> date:
    """The date given; without a year, the next one from today on."""
    if year:
        return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    found = date(day_of_today.year, month, day)
    return found if found >= day_of_today else date(day_of_today.year + 1, month, day)


def read_time(words: list[str]) -> tuple[time, int] | None:
    """A time at the start of `words` and how many words it took: 10:00, 10h, 14h30, 2pm, 2 pm."""
    w = [fold(word).strip(",") for word in words[:2]]
    m = CLOCK.fullmatch(w[0])
    if not m:
        return None
    hour, minute, suffix, size = int(m[1]), int(m[2] or m[3] or 0), m[4], 1
    if suffix is None and len(w) > 1 and w[1] in ("am", "pm"):
        suffix, size = w[1], 2
    if m[2] is None and "h" not in w[0] and suffix is None:
        return None  # a bare number is no time
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute), size


# --- Answers: YES / NO code, and who comes --------------------------------------------------

def open_invitations(session: Session, member: Member, code: str | None) -> list:
    """The trainings the member may answer YES or NO to (see handlers/answers.py): those they
    were invited to, and with its code any training of their cluster that has not started."""
    now = utcnow()
    found = [answers.Invitation(training.code, invitation.invited_at, rsvp(training))
             for training, invitation in store.open_invitations(session, member.id, code, now)]
    if code and not found:
        training = store.training_by_code(session, code)
        mine = {c.id for c in clusters.clusters_of(member)}
        if training and training.starts_at > now and training.cluster_id in mine:
            found.append(answers.Invitation(training.code, training.created_at, rsvp(training)))
    return found


def rsvp(training: Training) -> Callable[[Turn, bool], None]:
    def answer(turn: Turn, yes: bool) -> None:
        """Records the member's answer to the training and thanks them."""
        store.answer(turn.session, training.id, turn.member.id, yes)
        cluster = turn.session.get(Cluster, training.cluster_id)
        values = {"skill": training_name(training, turn.lang), "place": place_name(training),
                  "when": when_text(training.starts_at, cluster, turn.lang)}
        if yes:
            turn.say(turn._("Thank you! See you at the {skill} training, {when}, {place}.",
                            **values))
        else:
            turn.say(turn._("Thank you for telling us. You are not coming to the {skill} "
                            "training, {when}.", **values))
    return answer


def show_answers(turn: Turn, training: Training) -> None:
    """Tells a coordinator of the training's cluster who comes, who does not and who has not
    answered."""
    cluster = turn.session.get(Cluster, training.cluster_id)
    if coordinators.pick(turn, cluster.slug) is None:
        return
    people = store.invitees(turn.session, training.id)
    coming = [m.name or f"#{m.id}" for m, answer in people if answer == "yes"]
    coordinators.record(turn, "skills.answers", cluster, code=training.code)
    turn.say(fitted(lambda shown: turn._(
        "Training {code}, {skill}, {when}: {count} coming: {names}. Not coming: {declined}. "
        "No answer yet: {waiting}.", code=training.code, skill=training_name(training, turn.lang),
        when=when_text(training.starts_at, cluster, turn.lang), count=len(coming), names=shown,
        declined=sum(answer == "no" for _, answer in people),
        waiting=sum(answer is None for _, answer in people)), coming))


KEYWORDS: dict[str, Handler] = {"need": need, "skills": skills}
STEPS: dict[str, Handler] = {
    "pick_need": on_need,
    "training_cluster": on_cluster,
    "training_topic": on_topic,
    "training_when": on_when,
    "training_time": on_time,
    "training_place": on_place,
}
