"""A questionnaire as the bot serves it, read from an XLSForm with pyxform: the questions in the
order they are asked (groups that do not repeat are flattened, their `relevant` joined to each
question's), labels and messages per language code, choices with their names. A form the bot
cannot serve over SMS is refused with the sheet, row and reason (FormRefused)."""
import re
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from pyxform.errors import PyXFormError
from pyxform.xls2json import parse_file_to_json

from handlers.budget import MAX_REPLY_SEGMENTS, SMS, count_segments, fits, fits_budget, render
from handlers.surveys import expressions

KINDS = ("select_one", "select_multiple", "integer", "decimal", "text", "date", "note",
         "calculate")


@dataclass(frozen=True)
class Option:
    """A choice: `name` is what exports and expressions use, `labels` language code -> label."""

    name: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Question:
    """One row of the survey sheet the bot serves. `kind` is one of KINDS; texts are language
    code -> text; `relevant`, `constraint` and `calculation` are XLSForm expressions as written
    (None when empty); `row` is the survey sheet's row, for messages about it."""

    name: str
    kind: str
    row: int
    labels: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    required: bool = False
    required_messages: dict[str, str] = field(default_factory=dict)
    relevant: str | None = None
    constraint: str | None = None
    constraint_messages: dict[str, str] = field(default_factory=dict)
    calculation: str | None = None


@dataclass(frozen=True)
class Form:
    """The whole questionnaire. `purpose` (language code -> text) is the settings sheet's
    optional `purpose` column: who asks and why, said in the consent line."""

    title: str
    form_id: str
    version: str | None
    default_language: str
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    purpose: dict[str, str] = field(default_factory=dict)

    def question(self, name: str) -> Question:
        return next(q for q in self.questions if q.name == name)

    def text(self, texts: Mapping[str, str], language: str) -> str:
        """The text in `language`, else in the form's default language, else in any ("" when
        there is none): forms may leave a language out of some cells."""
        return (texts.get(language) or texts.get(self.default_language)
                or next(iter(texts.values()), ""))

    def prompt(self, question: Question, language: str,
               answers: Mapping[str, str | None] | None = None, *,
               worst: bool = False) -> tuple[str, list[str]]:
        """(the question's text with its hint, its choices' labels) in `language`, as
        handlers.budget.render draws them on a channel; `${name}` in the texts is the answer
        (a choice by its label). `worst`: each `${name}` as long as it may plausibly be, to
        check the SMS budget before anything is sent."""
        parts = [texts for texts in (question.labels, question.hints) if self.text(texts, language)]
        text = "\n".join(self.said(texts, language, answers, worst=worst) for texts in parts)
        return text, [self.text(option.labels, language) for option in question.options]

    def said(self, texts: Mapping[str, str], language: str,
             answers: Mapping[str, str | None] | None = None, *, worst: bool = False) -> str:
        """A text of the form (a label, a hint, a constraint's message) in `language` as
        `text` picks it, `${name}` in it the answer (see `shown`)."""
        return REFERENCE.sub(lambda match: self.shown(match.group(1), language, answers or {},
                                                      worst), self.text(texts, language))

    def shown(self, name: str, language: str, answers: Mapping[str, str | None],
              worst: bool) -> str:
        """How the answer to `name` reads inside another question's text."""
        question = next((q for q in self.questions if q.name == name), None)
        if question is None:
            return ""
        labels = {o.name: self.text(o.labels, language) for o in question.options}
        if worst:
            if question.kind == "select_one":
                return max(labels.values(), key=len, default="")
            if question.kind == "select_multiple":
                return ", ".join(labels.values())
            return "x" * (30 if question.kind == "text" else 10)
        value = answers.get(name) or ""
        if question.kind.startswith("select"):
            return ", ".join(labels.get(choice, choice) for choice in value.split())
        return value

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Form":
        questions = tuple(
            Question(**{**q, "options": tuple(Option(**o) for o in q["options"])})
            for q in data["questions"])
        return cls(**{**data, "languages": tuple(data["languages"]), "questions": questions})


class FormRefused(Exception):
    """A form the bot cannot serve: where (sheet, row; row None for the whole sheet) and why."""

    def __init__(self, sheet: str, row: int | None, reason: str):
        super().__init__(f"{sheet} sheet, row {row}: {reason}" if row
                         else f"{sheet} sheet: {reason}")
        self.sheet, self.row, self.reason = sheet, row, reason


