"""A questionnaire as the bot serves it, read from an XLSForm with pyxform: the questions in the
order they are asked (groups that do not repeat are flattened, their `relevant` joined to each
question's), labels and messages per language code, choices with their names. A form the bot
cannot serve over SMS is refused with the sheet, row and reason (FormRefused)."""
from dataclasses import asdict, dataclass, field
from typing import Any

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
        super().__init__(f"{sheet} sheet, row {row}: {reason}" if row else f"{sheet} sheet: {reason}")
        self.sheet, self.row, self.reason = sheet, row, reason
