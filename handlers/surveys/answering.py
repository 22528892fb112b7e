"""Answering a survey: the consent line, then one question at a time in the member's language on
their own channel (choices numbered on SMS, buttons on Telegram), answers read as members write
them (a choice's number, name or label in any of the form's languages, several numbers, numbers
as their language writes them, dates), skip logic, constraints with the form's messages, SKIP,
the thank-you; SURVEY to come back to a survey left, and the one reminder."""
import logging
import re
from dataclasses import replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from babel.numbers import get_decimal_symbol
from sqlalchemy.orm import Session

from handlers import dates, matching
from handlers.budget import fits_budget
from handlers.labels import shorten
from handlers.quantities import read_price, read_unit
from handlers.surveys.expressions import as_text, evaluate, holds
from handlers.surveys.form import MOST_PURPOSE, Form, Question
from handlers.turn import Choice, Inbound, Turn
from locales.i18n import N_, Plural, fold, keyword_of, keyword_word, number, translate
from storage import outbox
from storage import survey_answering as stored
from storage import surveys
from storage.models import Cluster, Member
from storage.surveys import Respondent, Survey, answers_of

log = logging.getLogger(__name__)

FLOW = "survey"
KIND = "survey"  # outbox kind of the messages a survey starts: sent at the priority of notices
IDLE_HOURS = 7 * 24  # a question stays open a week: members answer surveys when they can
ASKED = ("select_one", "select_multiple", "integer", "decimal", "text", "date")
SHORT_TITLE, SHORT_CLUSTER, SHORT_CHOICE, SHORT_PART = 40, 30, 30, 20
LABEL_CUTS = (None, 24, 16, 10)  # choice labels are cut this short before the question is
MOST_NUMBER = 1e12  # more digits than any count or price a member reports: a slip

CONSENT = Plural(
    "{cluster} asks for your help with a survey: {purpose} {count} question at most. Reply "
    "{skip} to pass an optional question, STOP to stop all messages.",
    "{cluster} asks for your help with a survey: {purpose} {count} questions at most. Reply "
    "{skip} to pass an optional question, STOP to stop all messages.")
SEVERAL = N_("Several? Send their numbers, e.g. 1 3.")
ONE_NUMBER = N_("Please answer with a number from 1 to {count}.")  # the engine's, same words
NOT_READ = N_('I could not read "{text}". Send the numbers of your choices, e.g. 1 3.')
NOT_WHOLE = N_("Please send a whole number, e.g. 12.")
NOT_NUMBER = N_("Please send a number, e.g. {example}.")
NOT_DATE = N_("Please send a date, e.g. {example}.")
NOT_POSSIBLE = N_("That answer is not possible here. Please check it and send it again.")
REQUIRED = N_("This question needs an answer.")
THANKS = N_("Thank you! Your answers to {title} are saved.")
CLOSED = N_("The survey {title} has closed. Thank you!")
NO_SURVEY = N_("You have no survey to answer now.")
ANSWERED = N_("You have already answered {title}. Thank you!")
WHICH = N_("Which survey do you want to answer?")
REMINDER = Plural(
    "{title}: your answers are still awaited, {count} question at most. Reply {survey} to go "
    "on.",
    "{title}: your answers are still awaited, {count} questions at most. Reply {survey} to go "
    "on.")

# A number as members write it: `1500`, `1,500`, `1.5`, `1,5`, `1 500` (French), `-3`.
AMOUNT = re.compile(r"(?P<sign>[-−])?(?P<number>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?"
                    r"|\d+(?:[.,]\d+)*)")
YEAR_WRITTEN = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2}\b")


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- Starting a survey ---------------------------------------------------------------------------

def begin(session: Session, member: Member, respondent: Respondent) -> bool:
    """Asks the member, on their own route, the consent line and the survey's first question;
    False when they cannot be reached (or have already answered it)."""
    where = outbox.route(member)
    if where is None or respondent.status == "complete":
        return False
    cluster = session.get(Cluster, respondent.survey.cluster_id)
    turn = Turn(session=session, member=member, inbound=Inbound(channel=where[0], address=where[1]),
                region=cluster.country)
    start(turn, respondent)
    for reply in turn.replies:
        outbox.queue(session, channel=where[0], address=where[1], member_id=member.id,
                     text=reply.text, choices=reply.choice_rows(), kind=KIND)
    return True