# --- Reading an XLSForm -------------------------------------------------------------------------

SERVED = {"select one": "select_one", "select all that apply": "select_multiple",
          "integer": "integer", "int": "integer", "decimal": "decimal", "text": "text",
          "string": "text", "date": "date", "note": "note", "calculate": "calculate"}
# Filled in by the phone in ODK: nothing to ask a member, nothing to export.
METADATA = ("start", "end", "today", "deviceid", "phonenumber", "username", "simserial",
            "subscriberid", "email", "audit")
MEDIA = ("image", "photo", "audio", "video", "file", "background-audio")
GPS = ("geopoint", "geotrace", "geoshape", "start-geopoint")
NOT_SERVED = {  # pyxform's type -> why not
    "repeat": "a group that repeats cannot be asked one question at a time over SMS",
    **{kind: "pictures, sound, video and files cannot be sent by SMS" for kind in MEDIA},
    **{kind: "GPS locations cannot be taken by SMS" for kind in GPS},
    "barcode": "a barcode cannot be scanned by SMS",
    "range": "a range is a slider: use an integer with a constraint",
    "time": "times are not served: use a text question",
    "dateTime": "date-times are not served: use a date question",
    "rank": "ranking choices is not served by SMS",
    "trigger": "an acknowledge question is not served: use a note",
    "acknowledge": "an acknowledge question is not served: use a note",
}
LANGUAGE_NAMES = {"english": "en", "swahili": "sw", "kiswahili": "sw", "french": "fr",
                  "français": "fr", "francais": "fr", "portuguese": "pt", "português": "pt",
                  "portugues": "pt"}
MOST_PURPOSE = 120  # characters: the consent line says it with who asks, SKIP and STOP
YES = ("yes", "true", "true()", "1")
NO = ("", "no", "false", "false()", "0")
NOT_SHEET = re.compile(r"^(?:\[row : (\d+)\]\s*)?(?:On the '(\w+)' sheet, )?(.*)$", re.DOTALL)
CHOICE_NAMED = re.compile(r"See \[(.+?)\] in \[(.+?)\]")
REFERENCE = re.compile(r"\$\{\s*([A-Za-z_][\w.-]*)\s*\}")


