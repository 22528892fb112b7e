"""Meetings: a coordinator calls one, members answer YES or NO with its code, reminders go out
24 h and 2 h before, and the coordinator can move, cancel or list it.

    MEETING [cluster] date time place: title      MEETING CANCEL code
    MEETING MOVE code date time                   MEETING LIST code

A missing part is asked for, one at a time; the coordinator sees how many members the
invitation reaches and confirms before anything is sent.

A training (handlers/skills.py) is a meeting about a skill: it is planned with the same
questions, answered, reminded, moved, cancelled and listed the same way, in its own words.
"""
from datetime import datetime

from sqlalchemy.orm import Session

from handlers import coordinators, dates
from handlers.budget import fits_budget, most_that_fit
from handlers.turn import Choice, Handler, Invitation, Turn
from locales.i18n import N_, SHIPPED, Plural, command_word, keyword_word, translate
from locales.skills import skill_name
from storage import audit, clusters, jobs, meetings, outbox
from storage.audit import Actor
from storage.meetings import Meeting
from storage.models import Cluster, utcnow

FLOW = "meetings"
MAX_TITLE = 60
MAX_PLACE = 60
# The word after MEETING for the coordinator's other commands, in each shipped language.
ACTIONS = {
    "cancel": {"en": ("cancel",), "sw": ("ghairi", "sitisha"), "fr": ("annuler",),
               "pt": ("cancelar",)},
    "move": {"en": ("move", "postpone", "reschedule"), "sw": ("hamisha", "ahirisha"),
             "fr": ("deplacer", "reporter"), "pt": ("mudar", "adiar", "remarcar")},
    "list": {"en": ("list",), "sw": ("orodha",), "fr": ("liste",), "pt": ("lista",)},
}
# Words a place may start with after the time (`10am at Dunga`), dropped from the place.
PLACE_LEAD = {"at", "in", "@", "kwa", "katika", "pale", "à", "au", "em", "no", "na"}

INVITATION = N_("Meeting {code}: {title}. {starts}, {place}. Will you come? Reply {accept} or "
                "{decline}.")
REMINDER_COMING = N_("Reminder: {title}, {starts}, {place}. See you there!")
REMINDER_WAITING = N_("Reminder: {title}, {starts}, {place}. Will you come? Reply {accept} or "
                      "{decline}.")
CANCELLED = N_("Cancelled: the meeting {title} of {starts} ({code}) will not take place.")
MOVED = N_("Meeting {code} moved: {title} is now {starts}, {place}. Will you come? Reply "
           "{accept} or {decline}.")
# What the invited are told, per kind of meeting (reminders are alike).
TEXTS = {
    "meeting": {
        "invitation": INVITATION, "moved": MOVED, "cancelled": CANCELLED,
        "coming": N_("Thank you! See you at {title}, {starts}, {place}."),
        "not_coming": N_("Thank you, noted: you will not come to {title}. If that changes, reply "
                         "{accept}."),
        # What the coordinator is told.
        "is_moved": Plural("Meeting {code} now starts {starts}. {count} member will be told.",
                           "Meeting {code} now starts {starts}. {count} members will be told."),
        "is_cancelled": Plural("Meeting {code} is cancelled. {count} member will be told.",
                               "Meeting {code} is cancelled. {count} members will be told."),
        "is_over": N_("Meeting {code} is over or cancelled."),
        "unchanged": N_("OK, the meeting stays as it was."),
    },
    "training": {
        "invitation": N_("Training on {title}: {starts}, {place}. You asked for it. Will you come? "
                         "Reply {accept} or {decline}."),
        "moved": N_("Training {code} moved: {title} is now {starts}, {place}. Will you come? "
                    "Reply {accept} or {decline}."),
        "cancelled": N_("Cancelled: the {title} training of {starts} ({code}) will not take "
                        "place."),
        "coming": N_("Thank you! See you at the {title} training, {starts}, {place}."),
        "not_coming": N_("Thank you for telling us. You are not coming to the {title} training, "
                         "{starts}."),
        "is_moved": Plural("Training {code} now starts {starts}. {count} member will be told.",
                           "Training {code} now starts {starts}. {count} members will be told."),
        "is_cancelled": Plural("Training {code} is cancelled. {count} member will be told.",
                               "Training {code} is cancelled. {count} members will be told."),
        "is_over": N_("Training {code} is over or cancelled."),
        "unchanged": N_("OK, the training stays as it was."),
    },
}
# Attendance lines: SMS shows who comes; Telegram, with room, every group.
GROUPS = ((N_("Coming: {people}"), "yes"), (N_("Not coming: {people}"), "no"),
          (N_("No answer yet: {people}"), None))
