"""A survey's results: the response rate, each question's tally (counts and shares of choices,
n, mean, median, min and max of numbers, earliest and latest dates) broken down by role and by
place, with groups of fewer than 5 respondents hidden where a viewer reads them; the plain
English report of `clusterbot survey results`; and the exports researchers analyse as they
analyse ODK data (wide: a row per respondent, a column per question; long: a row per answer).

What a respondent is: a member the survey was sent to who answered at least one question (a
skip counts: they were there). A question's numbers are of the respondents who answered it;
partial answers count, as they were given."""
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from handlers.coordinators import ROLE as COORDINATOR
from handlers.registration import ROLES
from handlers.surveys.form import Form, Question
from locales.i18n import number
from storage import survey_results as store
from storage.survey_results import AnswerRow, RespondentRow
from storage.surveys import Survey

SMALL = 5  # a group of fewer respondents is hidden from viewers: someone could be picked out
FEWER = "fewer than 5"
CHOICES = ("select_one", "select_multiple")
NUMBERS = ("integer", "decimal")
ONE_VALUE = ("select_one", "calculate")  # one value per respondent: the cells add up to n
SPREAD_BARS = 6  # bars of a number question's chart
WIDE_FIRST = ["respondent", "submitted_at", "respondent_role", "respondent_place"]
LONG_HEADER = ["respondent", "question", "answer", "answered_at"]


# --- The summary --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Count:
    """How many of a group's answers chose `name` (a choice, or a calculated value) and their
    share of those who answered, 0..1; both None when the cell is hidden (fewer than 5)."""

    name: str
    label: str
    count: int | None
    share: float | None


@dataclass(frozen=True)
class Cut:
    """A question's numbers among a group of respondents (everyone, a role, a place). A hidden
    cut is a group of fewer than 5: nothing else is filled. `skipped` is told for everyone
    only; `spread` (the chart's bars of a number or date question: label, count) too."""

    group: str | None = None  # the role or the place; None for everyone, or none given
    hidden: bool = False
    answered: int = 0
    skipped: int | None = None
    counts: tuple[Count, ...] = ()
    mean: float | None = None
    median: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    earliest: str | None = None
    latest: str | None = None
    spread: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class QuestionResult:
    name: str
    kind: str
    label: str  # in the summary's language
    overall: Cut
    by_role: tuple[Cut, ...]
    by_place: tuple[Cut, ...]


@dataclass(frozen=True)
class Group:
    """A role or a place: how many of the invited are in it and how many of them started and
    completed (None for both when fewer than 5 started and small groups are hidden)."""

    name: str | None  # None: no role, or no place given
    invited: int
    started: int | None
    completed: int | None


@dataclass(frozen=True)
class Summary:
    """A survey's results. `hidden`: fewer than 5 respondents and small groups hidden, so no
    question shows a number (the response rate still does: it says nothing of the answers)."""

    code: str
    title: str
    status: str
    invited: int
    started: int
    completed: int
    rate: float | None  # completed / invited; None when no one was invited yet
    hide_small: bool
    hidden: bool
    roles: tuple[Group, ...]
    places: tuple[Group, ...]
    questions: tuple[QuestionResult, ...]


def summarise(session: Session, survey: Survey, *, hide_small: bool,
              language: str | None = None) -> Summary:
    """The survey's results, question by question in the form's order (notes left out), each
    broken down by role and by place, labelled in `language` (the form's default when it has
    not that language, or none is given). With `hide_small`, every group of fewer than 5
    respondents (the survey, a role, a place, a group's answers to a question, a cell of a
    breakdown) is hidden, and so is a second cell beside a lone hidden one (it could be worked
    out from the others)."""
    form = Form.from_json(survey.form)
    language = language or form.default_language
    people = store.respondents(session, survey)
    given = answers_by_respondent(store.answers(session, survey))
    started = [person for person in people if person.id in given]
    hidden = hide_small and len(started) < SMALL
    floor = SMALL if hide_small else 0
    questions = tuple(
        question_result(form, question, language, started, given, floor, hidden)
        for question in form.questions if question.kind != "note")
    completed = sum(person.completed_at is not None for person in people)
    return Summary(
        code=survey.code, title=survey.title, status=survey.status, invited=len(people),
        started=len(started), completed=completed,
        rate=completed / len(people) if people else None, hide_small=hide_small, hidden=hidden,
        roles=groups(people, given, lambda p: p.role, floor),
        places=groups(people, given, lambda p: p.place, floor), questions=questions)