def start(turn: Turn, respondent: Respondent) -> None:
    """Says the consent line and asks the first question."""
    survey = respondent.survey
    form = Form.from_json(survey.form)
    turn.say(consent(turn, form, turn.session.get(Cluster, survey.cluster_id)))
    respondent.status, respondent.asked_at = "asked", now()
    go_on(turn, survey, form, respondent, after=None)


def consent(turn: Turn, form: Form, cluster: Cluster) -> str:
    """Who asks (the cluster), why (the form's purpose, else its title), how many questions at
    most, SKIP and STOP; the purpose cut to what fits the channel."""
    lang = form_language(form, turn.member)
    purpose = (form.text(form.purpose, lang) or form.title).strip()
    if purpose and purpose[-1] not in ".!?":
        purpose += "."
    count = sum(q.kind in ASKED for q in form.questions)

    def text(limit: int) -> str:
        return turn._(CONSENT, cluster=shorten(cluster.name, SHORT_CLUSTER),
                      purpose=shorten(purpose, limit), count=count,
                      skip=keyword_word("skip", turn.lang))
    limit = min(len(purpose), MOST_PURPOSE) if turn.channel.max_segments else len(purpose)
    while limit > 20 and not fits_budget(turn.channel, text(limit)):
        limit -= 10
    return text(limit)


# --- Asking --------------------------------------------------------------------------------------

def form_language(form: Form, member: Member) -> str:
    """The member's language when the form has it, else the form's default, else its first."""
    if member.language in form.languages:
        return member.language
    if form.default_language in form.languages or not form.languages:
        return form.default_language
    return form.languages[0]


def ask(turn: Turn, survey: Survey, form: Form, question: Question, respondent: Respondent,
        preface: str | None = None) -> None:
    """Asks the question (again, after `preface`), in the form's language nearest the member's.
    Any command leaves it, except where words are the answer: a text question is left by a
    command sent alone ("Need more ice" and "Sell faster" answer it, they are no NEED or SELL)."""
    text, choices = question_message(turn, form, question, known(respondent), preface)
    turn.data.update(survey=survey.id, question=question.name)
    turn.ask(FLOW, "answer", text, choices, free_text=True, preface=preface, literal=True,
             leaves="alone" if question.kind == "text" else True, idle_hours=IDLE_HOURS)


def question_message(turn: Turn, form: Form, question: Question, answers: dict[str, str],
                     preface: str | None) -> tuple[str, list[Choice]]:
    """The question's text (label, hint, how to choose several; `${name}` the answers) and its
    choices, fitted to the channel: the hint goes first, then the choices' labels are cut, then
    the label itself (the form was checked on import: only a long reason before it may)."""
    lang = form_language(form, turn.member)
    label, names = form.prompt(replace(question, hints={}), lang, answers)
    label = label or question.name
    hint = form.said(question.hints, lang, answers)
    several = turn._(SEVERAL) if question.kind == "select_multiple" else ""
    names = [name or option.name for name, option in zip(names, question.options)]
    numbered = turn.channel.buttons and question.kind == "select_multiple"  # "1 3" needs numbers

    def message(label: str, hint: str, cut: int | None) -> tuple[str, list[str]]:
        labels = [shorten(name, cut) if cut else name for name in names]
        if numbered:
            labels = [f"{i}) {shown}" for i, shown in enumerate(labels, 1)]
        return "\n".join(part for part in (label, hint, several) if part), labels

    def fits(text: str, labels: list[str]) -> bool:
        return fits_budget(turn.channel, f"{preface}\n{text}" if preface else text, labels)

    tries = [(label, hint, None)] + [(label, "", cut) for cut in LABEL_CUTS]
    tries += [(shorten(label, size), "", LABEL_CUTS[-1]) for size in range(len(label), 20, -10)]
    for text, labels in (message(*attempt) for attempt in tries):
        if fits(text, labels):
            break
    return text, [Choice(option.name, shown) for option, shown in zip(question.options, labels)]


def fitted(turn: Turn, text: str) -> str:
    """A form's own text (a note) cut to what the channel takes in one message."""
    size = len(text)
    while size > 20 and not fits_budget(turn.channel, shorten(text, size)):
        size -= 10
    return shorten(text, size)