MORE_PEOPLE = Plural("and {count} more", "and {count} more")
TOO_LONG = Plural("That is too long: at most {count} character.",
                  "That is too long: at most {count} characters.")
CONFIRM = Plural("{title}, {starts}, {place}. Send the invitation to {count} member?",
                 "{title}, {starts}, {place}. Send the invitation to {count} members?")
SENT = Plural("Invitation sent to {count} member. Its code is {code}. For the answers, send "
              "{command}.",
              "Invitation sent to {count} members. Its code is {code}. For the answers, send "
              "{command}.")
CONFIRM_MOVE = Plural("Move {title} ({code}) to {starts}? The {count} member invited will be told.",
                      "Move {title} ({code}) to {starts}? The {count} members invited will be "
                      "told.")
CONFIRM_CANCEL = Plural("Cancel {title} ({code}), {starts}? The {count} member invited will be "
                        "told.",
                        "Cancel {title} ({code}), {starts}? The {count} members invited will be "
                        "told.")
PASSED = N_("That time has passed.")
NOBODY = N_("Nobody in {cluster} can get an invitation yet.")


def start(turn: Turn) -> None:
    """MEETING: calls a meeting; with CANCEL, MOVE or LIST, acts on one by its code."""
    _, _, args = turn.inbound.text.partition(" ")
    first, _, rest = args.strip().partition(" ")
    action = action_of(first)
    if action:
        return ACTION_STARTS[action](turn, rest.strip())
    named, words = coordinators.named_cluster(turn, args.split())
    args = " ".join(words)
    chosen = coordinators.pick(turn, named)
    if chosen is None:
        return refused(turn, "create", named)
    coordinators.begin(turn, "create", chosen)
    read_command(turn, args, chosen[0].timezone)
    ask_next(turn)


def action_of(word: str) -> str | None:
    """`cancel`, `move` or `list` for the word after MEETING in any language, else None."""
    folded = command_word(word) if word else ""
    return next((action for action, by_lang in ACTIONS.items()
                 if any(folded in words for words in by_lang.values())), None)


def action_word(action: str, lang: str) -> str:
    """The word for an action in the member's language, upper-cased: `ORODHA`."""
    return ACTIONS[action].get(lang, ACTIONS[action]["en"])[0].upper()


def refused(turn: Turn, command: str, named: str | None = None,
            cluster: Cluster | None = None) -> None:
    """Ends the conversation after a refusal (already said) and writes it to the audit log."""
    turn.end()
    coordinators.record(turn, "meeting.refused", cluster, command=command, named=named)


def read_command(turn: Turn, args: str, tz: str) -> None:
    """Keeps the date and time words, the place and the title the command gives, and why a
    part could not be taken (said when that part is asked for)."""
    head, title = dates.split_title(args)
    reading = dates.scan(head, tz, utcnow())
    data = turn.data
    data["when"], data["why"] = reading.said, {}
    rest = reading.rest.split()
    if reading.empty and rest:  # no date where it should start: the place cannot be told apart
        data["why"]["day"] = turn._("I could not read that date.")
        rest = []
    if reading.clock is None and rest and any(c.isdigit() for c in rest[0]):
        data["why"]["time"], rest = turn._("I could not read that time."), rest[1:]
    while rest and rest[0].lower() in PLACE_LEAD:
        rest = rest[1:]
    for part, text in (("place", " ".join(rest)), ("title", title)):
        problem = check(turn, part, text) if text else None
        if problem:
            data["why"][part] = problem
        elif text:
            data[part] = text


def why(turn: Turn, part: str, preface: str | None) -> str | None:
    """The preface for the question about `part`: the one given, else why the command's was
    not taken (said once)."""
    return preface or turn.data.get("why", {}).pop(part, None)


def check(turn: Turn, part: str, text: str) -> str | None:
    """Why a place or title cannot be taken, in the member's words, or None."""
    problem = problem_with(part, text)
    return problem.text(turn.lang) if problem else None