def answers_by_respondent(rows: Iterable[AnswerRow]) -> dict[int, dict[str, str | None]]:
    """respondent id -> {question: value}, for those who answered anything."""
    given: dict[int, dict[str, str | None]] = defaultdict(dict)
    for row in rows:
        given[row.respondent_id][row.question] = row.value
    return given


def groups(people: list[RespondentRow], given: dict, key: Callable, floor: int
           ) -> tuple[Group, ...]:
    """The roles or places of the invited, the most invited first."""
    invited = Counter(key(person) for person in people)
    started = Counter(key(person) for person in people if person.id in given)
    completed = Counter(key(person) for person in people if person.completed_at is not None)
    order = sorted(invited, key=lambda name: (-invited[name], name is None, name or ""))
    return tuple(Group(name, invited[name], None, None) if started[name] < floor
                 else Group(name, invited[name], started[name], completed[name])
                 for name in order)


def question_result(form: Form, question: Question, language: str,
                    started: list[RespondentRow], given: dict, floor: int,
                    hidden: bool) -> QuestionResult:
    """The question's tally among everyone, then among each role and place of respondents."""
    def breakdown(key: Callable) -> tuple[Cut, ...]:
        members: dict[str | None, list[RespondentRow]] = defaultdict(list)
        for person in started:
            members[key(person)].append(person)
        order = sorted(members, key=lambda name: (-len(members[name]), name is None, name or ""))
        return tuple(cut(form, question, language, [given[p.id] for p in members[name]], floor,
                         hidden, group=name) for name in order)

    everyone = cut(form, question, language, [given[p.id] for p in started], floor, hidden,
                   everyone=True)
    label = form.text(question.labels, language) or question.name
    return QuestionResult(question.name, question.kind, label, everyone,
                          breakdown(lambda p: p.role), breakdown(lambda p: p.place))


def cut(form: Form, question: Question, language: str, answer_sets: list[dict], floor: int,
        hidden: bool,
        group: str | None = None, *, everyone: bool = False) -> Cut:
    """The question's numbers among the answers of one group of respondents: `everyone`, or a
    role's or a place's (a breakdown, whose cells of fewer than `floor` are hidden too)."""
    values = [answers[question.name] for answers in answer_sets
              if answers.get(question.name) not in (None, "")]
    skipped = sum(question.name in answers and answers[question.name] in (None, "")
                  for answers in answer_sets)
    if hidden or len(answer_sets) < floor or len(values) < floor:
        return Cut(group, hidden=True)
    shown = Cut(group, answered=len(values), skipped=skipped if everyone else None)
    if not values:
        return shown
    kind = question.kind
    if kind in CHOICES or kind == "calculate":
        counts = tally(form, question, language, values)
        if not everyone:
            counts = suppressed(counts, floor, kind in ONE_VALUE)
        return replace(shown, counts=counts)
    if kind in NUMBERS:
        numbers = sorted(float(value) for value in values if is_number(value))
        if not numbers:
            return shown
        return replace(shown, mean=statistics.fmean(numbers), median=statistics.median(numbers),
                       minimum=numbers[0], maximum=numbers[-1],
                       spread=spread(numbers, kind == "integer") if everyone else ())
    if kind == "date":
        days = sorted(values)
        months = Counter(day[:7] for day in days)
        return replace(shown, earliest=days[0], latest=days[-1],
                       spread=tuple(sorted(months.items())) if everyone else ())
    return shown  # text: how many answered; the texts are in the exports only


