"""Forms read field by field (an institution, a tender): a reader raises `Problem` for its
field, and the form raises `FieldErrors` with every bad field's problem at once."""
from locales.i18n import translate


class Problem(ValueError):
    """One field is bad: `msgid` says why (with the `values` it takes); the form files it
    under the field's name."""

    def __init__(self, msgid: str, **values):
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


class FieldErrors(ValueError):
    """The fields cannot be saved: `problems` maps each bad field to a msgid saying why (with
    the values it takes in `values`)."""

    def __init__(self, problems: dict[str, str], values: dict[str, dict] | None = None):
        super().__init__("; ".join(f"{name}: {msgid}" for name, msgid in problems.items()))
        self.problems = problems
        self.values = values or {}

    def messages(self, language: str | None = None) -> dict[str, str]:
        """Each bad field's problem in `language` (English when None)."""
        return {name: translate(language, msgid, **self.values.get(name, {}))
                for name, msgid in self.problems.items()}