# --- What a meeting must be, however it is called, moved or cancelled --------------------------

class Refused(ValueError):
    """Why a meeting cannot be called, moved or cancelled as asked (a msgid and its values, said
    in the reader's language); nothing was changed."""

    def __init__(self, msgid: str | Plural, **values):
        super().__init__(msgid)
        self.msgid, self.values = msgid, values

    def text(self, lang: str | None) -> str:
        return translate(lang, self.msgid, **self.values)


def problem_with(part: str, text: str) -> Refused | None:
    """Why a place or title cannot be taken, or None."""
    most = MAX_PLACE if part == "place" else MAX_TITLE
    if not any(c.isalpha() for c in text) and part == "place":
        return Refused(N_("Please send the name of a place."))
    if not any(c.isalpha() for c in text):
        return Refused(N_("Please send a short title in words."))
    if len(text) > most:
        return Refused(TOO_LONG, count=most)
    return None


def check_text(part: str, text: str) -> None:
    """Refused when the place or title cannot be taken."""
    problem = problem_with(part, text)
    if problem:
        raise problem


def check_start(starts_at: datetime, now: datetime) -> None:
    """Refused when the moment has passed."""
    if starts_at <= now:
        raise Refused(PASSED)


def is_open(meeting: Meeting, now: datetime) -> bool:
    """The meeting may still be moved or cancelled: scheduled, and not begun."""
    return meeting.status == "scheduled" and meeting.starts_at > now


def check_open(meeting: Meeting, now: datetime) -> None:
    """Refused when the meeting is over or cancelled."""
    if not is_open(meeting, now):
        raise Refused(text_of(meeting, "is_over"), code=meeting.code)


def reach(session: Session, cluster: Cluster, organiser: Actor) -> int:
    """How many members an invitation to the cluster's members reaches; Refused when nobody."""
    count = meetings.audience_size(session, cluster.id, audit.member_id(organiser))
    if not count:
        raise Refused(NOBODY, cluster=cluster.name)
    return count


def not_changed(turn: Turn, refusal: Refused) -> None:
    """Asks for another moment when the one given has passed; else ends, saying why."""
    if refusal.msgid == PASSED:
        turn.data.pop("at")
        return ask_next(turn, refusal.text(turn.lang))
    turn.end()
    turn.say(refusal.text(turn.lang))


# --- Asking for what is missing --------------------------------------------------------------

def ask_next(turn: Turn, preface: str | None = None) -> None:
    """Asks the first missing part; with all of them, asks to confirm."""
    data = turn.data
    if "cluster" not in data:
        return ask_cluster(turn, preface)
    if "at" not in data:
        return ask_when(turn, preface)
    if data["mode"] == "move":
        return ask_confirm_move(turn)
    if "place" not in data:
        return ask_place(turn, why(turn, "place", preface))
    if data["mode"] in PLANNING_ENDS:
        return PLANNING_ENDS[data["mode"]](turn)
    if "title" not in data:
        return ask_title(turn, why(turn, "title", preface))
    ask_confirm(turn)


def ask_cluster(turn: Turn, preface: str | None = None) -> None:
    """Asks which of the coordinator's clusters the meeting is for."""
    question = turn._("Which cluster is the meeting for?")
    coordinators.ask_cluster(turn, FLOW, "pick_cluster", question, preface)


def on_cluster(turn: Turn) -> None:
    """Stores the cluster and asks for the next part."""
    turn.data["cluster"] = int(turn.answer)
    ask_next(turn)


def ask_when(turn: Turn, preface: str | None = None) -> None:
    """Asks for the day or the time, or which moment was meant; stores it when clear."""
    cluster = cluster_of(turn)
    reading = dates.scan(turn.data.get("when", ""), cluster.timezone, utcnow())
    if reading.rest:  # the words disagree (two days, `10am jioni`): start the moment again
        turn.data["when"] = ""
        return ask_day(turn, turn._("I could not read that date."))
    if not reading.day:
        return ask_day(turn, why(turn, "day", preface))
    if not reading.clock:
        return ask_time(turn, why(turn, "time", preface))
    when = dates.resolve(reading, cluster.timezone, utcnow())
    if when is None:
        turn.data["when"] = ""
        return ask_day(turn, turn._("I could not read that date."))
    if isinstance(when, dates.Ambiguous):
        return ask_which(turn, when, cluster)
    turn.data["at"] = when.isoformat()
    ask_next(turn)