def tally(form: Form, question: Question, language: str, values: list[str]
          ) -> tuple[Count, ...]:
    """Each choice's count (several per answer for a multiple choice) and share of the answers,
    in the form's order; a calculation's values by how often, then by name; a name no choice
    has (the form changed) after the choices."""
    chosen = Counter(name for value in values
                     for name in (value.split() if question.kind == "select_multiple"
                                  else [value]))
    if question.kind == "calculate":
        order = sorted(chosen, key=lambda name: (-chosen[name], name))
        labels = {name: name for name in order}
    else:
        labels = {option.name: form.text(option.labels, language) or option.name
                  for option in question.options}
        order = list(labels) + sorted(set(chosen) - set(labels))
    return tuple(Count(name, labels.get(name, name), chosen[name], chosen[name] / len(values))
                 for name in order)


def suppressed(counts: tuple[Count, ...], floor: int, one_value: bool) -> tuple[Count, ...]:
    """The cells of a breakdown with those of 1 to floor-1 respondents hidden. When the cells
    add up to the group's answers (one value each) and only one is hidden, the smallest other
    cell above 0 is hidden too, or the hidden one could be worked out by subtraction."""
    small = {c.name for c in counts if 0 < c.count < floor}
    if one_value and len(small) == 1:
        others = sorted((c for c in counts if c.count and c.name not in small),
                        key=lambda c: c.count)
        small |= {others[0].name} if others else set()
    return tuple(Count(c.name, c.label, None, None) if c.name in small else c for c in counts)