def read_form(path: Path) -> Form:
    """The questionnaire in the XLSForm workbook at `path`, read with pyxform, as the bot serves
    it. Raises FormRefused (sheet, row, reason) when the bot cannot serve it over SMS."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise FormRefused("survey", None, "the form must be an Excel workbook (.xlsx)")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise FormRefused("survey", None, f"the file cannot be read as a workbook ({error})")
    try:
        sheets = Sheets(book)
    finally:
        book.close()
    try:
        data = parse_file_to_json(str(path), warnings=[])
    except PyXFormError as error:
        row, sheet, reason = NOT_SHEET.match(str(error).strip()).groups()
        choice = CHOICE_NAMED.search(reason)
        if choice and not row:  # pyxform names the choice, not its row
            sheet, row = "choices", sheets.choices.get((choice.group(2), choice.group(1)))
        raise FormRefused(sheet or "survey", int(row) if row else None, reason.strip())
    return Reader(data, sheets).form()


class Sheets:
    """Where things are in the workbook, for messages: the survey sheet's row of each name (in
    order: two groups may hold the same name), the choices sheet's row of each choice, the
    row of each sheet's header, and the survey sheet's type cells as written."""

    def __init__(self, book):
        self.rows: dict[str, list[int]] = {}
        self.types: dict[int, str] = {}
        self.choices: dict[tuple[str, str], int] = {}
        self.headers = {"survey": 1, "choices": 1, "settings": 1}
        sheets = {sheet.title.strip().lower(): sheet for sheet in book.worksheets}
        for number, (kind, name) in self.columns(sheets.get("survey"), "survey", "type", "name"):
            self.types[number] = kind
            if name and not kind.lower().replace(" ", "_").startswith("end_"):
                self.rows.setdefault(name, []).append(number)
        for number, (list_name, name) in self.columns(sheets.get("choices"), "choices",
                                                      "list_name", "name"):
            self.choices.setdefault((list_name, name), number)
        if "settings" in sheets:
            self.columns(sheets["settings"], "settings")

    def columns(self, sheet, title: str, *wanted: str) -> list[tuple[int, tuple[str, ...]]]:
        """(row number, (the wanted cells as text)) for each row under the sheet's header, its
        first row that is not empty."""
        if sheet is None:
            return []
        found, index = [], None
        for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            texts = ["" if cell is None else str(cell).strip() for cell in cells]
            if index is None:
                if any(texts):
                    heads = [text.lower().replace(" ", "_") for text in texts]
                    self.headers[title] = number
                    index = [heads.index(w) if w in heads else None for w in wanted]
                continue
            found.append((number, tuple(texts[i] if i is not None and i < len(texts) else ""
                                        for i in index)))
        return found

    def row(self, name: str) -> int | None:
        """The next survey sheet row named `name` (the reader meets them in the sheet's order)."""
        rows = self.rows.get(name) or [None]
        return rows.pop(0) if len(rows) > 1 else rows[0]


class Reader:
    """Turns pyxform's dict into a Form, refusing what cannot be served."""

    def __init__(self, data: dict[str, Any], sheets: Sheets):
        self.data, self.sheets = data, sheets
        self.relevants: list[tuple[str, int | None]] = []  # each row's own, groups' too
        self.metadata: dict[str, str] = {}  # name -> type of the rows left out
        self.default = self.default_language()

    def refuse(self, row: int | None, reason: str, sheet: str = "survey") -> FormRefused:
        return FormRefused(sheet, row, reason)

    # -- languages

    def code(self, language: str, sheet: str = "survey") -> str:
        """The language code of a column's language: `sw` in `Swahili (sw)`, `sw` for a few
        well-known names written alone (`Kiswahili`); refused when there is none."""
        if language == "default":
            return self.default
        if re.fullmatch(r"\s*[a-z]{2,3}\s*", language):  # the code alone: `sw`
            return language.strip()
        match = re.search(r"\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*\)\s*$", language)
        if match:
            return match.group(1).lower()
        known = LANGUAGE_NAMES.get(language.strip().lower())
        if known:
            return known
        row = self.sheets.headers[sheet] + (sheet == "settings")  # settings: the row of values
        raise self.refuse(row, f"the language {language!r} has no code: write it with its "
                               "code in parentheses, as 'Swahili (sw)'", sheet)

    def default_language(self) -> str:
        written = self.data.get("default_language") or "default"
        if written != "default":
            return self.code(written, "settings")
        seen = []
        for element in self.elements(self.data.get("children", [])):
            label = element.get("label")
            if isinstance(label, str) or isinstance(label, dict) and "default" in label:
                return "en"
            if isinstance(label, dict):
                seen.extend(language for language in label if language not in seen)
        codes = []
        for language in seen:
            match = re.search(r"\(\s*([A-Za-z]{2,3})", language)
            codes.append(match.group(1).lower() if match else
                         LANGUAGE_NAMES.get(language.strip().lower()))
        return "en" if "en" in codes or not any(codes) else next(c for c in codes if c)

    def elements(self, children: list[dict[str, Any]]):
        for child in children:
            yield child
            yield from self.elements(child.get("children", []))

    def texts(self, value: Any, row: int | None, what: str,
              sheet: str = "survey") -> dict[str, str]:
        """language code -> text, from a text pyxform gives as a string or per language."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            value = {"default": value}
        found: dict[str, str] = {}
        for language, text in value.items():
            text = "" if text is None else str(text).strip()
            if not text:
                continue
            code = self.code(language, sheet)
            if code in found:
                raise self.refuse(row, f"two {what}s in the language {code}", sheet)
            found[code] = text
        return found

    # -- questions

    def form(self) -> Form:
        questions = list(self.questions(self.data.get("children", []), None))
        if not any(q.kind not in ("note", "calculate") for q in questions):
            raise self.refuse(None, "no question to ask: a form needs one at least that is "
                                    "not a note or a calculation")
        names: dict[str, int | None] = {}
        for question in questions:
            if question.name in names:
                raise self.refuse(question.row, f"the name {question.name!r} is also on row "
                                  f"{names[question.name]}: answers are kept by name, so names "
                                  "must differ even in different groups")
            names[question.name] = question.row
        languages = [self.default]
        for question in questions:
            texts = [question.labels, *(option.labels for option in question.options)]
            languages.extend(code for labels in texts for code in labels if code not in languages)
        purpose = self.texts(self.data.get("purpose"), self.sheets.headers["settings"] + 1,
                             "purpose", "settings")
        form = Form(title=str(self.data.get("title") or self.data.get("id_string")),
                    form_id=str(self.data.get("id_string")),
                    version=str(self.data["version"]) if self.data.get("version") else None,
                    default_language=self.default, languages=tuple(languages),
                    questions=tuple(questions), purpose=purpose)
        self.selects = {q.name: q for q in questions if q.kind.startswith("select")}
        for relevant, row in self.relevants:
            self.check_one(relevant, row, "relevant", set(names))
        for question in questions:
            self.check_expressions(question, set(names))
        self.check_budget(form)
        return form

    def questions(self, children: list[dict[str, Any]], relevant: str | None):
        """The questions in the order they are asked, groups flattened."""
        for child in children:
            kind, name = child.get("type", ""), str(child.get("name", ""))
            if kind in METADATA or kind == "group" and name == "meta":
                self.metadata[name] = kind
                continue
            row = self.sheets.row(name)
            self.refuse_unserved(child, kind, row)
            bind = child.get("bind") or {}
            own = str(bind["relevant"]) if bind.get("relevant") else None
            if own:
                self.relevants.append((own, row))
            joined = f"({relevant}) and ({own})" if relevant and own else relevant or own
            if kind == "group":
                yield from self.questions(child.get("children", []), joined)
                continue
            yield self.question(child, SERVED[kind], row, joined)

    def refuse_unserved(self, child: dict[str, Any], kind: str, row: int | None) -> None:
        written = self.sheets.types.get(row, kind) if row else kind
        first = written.split()[0] if written.split() else kind
        if kind in NOT_SERVED:
            raise self.refuse(row, f"{first}: {NOT_SERVED[kind]}")
        if kind != "group" and kind not in SERVED:
            raise self.refuse(row, f"the type {first!r} is not served over SMS (the bot serves "
                              "select_one, select_multiple, integer, decimal, text, date, note, "
                              "calculate and groups that do not repeat)")
        if re.search(r"\bor_other$", written.strip()):
            raise self.refuse(row, "or_other is not served: add an 'other' choice and a text "
                                   "question relevant when it is chosen")
        itemset = str(child.get("itemset") or "")
        if "from_file" in written or itemset.lower().endswith((".csv", ".xml", ".geojson")):
            raise self.refuse(row, "choices from a file are not served: put them on the "
                                   "choices sheet")
        if child.get("choice_filter"):
            raise self.refuse(row, "choice_filter is not served: write one question per list "
                                   "of choices, each with its relevant")
        if child.get("trigger"):
            raise self.refuse(row, "trigger is not served: compute the value on a calculate "
                                   "row")
        if child.get("media"):
            raise self.refuse(row, "pictures, sound and video in a label cannot be sent by SMS")

    def question(self, child: dict[str, Any], kind: str, row: int | None,
                 relevant: str | None) -> Question:
        name = str(child["name"])
        bind = child.get("bind") or {}
        required = str(bind.get("required") or "").strip().lower()
        if required not in YES + NO:
            raise self.refuse(row, f"required is {bind['required']!r}: write yes or no (a "
                                   "required that depends on other answers is not served)")
        labels = self.texts(child.get("label"), row, "label")
        if kind != "calculate" and not labels:
            raise self.refuse(row, f"{name!r} has no label in any language")
        calculation = str(bind["calculate"]) if bind.get("calculate") else None
        if calculation and kind != "calculate":
            raise self.refuse(row, "a calculation on a question that is asked: put it on a "
                                   "calculate row")
        if kind == "calculate" and not calculation:
            raise self.refuse(row, "a calculate row needs a calculation")
        return Question(
            name=name, kind=kind, row=row or 0,
            labels=labels if kind != "calculate" else {},
            hints=self.texts(child.get("hint"), row, "hint"),
            options=tuple(self.options(child)) if kind.startswith("select") else (),
            required=required in YES and kind not in ("note", "calculate"),
            required_messages=self.texts(bind.get("jr:requiredMsg"), row, "required message"),
            relevant=relevant, constraint=str(bind["constraint"]) if bind.get("constraint")
            else None,
            constraint_messages=self.texts(bind.get("jr:constraintMsg"), row,
                                           "constraint message"),
            calculation=calculation)

    def options(self, child: dict[str, Any]):
        list_name = str(child.get("list_name") or child.get("itemset") or "")
        for choice in child.get("choices") or []:
            name = str(choice["name"])
            row = self.sheets.choices.get((list_name, name))
            if choice.get("media"):
                raise self.refuse(row, "pictures, sound and video in a choice cannot be sent "
                                       "by SMS", "choices")
            labels = self.texts(choice.get("label"), row, "label", "choices")
            if not labels:
                raise self.refuse(row, f"the choice {name!r} of {list_name!r} has no label",
                                  "choices")
            yield Option(name=name, labels=labels)

    # -- expressions and the SMS budget

    def check_expressions(self, question: Question, names: set[str]) -> None:
        """Refuses a constraint or calculation the bot cannot evaluate, and a `${name}` in a
        text that names no question (its `relevant` is checked on its own row, a group's on
        the group's)."""
        for column, expression in (("constraint", question.constraint),
                                   ("calculation", question.calculation)):
            if expression:
                self.check_one(expression, question.row or None, column, names, question)
        texts = [question.labels, question.hints, question.constraint_messages,
                 question.required_messages, *(option.labels for option in question.options)]
        for text in (t for labels in texts for t in labels.values()):
            for reference in REFERENCE.findall(text):
                if reference not in names:
                    raise self.refuse(question.row or None, f"${{{reference}}} in {text!r} "
                                      "names no question of the form")

    def check_one(self, expression: str, row: int | None, column: str, names: set[str],
                  current: Question | None = None) -> None:
        """Refuses an expression the bot cannot evaluate, and one that compares a choice
        question with a name none of its choices has (a typo: the skip would never happen)."""
        try:
            expressions.check(expression, names)
            self.check_choice_names(expression, current)
        except expressions.ExpressionError as error:
            left_out = [n for n in REFERENCE.findall(expression) if n in self.metadata]
            if left_out:  # pyxform accepts them; the bot has no phone to fill them in
                error = (f"${{{left_out[0]}}} is {self.metadata[left_out[0]]}, filled in by "
                         "the phone in ODK, which the bot leaves out"
                         + (": use today()" if self.metadata[left_out[0]] == "today" else ""))
            raise self.refuse(row, f"{column} {expression!r}: {error}")

    def check_choice_names(self, expression: str, current: Question | None) -> None:
        for node in expressions.walk(expressions.parse(expression)):
            if node[0] == "call" and node[1] == "selected":
                pairs = [node[2]]
            elif node[0] == "op" and node[1] in ("=", "!="):
                pairs = [(node[2], node[3]), (node[3], node[2])]
            else:
                continue
            for answer, literal in pairs:
                question = (self.selects.get(answer[1]) if answer[0] == "ref"
                            else current if answer[0] == "dot" else None)
                if question is None or literal[0] != "str" or not question.kind.startswith(
                        "select"):
                    continue
                choices = [option.name for option in question.options]
                value = literal[1].strip()
                if value and value not in choices:
                    raise expressions.ExpressionError(
                        f"{value!r} is not a choice of {question.name} ({', '.join(choices)})")

    def check_budget(self, form: Form) -> None:
        for question in form.questions:
            if question.kind == "calculate":
                continue
            for language in form.languages:
                text, labels = form.prompt(question, language, worst=True)
                if not fits_budget(SMS, text, labels):
                    body, _ = render(SMS, text, labels)
                    raise self.refuse(question.row or None, f"in {language}, the question with "
                                      f"its hint and numbered choices takes "
                                      f"{count_segments(body)} SMS; at most {MAX_REPLY_SEGMENTS}")
                messages = (question.constraint_messages, question.required_messages)
                for message in (form.text(texts, language) for texts in messages):
                    if message and not fits(message):
                        raise self.refuse(question.row or None, f"in {language}, the message "
                                          f"{message[:40]!r}... takes {count_segments(message)} "
                                          f"SMS; at most {MAX_REPLY_SEGMENTS}")
        for language, purpose in form.purpose.items():
            if len(purpose) > MOST_PURPOSE:
                raise self.refuse(self.sheets.headers["settings"] + 1, f"in {language}, the "
                                  f"purpose has {len(purpose)} characters; at most "
                                  f"{MOST_PURPOSE}: the consent line adds who asks, how many "
                                  "questions, SKIP and STOP within 2 SMS", "settings")