def ask_day(turn: Turn, preface: str | None = None) -> None:
    """Asks the day of the meeting (or of the training)."""
    if turn.data.get("mode") == "training":
        question = turn._("When is the training? Send the date and time, e.g. 10/12 10:00.")
    else:
        question = turn._("What day is the meeting? For example: Fri, 4 Dec, tomorrow.")
    turn.ask(FLOW, "ask_day", question, preface=preface)


def on_day(turn: Turn) -> None:
    """Reads the day (and the time, when given too) and asks for what is still missing."""
    reading = dates.scan(turn.answer, cluster_of(turn).timezone, utcnow())
    if reading.rest or not reading.day:
        return ask_day(turn, turn._("I could not read that date."))
    known = turn.data.get("when", "")
    turn.data["when"] = turn.answer if reading.clock else f"{turn.answer} {known}".strip()
    ask_next(turn)


def ask_time(turn: Turn, preface: str | None = None) -> None:
    """Asks the time the meeting starts."""
    turn.ask(FLOW, "ask_time", turn._("At what time does it start? For example: 10am, 14:30."),
             preface=preface)


def on_time(turn: Turn) -> None:
    """Reads the time (and a new day, when given too) and asks for what is still missing."""
    reading = dates.scan(turn.answer, cluster_of(turn).timezone, utcnow())
    if reading.rest or not reading.clock:
        return ask_time(turn, turn._("I could not read that time."))
    known = turn.data.get("when", "")
    turn.data["when"] = turn.answer if reading.day else f"{known} {turn.answer}".strip()
    ask_next(turn)


def ask_which(turn: Turn, ambiguous: dates.Ambiguous, cluster: Cluster) -> None:
    """Offers the moments the words may mean; a new date and time is an answer too."""
    choices = [Choice(moment.isoformat(),
                      dates.format_when(moment, cluster.timezone, turn.lang, swahili_hour=False))
               for moment in ambiguous.choices]
    turn.ask(FLOW, "pick_when", turn._("Which day and time do you mean?"), choices,
             preface=turn._(PASSED) if ambiguous.passed else None)


def on_which(turn: Turn) -> None:
    """Stores the moment chosen, or reads the one typed instead."""
    if turn.chosen:
        turn.data["at"] = turn.answer
        return ask_next(turn)
    reading = dates.scan(turn.answer, cluster_of(turn).timezone, utcnow())
    if reading.rest or not reading.day or not reading.clock:
        turn.data["when"] = ""
        return ask_day(turn, turn._("I could not read that date."))
    turn.data["when"] = turn.answer
    ask_next(turn)


def ask_place(turn: Turn, preface: str | None = None) -> None:
    """Asks where the meeting (or the training) is."""
    if turn.data.get("mode") == "training":
        question = turn._("Where is the training?")
    else:
        question = turn._("Where is the meeting?")
    turn.ask(FLOW, "ask_place", question, preface=preface, literal=True)


def on_place(turn: Turn) -> None:
    """Stores the place and asks for the next part."""
    place = turn.answer.strip()
    problem = check(turn, "place", place)
    if problem:
        return ask_place(turn, problem)
    turn.data["place"] = place
    ask_next(turn)


def ask_title(turn: Turn, preface: str | None = None) -> None:
    """Asks what the meeting is about."""
    turn.ask(FLOW, "ask_title", turn._("What is the meeting about? Send a short title."),
             preface=preface, literal=True)


def on_title(turn: Turn) -> None:
    """Stores the title and asks to confirm."""
    title = turn.answer.strip()
    problem = check(turn, "title", title)
    if problem:
        return ask_title(turn, problem)
    turn.data["title"] = title
    ask_next(turn)


# --- Calling the meeting ---------------------------------------------------------------------