def go_on(turn: Turn, survey: Survey, form: Form, respondent: Respondent,
          after: str | None) -> None:
    """Asks the next question whose `relevant` holds after `after` (the first when None):
    calculations on the way are stored, notes said; after the last, the thank-you."""
    answers = known(respondent)
    names = [q.name for q in form.questions]
    lang = form_language(form, turn.member)
    today = local_today(turn.session, survey)
    for question in form.questions[names.index(after) + 1 if after else 0:]:
        if not safely(holds, question.relevant, answers, today=today, default=True):
            continue
        if question.kind == "calculate":
            value = safely(evaluate, question.calculation or "", answers, today=today,
                           default=None)
            value = None if value is None else as_text(value)
            stored.record(respondent, question.name, value, now())
            answers[question.name] = value or ""
        elif question.kind == "note":
            turn.say(fitted(turn, form.prompt(question, lang, answers)[0]))
        else:
            respondent.question = question.name
            return ask(turn, survey, form, question, respondent)
    respondent.status, respondent.completed_at, respondent.question = "complete", now(), None
    turn.end()
    turn.say(turn._(THANKS, title=shorten(survey.title, SHORT_TITLE)))


def known(respondent: Respondent) -> dict[str, str]:
    """The answers so far as expressions read them (skipped: "")."""
    return {name: value or "" for name, value in answers_of(respondent).items()}


def local_today(session: Session, survey: Survey) -> date:
    """The day it is where the survey's cluster is: what today() means in its form."""
    return now().astimezone(ZoneInfo(session.get(Cluster, survey.cluster_id).timezone)).date()


def safely(function, expression, answers, current=None, *, today, default):
    """An expression's value, or `default` when it cannot be evaluated (the form was checked on
    import; a member must not be stuck on a question by a slip in it)."""
    try:
        return function(expression, answers, current, today=today)
    except ValueError as error:
        log.warning("survey expression %r: %s", expression, error)
        return default


# --- Reading an answer ---------------------------------------------------------------------------

def on_answer(turn: Turn) -> None:
    """Reads the answer, checks the constraint, stores it and asks the next question."""
    survey, respondent = open_survey(turn)
    if survey is None:
        return
    form = Form.from_json(survey.form)
    question = form.question(turn.data["question"])
    lang = form_language(form, turn.member)
    answers = known(respondent)
    keyword = None if turn.chosen else keyword_of(turn.answer)
    if keyword == "skip":
        if question.required:
            why = form.said(question.required_messages, lang, answers) or turn._(REQUIRED)
            return ask(turn, survey, form, question, respondent, preface=why)
        value = None
    else:
        value, problem = read(turn, survey, question, respondent)
        if problem:
            return ask(turn, survey, form, question, respondent, preface=problem)
        answers |= {question.name: value}
        if not safely(holds, question.constraint, answers, value,
                      today=local_today(turn.session, survey), default=True):
            why = form.said(question.constraint_messages, lang, answers) or turn._(NOT_POSSIBLE)
            return ask(turn, survey, form, question, respondent, preface=why)
    stored.record(respondent, question.name, value, now())
    respondent.answered_at = now()
    go_on(turn, survey, form, respondent, after=question.name)


def open_survey(turn: Turn) -> tuple[Survey | None, Respondent | None]:
    """The survey and respondent the open question belongs to; None (and the member told) when
    the survey has closed or was answered meanwhile."""
    respondent = surveys.respondent(turn.session, turn.data.get("survey"), turn.member.id)
    if respondent is None:
        turn.end()
        turn.say(turn._(NO_SURVEY))
        return None, None
    survey = respondent.survey
    if survey.status == "closed":
        turn.end()
        turn.say(turn._(CLOSED, title=shorten(survey.title, SHORT_TITLE)))
        return None, None
    if respondent.status == "complete":
        turn.end()
        turn.say(turn._(ANSWERED, title=shorten(survey.title, SHORT_TITLE)))
        return None, None
    return survey, respondent


def read(turn: Turn, survey: Survey, question: Question, respondent: Respondent
         ) -> tuple[str | None, str]:
    """(the answer as stored, "") or (None, why it could not be read)."""
    text = turn.answer.strip()
    if turn.chosen:  # a pressed button, or one choice's number or label as shown
        return turn.answer, ""
    if question.kind == "select_one":
        name = option_named(text, question)
        return (name, "") if name else (None, turn._(ONE_NUMBER, count=len(question.options)))
    if question.kind == "select_multiple":
        names, unread = read_several(text, question)
        if unread or not names:
            return None, turn._(NOT_READ, text=shorten(", ".join(unread) or text, SHORT_PART))
        return " ".join(names), ""
    if question.kind in ("integer", "decimal"):
        amount = read_amount(text, turn.lang)
        if question.kind == "integer":
            if amount is None or amount != int(amount):
                return None, turn._(NOT_WHOLE)
            return str(int(amount)), ""
        if amount is None:
            return None, turn._(NOT_NUMBER, example=number(2.5, turn.lang))
        return as_text(amount), ""
    if question.kind == "date":
        tz = turn.session.get(Cluster, survey.cluster_id).timezone
        today = local_today(turn.session, survey)
        day = read_date(text, tz, now(), lambda d: safely(
            holds, question.constraint, known(respondent) | {question.name: d.isoformat()},
            d.isoformat(), today=today, default=True))
        if day is None:
            return None, turn._(NOT_DATE, example=today.strftime("%d/%m/%Y"))
        return day.isoformat(), ""
    return text, ""