def is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def spread(numbers: list[float], whole: bool) -> tuple[tuple[str, int], ...]:
    """The chart's bars of a number question: up to SPREAD_BARS equal ranges from the least to
    the most, each with how many answers fall in it (`10–19`; one bar when all are equal)."""
    low, high = numbers[0], numbers[-1]
    if low == high:
        return ((number(low, "en"), len(numbers)),)
    width = (high - low) / SPREAD_BARS
    if whole:
        width = max(math.ceil((high - low + 1) / SPREAD_BARS), 1)
    bars = Counter(min(int((value - low) // width), SPREAD_BARS - 1) for value in numbers)
    last = max(bars)

    def label(index: int) -> str:
        start = low + index * width
        end = start + width - 1 if whole else start + width
        end = min(end, high) if whole else end
        return f"{number(start, 'en')}–{number(end, 'en')}" if end != start \
            else number(start, "en")

    return tuple((label(index), bars[index]) for index in range(last + 1))


# --- The report of `clusterbot survey results` --------------------------------------------------

KIND_NAMES = {"select_one": "one choice", "select_multiple": "several choices",
              "integer": "whole number", "decimal": "number", "date": "date", "text": "text",
              "calculate": "calculated"}


def report(summary: Summary) -> str:
    """The results in plain English: the response rate, the respondents by role and place,
    then each question with its numbers and its breakdowns."""
    lines = [f"{summary.title} (survey {summary.code}, {summary.status})",
             response_line(summary),
             "Respondents by role: " + group_list(summary.roles, role_label),
             "Respondents by place: " + group_list(summary.places, place_label)]
    if summary.hidden:
        lines.append(f"Fewer than {SMALL} members answered: the answers are not shown.")
    for position, question in enumerate(summary.questions, 1):
        lines += ["", f"{position}. {question.label} [{question.name}, "
                      f"{KIND_NAMES.get(question.kind, question.kind)}]"]
        lines += ["   " + line for line in cut_lines(question, question.overall)]
        for title, cuts, name in (("By role", question.by_role, role_label),
                                  ("By place", question.by_place, place_label)):
            if cuts and not question.overall.hidden:
                lines.append(f"   {title}:")
                lines += [f"     {name(c.group)}: " + "; ".join(cut_lines(question, c))
                          for c in cuts]
    return "\n".join(lines)


def response_line(summary: Summary) -> str:
    if summary.rate is None:
        return "Response rate: no one was invited yet."
    return (f"Response rate: {percent(summary.rate)} ({summary.completed} of {summary.invited} "
            f"invited completed it; {summary.started} answered at least one question).")


def group_list(found: tuple[Group, ...], name: Callable) -> str:
    """`Fisher 5 of 6 invited (4 completed), Trader fewer than 5 (2 invited)`."""
    if not found:
        return "none"
    return ", ".join(f"{name(g.name)} {FEWER} ({g.invited} invited)" if g.started is None else
                     f"{name(g.name)} {g.started} of {g.invited} invited "
                     f"({g.completed} completed)" for g in found)


def cut_lines(question: QuestionResult, found: Cut) -> list[str]:
    """The numbers of one cut, a line each (a breakdown joins them)."""
    if found.hidden:
        return [FEWER]
    kind = question.kind
    lines = [f"answered {found.answered}"
             + (f", skipped {found.skipped}" if found.skipped is not None else "")]
    if kind in CHOICES or kind == "calculate":
        lines += [f"{c.label}: {count_text(c)}" for c in found.counts]
    elif kind in NUMBERS and found.mean is not None:
        lines.append(f"mean {number(found.mean, 'en')}, median {number(found.median, 'en')}, "
                     f"min {number(found.minimum, 'en')}, max {number(found.maximum, 'en')}")
    elif kind == "date" and found.earliest:
        lines.append(f"earliest {found.earliest}, latest {found.latest}")
    elif kind == "text" and found.skipped is not None:  # said once, for everyone
        lines[0] += " (the texts are in the exports: --csv, --long)"
    return lines


def count_text(found: Count) -> str:
    return FEWER if found.count is None else f"{found.count} ({percent(found.share)})"


def percent(share: float) -> str:
    """`63%` for 0.625."""
    return f"{half_up(share)}%"


def half_up(share: float) -> int:
    """A share 0..1 as whole percent, halves rounded up, as readers expect (62.5 is 63)."""
    return math.floor(share * 100 + 0.5)


def choices_named(question: QuestionResult) -> dict[str, str]:
    """name -> label of every choice or calculated value any cut of the question counts, in
    the order they come: the columns of its breakdowns."""
    return {count.name: count.label for found in (question.overall, *question.by_role,
                                                  *question.by_place) for count in found.counts}


def role_label(role: str | None) -> str:
    """A role's English name (`Fish processor`)."""
    if role is None:
        return "No role"
    return "Coordinator" if role == COORDINATOR else ROLES.get(role, role)


def place_label(place: str | None) -> str:
    return place or "No place given"


# --- Exports ------------------------------------------------------------------------------------

Table = tuple[list[str], list[list[str]]]


def wide(session: Session, survey: Survey) -> Table:
    """One row per respondent who answered anything: their export id (never a phone), when
    they completed it (ISO 8601 UTC; empty when not finished), their role and place in the
    cluster (results by region), then each question's answer by its `name` in the form's
    order (notes left out; a multiple choice as its names separated by spaces, as ODK exports
    it; skipped or not asked: empty)."""
    form = Form.from_json(survey.form)
    names = [q.name for q in form.questions if q.kind != "note"]
    given = answers_by_respondent(store.answers(session, survey))
    rows = [[person.token, moment(person.completed_at), person.role or "", person.place or "",
             *(given[person.id].get(name) or "" for name in names)]
            for person in store.respondents(session, survey) if person.id in given]
    return WIDE_FIRST + names, rows


def long(session: Session, survey: Survey) -> Table:
    """One row per answer, respondent by respondent in the order they answered: the
    respondent's export id, the question's `name`, the answer as stored (empty: skipped), when
    (ISO 8601 UTC)."""
    tokens = {person.id: person.token for person in store.respondents(session, survey)}
    return LONG_HEADER, [[tokens[row.respondent_id], row.question, row.value or "",
                          moment(row.answered_at)] for row in store.answers(session, survey)]


def moment(when: datetime | None) -> str:
    """`2026-12-04T09:30:00Z`; empty for none."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""