def ask_confirm(turn: Turn) -> None:
    """Shows the meeting and how many members it reaches, and asks to send it."""
    data, cluster = turn.data, cluster_of(turn)
    try:
        count = reach(turn.session, cluster, turn.member)
    except Refused as refusal:
        return not_changed(turn, refusal)
    when = dates.format_when(datetime.fromisoformat(data["at"]), cluster.timezone, turn.lang)
    turn.ask(FLOW, "confirm", turn._(CONFIRM, title=data["title"], starts=when,
                                     place=data["place"], count=count),
             # Not "Cancel": typed alone, carriers read it as STOP.
             [Choice("yes", turn._("Yes")), Choice("no", turn._("Do not send"))], free_text=False)


def on_confirm(turn: Turn) -> None:
    """Schedules the meeting and sends the invitations on yes; drops it on no."""
    data = turn.data
    if turn.answer != "yes":
        turn.end()
        return turn.say(turn._("OK, nothing was sent."))
    cluster = turn.session.get(Cluster, data["cluster"])
    try:
        meeting, invited = create(turn.session, cluster, turn.member, data["title"],
                                  data["place"], datetime.fromisoformat(data["at"]))
    except Refused as refusal:
        return not_changed(turn, refusal)
    turn.end()
    turn.say(turn._(SENT, count=invited, code=meeting.code,
                    command=command(turn, "list", meeting.code)))


def create(session: Session, cluster: Cluster, organiser: Actor, title: str, place: str,
           starts_at: datetime, now: datetime | None = None) -> tuple[Meeting, int]:
    """Calls a meeting of the cluster's members (not its organiser): schedules it with a code
    and reminders, and invites them, audited; returns it and how many members are invited.
    Refused, with nothing changed, for a moment passed, a place or title that cannot be taken,
    or nobody to invite."""
    now = now or utcnow()
    check_start(starts_at, now)
    check_text("place", place)
    check_text("title", title)
    reach(session, cluster, organiser)
    meeting, invited = meetings.schedule(
        session, cluster_id=cluster.id, organiser_id=audit.member_id(organiser), title=title,
        place=place, starts_at=starts_at, now=now)
    tell(session, meeting, text_of(meeting, "invitation"))
    audit.record(session, action="meeting.create", actor=organiser, cluster_id=cluster.id,
                 meeting_id=meeting.id, code=meeting.code, starts_at=starts_at.isoformat(),
                 invited=invited)
    return meeting, invited


def command(turn: Turn, action: str, code: str) -> str:
    """`MKUTANO ORODHA K7Q3`: a coordinator's command in their language."""
    return f"{keyword_word('meeting', turn.lang)} {action_word(action, turn.lang)} {code}"


# --- Messages to the invited -----------------------------------------------------------------

def tell(session, meeting: Meeting, msgid: str,
         answers: tuple[str | None, ...] | None = None) -> int:
    """Queues `msgid` about the meeting to its invitees (with one of `answers` when given), each
    in their language, one INSERT per language; returns how many were queued. Sent as
    broadcasts, so one Telegram cannot deliver goes by SMS instead."""
    ids = meetings.invitees(meeting.id, answers)
    spoken = meetings.languages_of(session, ids)
    shipped = tuple(lang for lang in SHIPPED if lang in spoken)
    queued = 0
    for lang in shipped:
        queued += outbox.queue_to_members(session, meetings.invitees(meeting.id, answers, lang),
                                          about(meeting, msgid, lang))
    if any(lang not in shipped for lang in spoken):  # never chose, or a language we do not ship
        others = meetings.invitees(meeting.id, answers, other_languages=shipped)
        queued += outbox.queue_to_members(session, others, about(meeting, msgid, None))
    return queued


def text_of(meeting: Meeting, what: str) -> str | Plural:
    """The msgid of what the invited (`invitation`, `moved`...) or the coordinator (`is_moved`...)
    are told for this kind."""
    return TEXTS[meeting.kind][what]


def title_in(meeting: Meeting, lang: str | None) -> str:
    """The meeting's title; a training's is its skill's name in the reader's language."""
    if meeting.skill:
        return skill_name(meeting.skill, lang)
    return meeting.title


def about(meeting: Meeting, msgid: str, lang: str | None) -> str:
    """`msgid` filled in with the meeting's details for a member speaking `lang`."""
    return translate(lang, msgid, code=meeting.code, title=title_in(meeting, lang),
                     place=meeting.place,
                     starts=dates.format_when(meeting.starts_at, meeting.cluster.timezone, lang),
                     accept=reply_word("yes", meeting, lang),
                     decline=reply_word("no", meeting, lang))