def option_names(question: Question) -> dict[str, str]:
    """folded name or label (in every language of the form) -> the option's name."""
    names = {}
    for option in question.options:
        names.setdefault(fold(option.name), option.name)
        names.setdefault(fold(option.name).replace("_", " "), option.name)  # cold_room
        for label in option.labels.values():
            names.setdefault(fold(label), option.name)
    return names


def option_named(text: str, question: Question) -> str | None:
    """The option `text` names: its number, name or label in any language (a small typo
    forgiven), or a YES/NO word for an option named yes or no."""
    options = [option.name for option in question.options]
    if text.isascii() and text.isdigit():
        return options[int(text) - 1] if 1 <= int(text) <= len(options) else None
    names = option_names(question)
    folded = fold(text).strip(" .!")
    if folded in names:
        return names[folded]
    if keyword_of(folded) in options:  # NDIYO, oui, sim for an option named "yes"
        return keyword_of(folded)
    match = matching.sure(matching.best(folded, names))
    return match.key if match else None


def read_several(text: str, question: Question) -> tuple[list[str], list[str]]:
    """(names of the options chosen, in the form's order; the parts that could not be read).
    `1 3`, `1,3`, `1 na 3`, `Barafu ni ghali, Hakuna barafu karibu`; a label that holds a
    separator (`Fish and ice`) is read whole."""
    pieces = split(text)
    found: set[str] = set()
    unread: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):  # the longest run of pieces that reads
            names = read_piece(text[pieces[i][0]:pieces[j - 1][1]], question)
            if names:
                found.update(names)
                i = j
                break
        else:
            unread.append(text[pieces[i][0]:pieces[i][1]])
            i += 1
    return [option.name for option in question.options if option.name in found], unread


def split(text: str) -> list[tuple[int, int]]:
    """Where the parts of a list are in `text` (between commas, and/na/et/e, spaces between
    numbers)."""
    spans, start = [], 0
    for separator in matching.LIST_SEPARATORS.finditer(text):
        if separator.start() > start:
            spans.append((start, separator.start()))
        start = max(start, separator.end())
    if start < len(text):
        spans.append((start, len(text)))
    parts = []
    for begin, end in spans:  # `1 3` is two parts
        piece = text[begin:end]
        if all(word.isdigit() for word in piece.split()):
            parts += [(begin + m.start(), begin + m.end()) for m in re.finditer(r"\S+", piece)]
        elif piece.strip():
            parts.append((begin, end))
    return parts


def read_piece(piece: str, question: Question) -> list[str]:
    """The option names one part of a list names (numbers, or one label); [] when none."""
    piece = piece.strip()
    words = piece.split()
    if words and all(word.isascii() and word.isdigit() for word in words):
        count = len(question.options)
        if all(1 <= int(word) <= count for word in words):
            return [question.options[int(word) - 1].name for word in words]
        return []
    name = option_named(piece, question)
    return [name] if name else []


def read_amount(text: str, lang: str) -> float | None:
    """A number as members write it, in their language's way: `1,5` is 1.5 in French and
    Portuguese, `1,500` is 1500 in English; `1 500`, `-3`, `200kg`, `KES 120` (a unit of one or
    a currency around it says nothing of the value). None when it is not one number."""
    text = text.strip().replace("/=", " ")
    found = AMOUNT.search(text)
    if found is None:
        return None
    rest = f"{text[:found.start()]} {text[found.end():]}".split()
    if not all(quiet(word) for word in rest):
        return None
    value = number_of(found["number"], lang)
    if value is None or value > MOST_NUMBER:
        return None
    return -value if found["sign"] else value