def reply_word(keyword: str, meeting: Meeting, lang: str | None) -> str:
    """`NDIYO K7Q3`: what to send to answer the invitation, in the member's language."""
    return f"{keyword_word(keyword, lang)} {meeting.code}"


# --- Answers ---------------------------------------------------------------------------------

def open_invitations(session, member, code: str | None) -> list:
    """The member's invitations to meetings not begun yet, as answers.py takes them; with a
    code, any such meeting of their clusters (they are invited when they answer)."""
    now = utcnow()
    found = [Invitation(invitation.meeting.code, invitation.created_at,
                        lambda turn, yes, chosen=invitation.meeting_id: answer(turn, chosen, yes))
             for invitation in meetings.open_invitations(session, member.id, now, code)]
    if code and not found:
        mine = [c.id for c in clusters.clusters_of(member)]
        meeting = meetings.open_to_cluster(session, mine, code, now) if mine else None
        if meeting:
            found.append(Invitation(meeting.code, meeting.created_at,
                                    lambda turn, yes: answer(turn, meeting.id, yes)))
    return found


def answer(turn: Turn, meeting_id: int, yes: bool) -> None:
    """Records the member's answer (a later one replaces it) and thanks them."""
    now = utcnow()
    invitation = meetings.invite(turn.session, meeting_id, turn.member.id, now)
    meetings.record_answer(invitation, yes, now)
    turn.say(about(invitation.meeting, text_of(invitation.meeting, "coming" if yes else
                                               "not_coming"), turn.lang))


# --- Reminders -------------------------------------------------------------------------------

def reminders_job() -> None:
    """Sends the meeting reminders that are due (run every minute by the scheduler)."""
    with jobs.transaction() as session:
        send_reminders(session, jobs.now())


def send_reminders(session, now: datetime) -> int:
    """Sends each due reminder once, to those who said yes or have not answered (not to those
    who said no); a reminder overtaken by a later one (the job was down) is skipped. Returns
    how many meetings were reminded."""
    latest: dict[int, meetings.Reminder] = {}
    for reminder in meetings.due_reminders(session, now):
        meetings.mark_sent(reminder, now)
        meeting = reminder.meeting
        if meeting.status != "scheduled" or meeting.starts_at <= now:
            continue
        if meeting.id not in latest or reminder.lead_minutes < latest[meeting.id].lead_minutes:
            latest[meeting.id] = reminder
    for reminder in latest.values():
        tell(session, reminder.meeting, REMINDER_COMING, answers=("yes",))
        tell(session, reminder.meeting, REMINDER_WAITING, answers=(None,))
    meetings.close_past(session, now)
    return len(latest)


JOBS = [("meeting-reminders", "handlers.meetings:reminders_job",
         {"trigger": "interval", "seconds": 60})]


# --- CANCEL, MOVE, LIST ----------------------------------------------------------------------

def start_cancel(turn: Turn, args: str) -> None:
    """MEETING CANCEL code: asks to confirm, then tells everyone invited."""
    meeting = find_meeting(turn, args, "cancel")
    if meeting:
        ask_confirm_cancel(turn, meeting)


def start_move(turn: Turn, args: str) -> None:
    """MEETING MOVE code date time: reads the new moment (asks for what is missing)."""
    code, _, when = args.partition(" ")
    meeting = find_meeting(turn, code, "move")
    if meeting:
        begin_move(turn, meeting, when.strip())


def start_list(turn: Turn, args: str) -> None:
    """MEETING LIST code: who comes, who does not, who has not answered."""
    meeting = find_meeting(turn, args, "list", open_only=False)
    if meeting:
        show_attendance(turn, meeting)


def find_meeting(turn: Turn, args: str, action: str, open_only: bool = True) -> Meeting | None:
    """The meeting the code names, when the member coordinates its cluster; without a code,
    asks which of their upcoming meetings (and returns None); says why otherwise."""
    code = args.split()[0].strip(".,!?").upper()[:8] if args.split() else ""
    mine = coordinators.coordinated(turn)
    if not mine:
        coordinators.refuse(turn)
        return refused(turn, action)
    if not code:
        return ask_meeting(turn, action, mine)
    meeting = meetings.by_code(turn.session, code)
    if meeting is None:
        turn.end()
        return turn.say(turn._("No meeting has the code {code}.", code=code))
    if coordinators.pick(turn, meeting.cluster.slug) is None:
        return refused(turn, action, code, meeting.cluster)
    if open_only and not is_open(meeting, utcnow()):
        turn.end()
        return turn.say(turn._(text_of(meeting, "is_over"), code=meeting.code))
    return meeting