def quiet(word: str) -> bool:
    """A word beside a number that does not change it: a unit of one (kg, kilo, pieces) or a
    currency (KES, shillings)."""
    word = word.strip(".,;:!?")
    if not word:
        return True
    unit = read_unit(word.casefold())
    return (unit is not None and unit[1] == 1.0) or read_price(f"1 {word}") == (1.0, None)


def number_of(written: str, lang: str) -> float | None:
    """The value of digits with marks: one mark before three digits groups thousands unless it
    is the language's decimal mark (`1,500`: 1500 in English, 1.5 in French)."""
    written = re.sub(r"[ \u00a0\u202f]", "", written)
    marks = {c for c in written if c in ".,"}
    if not marks:
        return float(written)
    last = max(written.rfind(","), written.rfind("."))
    whole, decimals = written[:last], written[last + 1:]
    if len(marks) == 2:  # 1,480.50 or 1.480,50: the last mark is the decimal one
        return float(re.sub(r"[.,]", "", whole) + "." + decimals)
    groups = written.split(written[last])
    if len(groups) > 2:  # 1,480,000
        return float("".join(groups)) if all(len(g) == 3 for g in groups[1:]) else None
    if len(decimals) == 3 and written[last] != get_decimal_symbol(lang):
        return float(whole + decimals)
    return float(f"{whole}.{decimals}")


def read_date(text: str, tz: str, moment: datetime, fits) -> date | None:
    """The date the whole text names (handlers.dates: `4/12`, `30 Nov 2026`, `Monday`, `leo`).
    A date written without its year may be the last one as well as the next (a question may ask
    about the past): the first reading that `fits` (the constraint) is taken, the usual one
    when none does."""
    reading = dates.scan(text, tz, moment)
    if reading.rest or reading.day is None or reading.clock:
        return None
    day = reading.day
    readings = list(day.dates)
    if day.step != "day" and not YEAR_WRITTEN.search(text):
        readings += [earlier for d in day.dates if (earlier := dates.moved(d, day.step, -1))]
    return next((d for d in readings if fits(d)), readings[0])


# --- SURVEY ----------------------------------------------------------------------------------

def on_survey(turn: Turn) -> None:
    """Resumes the member's survey at its question (a menu when several are open)."""
    turn.end()
    mine = stored.in_open_surveys(turn.session, turn.member.id)
    waiting = [r for r in mine if r.status != "complete"]
    if len(waiting) == 1:
        return resume(turn, waiting[0])
    if waiting:
        return turn.ask(FLOW, "choose", turn._(WHICH), [
            Choice(r.survey.code, shorten(r.survey.title, SHORT_CHOICE)) for r in waiting],
            free_text=False, menu=True)
    if mine:
        return turn.say(turn._(ANSWERED, title=shorten(mine[-1].survey.title, SHORT_TITLE)))
    turn.say(turn._(NO_SURVEY))


def on_choose(turn: Turn) -> None:
    """The survey chosen from SURVEY's list."""
    turn.end()
    chosen = next((r for r in stored.in_open_surveys(turn.session, turn.member.id)
                   if r.survey.code == turn.answer), None)
    if chosen is None or chosen.status == "complete":
        return on_survey(turn)
    resume(turn, chosen)


def resume(turn: Turn, respondent: Respondent) -> None:
    """Asks the survey's current question again (the answers so far are kept); a survey not
    begun yet begins, with its consent line."""
    survey = respondent.survey
    form = Form.from_json(survey.form)
    if respondent.status == "invited":
        return start(turn, respondent)
    if respondent.question is None:
        return go_on(turn, survey, form, respondent, after=None)
    ask(turn, survey, form, form.question(respondent.question), respondent)


# --- The reminder ------------------------------------------------------------------------------

def remind(session: Session, respondent: Respondent) -> bool:
    """Queues the one reminder on the member's route: the survey's title, how many questions
    are left at most, SURVEY to go on; False when they cannot be reached."""
    member, survey = respondent.member, respondent.survey
    form = Form.from_json(survey.form)
    names = [q.name for q in form.questions]
    first = names.index(respondent.question) if respondent.question in names else 0
    left = sum(q.kind in ASKED for q in form.questions[first:])
    text = translate(member.language, REMINDER, title=shorten(survey.title, SHORT_TITLE),
                     count=left, survey=keyword_word("survey", member.language))
    return outbox.queue_to_member(session, member, text, kind=KIND) is not None


KEYWORDS = {"survey": on_survey}
STEPS = {"answer": on_answer, "choose": on_choose}