def ask_meeting(turn: Turn, action: str, mine: list[Cluster]) -> None:
    """Offers the coordinator's upcoming meetings to act on."""
    upcoming = meetings.upcoming(turn.session, [c.id for c in mine], utcnow())
    if not upcoming:
        turn.end()
        return turn.say(turn._("You have no upcoming meetings."))
    turn.data = {"mode": action}
    turn.ask(FLOW, "pick_meeting", turn._("Which meeting?"),
             [Choice(m.code, f"{m.code} {m.title[:20]}") for m in upcoming])


def on_meeting(turn: Turn) -> None:
    """Acts on the meeting chosen (or whose code is typed)."""
    action = turn.data["mode"]
    turn.end()
    ACTION_STARTS[action](turn, turn.answer)


def begin_move(turn: Turn, meeting: Meeting, when: str) -> None:
    """Reads the new moment given with MOVE, asking for what is missing."""
    turn.data = {"mode": "move", "meeting": meeting.id, "cluster": meeting.cluster_id,
                 "when": when}
    ask_next(turn)


def ask_confirm_move(turn: Turn) -> None:
    """Shows the new moment and how many will be told, and asks to move the meeting."""
    meeting = turn.session.get(Meeting, turn.data["meeting"])
    when = dates.format_when(datetime.fromisoformat(turn.data["at"]), meeting.cluster.timezone,
                             turn.lang)
    turn.ask(FLOW, "confirm_move", turn._(CONFIRM_MOVE,
                                          title=title_in(meeting, turn.lang), code=meeting.code,
                                          starts=when,
                                          count=meetings.invitee_count(turn.session, meeting.id)),
             [Choice("yes", turn._("Yes")), Choice("no", turn._("No, leave it"))], free_text=False)


def on_confirm_move(turn: Turn) -> None:
    """Moves the meeting and tells everyone invited."""
    data = turn.data
    meeting = turn.session.get(Meeting, data["meeting"])
    if turn.answer != "yes":
        turn.end()
        return turn.say(turn._(text_of(meeting, "unchanged")))
    starts_at = datetime.fromisoformat(data["at"])
    try:
        told = move(turn.session, meeting, turn.member, starts_at)
    except Refused as refusal:
        return not_changed(turn, refusal)
    turn.end()
    turn.say(turn._(text_of(meeting, "is_moved"),
                    code=meeting.code, count=told,
                    starts=dates.format_when(starts_at, meeting.cluster.timezone, turn.lang)))


def move(session: Session, meeting: Meeting, actor: Actor, starts_at: datetime,
         now: datetime | None = None, place: str | None = None) -> int:
    """Moves the meeting to a new start (and `place`, when given) and tells everyone invited,
    audited; returns how many were told. Refused, with nothing changed, when the meeting is
    over or cancelled, the new moment has passed or the place cannot be taken."""
    now = now or utcnow()
    check_open(meeting, now)
    check_start(starts_at, now)
    if place is not None:
        check_text("place", place)
    old, old_place = meeting.starts_at, meeting.place
    meetings.move(session, meeting, starts_at, now, place)
    # Everyone invited is told, those who said no too: their no was for the old time.
    told = tell(session, meeting, text_of(meeting, "moved"))
    moved_place = {"old_place": old_place, "place": place} if place not in (None, old_place) else {}
    audit.record(session, action="meeting.move", actor=actor, cluster_id=meeting.cluster_id,
                 meeting_id=meeting.id, code=meeting.code, old=old.isoformat(),
                 new=starts_at.isoformat(), **moved_place)
    return told


def ask_confirm_cancel(turn: Turn, meeting: Meeting) -> None:
    """Shows the meeting and how many will be told, and asks to cancel it."""
    turn.data = {"mode": "cancel", "meeting": meeting.id}
    when = dates.format_when(meeting.starts_at, meeting.cluster.timezone, turn.lang)
    turn.ask(FLOW, "confirm_cancel", turn._(CONFIRM_CANCEL,
                                            title=title_in(meeting, turn.lang), code=meeting.code,
                                            starts=when,
                                            count=meetings.invitee_count(turn.session, meeting.id)),
             [Choice("yes", turn._("Yes")), Choice("no", turn._("No, leave it"))], free_text=False)


def on_confirm_cancel(turn: Turn) -> None:
    """Cancels the meeting and tells everyone invited."""
    meeting = turn.session.get(Meeting, turn.data["meeting"])
    turn.end()
    if turn.answer != "yes":
        return turn.say(turn._(text_of(meeting, "unchanged")))
    try:
        told = cancel(turn.session, meeting, turn.member)
    except Refused as refusal:
        return turn.say(refusal.text(turn.lang))
    turn.say(turn._(text_of(meeting, "is_cancelled"),
                    code=meeting.code, count=told))


def cancel(session: Session, meeting: Meeting, actor: Actor, now: datetime | None = None) -> int:
    """Cancels the meeting and tells everyone invited, audited; returns how many were told.
    Refused, with nothing changed, when it is over or cancelled already."""
    now = now or utcnow()
    check_open(meeting, now)
    meetings.cancel(session, meeting, now)
    # Everyone invited is told, those who said no too: they may have told others about it,
    # and a cancellation should never be learnt at a closed door.
    told = tell(session, meeting, text_of(meeting, "cancelled"))
    audit.record(session, action="meeting.cancel", actor=actor, cluster_id=meeting.cluster_id,
                 meeting_id=meeting.id, code=meeting.code)
    return told


def show_attendance(turn: Turn, meeting: Meeting) -> None:
    """Counts the answers and names who comes, within 2 SMS; on Telegram, every name."""
    turn.end()
    counts = meetings.answer_counts(turn.session, meeting.id)
    text = turn._("{title} ({code}), {starts}. Yes: {yes_count}. No: {no_count}. No answer: "
                  "{open_count}.",
                  title=title_in(meeting, turn.lang), code=meeting.code, yes_count=counts["yes"],
                  no_count=counts["no"], open_count=counts[None],
                  starts=dates.format_when(meeting.starts_at, meeting.cluster.timezone, turn.lang))
    groups = GROUPS if turn.channel.max_segments is None else GROUPS[:1]
    for msgid, answer_given in groups:
        if counts[answer_given]:
            longer = with_names(turn, text, msgid, meeting.id, answer_given, counts[answer_given])
            if not fits_budget(turn.channel, longer):
                break
            text = longer
    coordinators.record(turn, "meeting.list", meeting.cluster, meeting_id=meeting.id,
                        code=meeting.code)
    turn.say(text)


def with_names(turn: Turn, text: str, msgid: str, meeting_id: int, answer_given: str | None,
               total: int) -> str:
    """The text and the group's line with as many names as fit (at least one), the others
    counted."""
    found = meetings.names(turn.session, meeting_id, answer_given, limit=1000)

    def line(shown: list[str], _hidden: int) -> str:
        names = turn._(msgid, people=", ".join(shown))
        more = f" {turn._(MORE_PEOPLE, count=total - len(shown))}" if total > len(shown) else ""
        return f"{text}\n{names}{more}"

    return most_that_fit(line, found, least=1, channel=turn.channel)


def cluster_of(turn: Turn) -> Cluster:
    """The cluster the meeting being called or moved belongs to."""
    return turn.session.get(Cluster, turn.data["cluster"])


ACTION_STARTS = {"cancel": start_cancel, "move": start_move, "list": start_list}
# How planning ends for a kind of meeting another capability plans with these steps (skills adds
# "training"): that capability builds on this one, so it is named here, not imported.
PLANNING_ENDS: dict[str, Handler] = {}
KEYWORDS = {"meeting": start}
STEPS = {
    "pick_cluster": on_cluster,
    "ask_day": on_day,
    "ask_time": on_time,
    "pick_when": on_which,
    "ask_place": on_place,
    "ask_title": on_title,
    "confirm": on_confirm,
    "pick_meeting": on_meeting,
    "confirm_move": on_confirm_move,
    "confirm_cancel": on_confirm_cancel,
}
