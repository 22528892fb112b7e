"""XLSForm expressions (`relevant`, `constraint`, `calculation`) read by a small tokenizer and a
recursive-descent parser and evaluated as ODK evaluates XPath 1.0: never with eval.

What is served: `${name}` (the answer as stored, "" when missing or skipped), `.` (the answer
being checked), string and number literals, `= != < <= > >=`, `and`, `or`, `+ - * div mod`,
unary minus, parentheses and the functions in FUNCTIONS. Values are XPath's: strings, numbers
(float, NaN for what is not a number) and booleans, plus dates inside an expression (today(),
date()): an answer written YYYY-MM-DD compared with a date is compared as a date."""
import math
import re
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple, Union

Value = Union[str, float, bool, date]
Tree = tuple  # ("num", 1.0) | ("str", "a") | ("ref", name) | ("dot",) | ("op", op, left, right)
#               | ("neg", operand) | ("call", function, (argument, ...))

EPOCH = date(1970, 1, 1)  # ODK counts a date as days since this one
NAN = float("nan")


class ExpressionError(ValueError):
    """An expression the bot cannot evaluate; the message says why, in English."""


# --- Tokens -------------------------------------------------------------------------------------

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<ref>\$\{\s*(?P<refname>[A-Za-z_][\w.-]*)\s*\})
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<name>(?:[A-Za-z_][\w-]*:)?[A-Za-z_][\w-]*(?<!-))  # jr:choice-name, to name it
  | (?P<op>!=|<=|>=|[=<>+\-*(),.])
""", re.VERBOSE)
WORD_OPERATORS = ("and", "or", "div", "mod")


def tokens(expression: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is num, str, ref (text: the name), name, op; then ("end", "")."""
    found, position = [], 0
    while position < len(expression):
        match = TOKEN.match(expression, position)
        if expression.startswith(("/", ".."), position):
            raise ExpressionError("paths such as /data/x or ../x are not served: write ${x}")
        if match is None:
            raise ExpressionError(f"cannot read {expression[position:position + 10]!r} "
                                  f"at character {position + 1}")
        kind = match.lastgroup  # the outer group: "ref", not "refname"
        if kind == "ref":
            found.append(("ref", match.group("refname")))
        elif kind == "str":
            found.append(("str", match.group()[1:-1]))
        elif kind == "name" and match.group() in WORD_OPERATORS:
            found.append(("op", match.group()))
        elif kind != "space":
            found.append((kind, match.group()))
        position = match.end()
    return [*found, ("end", "")]


# --- Parser -------------------------------------------------------------------------------------

# Lowest binding first, as XPath 1.0 orders them.
LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod"))


class Parser:
    """One expression's tokens read into a tree, one XPath precedence level per call."""

    def __init__(self, expression: str):
        self.tokens = tokens(expression)
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at]

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        kind, found = self.take()
        if (kind, found) != ("op", text):
            raise ExpressionError(f"expected {text!r} but found "
                                  + (repr(found) if found else "the end of the expression"))

    def whole(self) -> Tree:
        tree = self.binary(0)
        kind, found = self.peek()
        if kind != "end":
            raise ExpressionError(f"unexpected {found!r} after a complete expression")
        return tree

    def binary(self, level: int) -> Tree:
        if level == len(LEVELS):
            return self.unary()
        tree = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in LEVELS[level]:
            operator = self.take()[1]
            tree = ("op", operator, tree, self.binary(level + 1))
        return tree

    def unary(self) -> Tree:
        if self.peek() == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.primary()

    def primary(self) -> Tree:
        kind, text = self.take()
        if kind == "num":
            return ("num", float(text))
        if kind == "str":
            return ("str", text)
        if kind == "ref":
            return ("ref", text)
        if (kind, text) == ("op", "."):
            return ("dot",)
        if (kind, text) == ("op", "("):
            tree = self.binary(0)
            self.expect(")")
            return tree
        if kind == "name":
            if self.peek() != ("op", "("):
                raise ExpressionError(f"{text!r} is not something the bot can read here: "
                                      "write ${name} for an answer")
            self.take()
            arguments = []
            if self.peek() != ("op", ")"):
                arguments.append(self.binary(0))
                while self.peek() == ("op", ","):
                    self.take()
                    arguments.append(self.binary(0))
            self.expect(")")
            return ("call", text, tuple(arguments))
        raise ExpressionError(f"unexpected {text!r}" if text else "the expression ends too soon")


@lru_cache(maxsize=1024)
def parse(expression: str) -> Tree:
    """The expression's tree (cached: the same few expressions are evaluated for every answer).
    Raises ExpressionError when it cannot be read or names an unknown function."""
    try:
        tree = Parser(expression).whole()
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    check_calls(tree)
    return tree


def walk(tree: Tree):
    yield tree
    if tree[0] == "op":
        yield from walk(tree[2])
        yield from walk(tree[3])
    elif tree[0] == "neg":
        yield from walk(tree[1])
    elif tree[0] == "call":
        for argument in tree[2]:
            yield from walk(argument)


def check_calls(tree: Tree) -> None:
    for node in walk(tree):
        if node[0] != "call":
            continue
        name, arguments = node[1], node[2]
        if name not in FUNCTIONS:
            raise ExpressionError(f"the function {name}() cannot be evaluated by the bot")
        least, most = FUNCTIONS[name][1]
        if len(arguments) < least or (most is not None and len(arguments) > most):
            wanted = (f"{least}" if least == most else f"{least} or more" if most is None
                      else f"{least} to {most}")
            raise ExpressionError(f"{name}() takes {wanted} argument{'s' * (wanted != '1')}, "
                                  f"not {len(arguments)}")
        if name == "regex" and arguments[1][0] == "str":
            try:
                re.compile(arguments[1][1])
            except re.error as error:
                raise ExpressionError(f"the regex {arguments[1][1]!r} cannot be read: {error}")


def check(expression: str, names: Collection[str]) -> None:
    """Raises ExpressionError when the expression cannot be read, calls a function the bot does
    not have (or with the wrong number of arguments), or names by ${x} no question in `names`."""
    tree = parse(expression)
    for node in walk(tree):
        if node[0] == "ref" and node[1] not in names:
            raise ExpressionError(f"${{{node[1]}}} names no question of the form")


# --- Values -------------------------------------------------------------------------------------

NUMBER = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)\s*")
ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?\s*")
DAY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def to_number(value: Value) -> float:
    """XPath number(): NaN for a string that is not a number; a date is its days since 1970,
    and so is an answer written YYYY-MM-DD (ODK's date answers are dates: `today() - ${d}`)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str) and DAY.fullmatch(value):
        value = to_date(value) or NAN
        if isinstance(value, float):
            return value
    if isinstance(value, date):
        return float((value - EPOCH).days)
    return float(value) if NUMBER.fullmatch(value) else NAN


def to_string(value: Value) -> str:
    """XPath string(): 3.0 is "3", a date is YYYY-MM-DD."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value == int(value) else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_boolean(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not math.isnan(value) and value != 0
    if isinstance(value, date):
        return True
    return value != ""


def to_date(value: Value) -> date | None:
    """A date for a date, a YYYY-MM-DD string or a number of days since 1970; None otherwise."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = ISO_DATE.fullmatch(value)
        if match is None:
            return None
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    number = to_number(value)
    if math.isnan(number) or math.isinf(number):
        return None
    try:
        return EPOCH + timedelta(days=math.floor(number))
    except OverflowError:
        return None


def looks_like_date(value: Value) -> bool:
    return isinstance(value, str) and ISO_DATE.fullmatch(value) is not None


COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def compare(operator: str, left: Value, right: Value) -> bool:
    """XPath comparison as ODK does it: booleans (= and != only) when either side is one, then
    dates when either side is a date, numbers when either side is a number (NaN compares false,
    but != true), and for two strings: numbers when either looks like one, dates when either
    looks like a date, else the strings themselves."""
    equality = operator in ("=", "!=")
    if equality and (isinstance(left, bool) or isinstance(right, bool)):
        return COMPARE[operator](to_boolean(left), to_boolean(right))
    strings = isinstance(left, str) and isinstance(right, str)
    if isinstance(left, date) or isinstance(right, date) or (
            strings and not equality and (looks_like_date(left) or looks_like_date(right))):
        a, b = to_date(left), to_date(right)
        if a is None or b is None:
            return operator == "!="
        return COMPARE[operator](a, b)
    if not strings or not equality and (NUMBER.fullmatch(left) or NUMBER.fullmatch(right)):
        return COMPARE[operator](to_number(left), to_number(right))
    return COMPARE[operator](left, right)


def arithmetic(operator: str, left: Value, right: Value) -> float:
    a, b = to_number(left), to_number(right)
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if math.isnan(a) or math.isnan(b):
        return NAN
    if operator == "div":
        if b == 0:
            return NAN if a == 0 else math.copysign(math.inf, a) * math.copysign(1, b)
        return a / b
    return math.fmod(a, b) if b != 0 and not math.isinf(a) else NAN  # mod truncates, as Java's %


# --- Functions ----------------------------------------------------------------------------------

def selected(answer: Value, choice: Value) -> bool:
    return to_string(choice).strip() in to_string(answer).split()


def xpath_round(number: Value, digits: Value = 0.0) -> float:
    """XPath's round (halves up), to `digits` places as ODK's round(x, n)."""
    value, places = to_number(number), to_number(digits)
    if math.isnan(places):
        return NAN
    if math.isnan(value) or math.isinf(value):
        return value
    scale = 10.0 ** max(-15, min(15, int(places)))
    scaled = value * scale + 0.5
    return value if math.isinf(scaled) else math.floor(scaled) / scale


def integer(number: Value) -> float:
    value = to_number(number)
    return value if math.isnan(value) or math.isinf(value) else float(math.trunc(value))


def substr(text: Value, start: Value, end: Value | None = None) -> str:
    """ODK's substr: from `start` (counted from 0) to before `end`."""
    string, first = to_string(text), to_number(start)
    last = len(string) if end is None else to_number(end)
    if math.isnan(first) or math.isnan(last):
        return ""
    first, last = (max(0, min(len(string), n)) for n in (first, last))  # and no infinity
    return string[int(first):int(last)]


def regex(text: Value, pattern: Value) -> bool:
    try:
        return re.search(to_string(pattern), to_string(text)) is not None
    except re.error:
        return False


def xpath_date(value: Value) -> Value:
    found = to_date(value)
    return NAN if found is None else found


def rounding(function):
    def apply(number: Value) -> float:
        value = to_number(number)
        return value if math.isnan(value) or math.isinf(value) else float(function(value))
    return apply


# name -> (function of the evaluated arguments, (least, most) arguments); `if` and `coalesce`
# evaluate only what they need, and the functions of no argument may read the answer (".").
FUNCTIONS = {
    "selected": (selected, (2, 2)),
    "count-selected": (lambda answer: float(len(to_string(answer).split())), (1, 1)),
    "string-length": (lambda text: float(len(to_string(text))), (0, 1)),
    "string": (to_string, (0, 1)),
    "number": (to_number, (0, 1)),
    "boolean": (to_boolean, (1, 1)),
    "int": (integer, (1, 1)),
    "round": (xpath_round, (1, 2)),
    "floor": (rounding(math.floor), (1, 1)),
    "ceiling": (rounding(math.ceil), (1, 1)),
    "abs": (lambda number: abs(to_number(number)), (1, 1)),
    "concat": (lambda *parts: "".join(to_string(part) for part in parts), (1, None)),
    "contains": (lambda text, part: to_string(part) in to_string(text), (2, 2)),
    "starts-with": (lambda text, part: to_string(text).startswith(to_string(part)), (2, 2)),
    "ends-with": (lambda text, part: to_string(text).endswith(to_string(part)), (2, 2)),
    "normalize-space": (lambda text: " ".join(to_string(text).split()), (0, 1)),
    "substr": (substr, (2, 3)),
    "if": (None, (3, 3)),
    "coalesce": (None, (2, 2)),
    "not": (lambda value: not to_boolean(value), (1, 1)),
    "true": (lambda: True, (0, 0)),
    "false": (lambda: False, (0, 0)),
    "today": (None, (0, 0)),  # the scope's day
    "date": (xpath_date, (1, 1)),
    "regex": (regex, (2, 2)),
}
ON_ANSWER = ("string-length", "string", "number", "normalize-space")  # f() means f(.)


# --- Evaluation ---------------------------------------------------------------------------------

class Scope(NamedTuple):
    """What an expression is evaluated with: the answers by question name (missing or None is
    ""), the answer `.` stands for, and the day `today()` is (the cluster's, not the server's)."""
    answers: Mapping[str, str | None]
    current: str | None
    today: date


def value_of(tree: Tree, scope: Scope) -> Value:
    kind = tree[0]
    if kind in ("num", "str"):
        return tree[1]
    if kind == "ref":
        return scope.answers.get(tree[1]) or ""
    if kind == "dot":
        return scope.current or ""
    if kind == "neg":
        return -to_number(value_of(tree[1], scope))
    if kind == "op":
        operator = tree[1]
        left = value_of(tree[2], scope)
        if operator == "and":
            return to_boolean(left) and to_boolean(value_of(tree[3], scope))
        if operator == "or":
            return to_boolean(left) or to_boolean(value_of(tree[3], scope))
        right = value_of(tree[3], scope)
        if operator in COMPARE:
            return compare(operator, left, right)
        return arithmetic(operator, left, right)
    name, arguments = tree[1], tree[2]
    if name == "if":
        chosen = 1 if to_boolean(value_of(arguments[0], scope)) else 2
        return value_of(arguments[chosen], scope)
    if name == "coalesce":
        first = value_of(arguments[0], scope)
        return first if to_string(first) != "" else value_of(arguments[1], scope)
    if name == "today":
        return scope.today
    values = [value_of(argument, scope) for argument in arguments]
    if not values and name in ON_ANSWER:
        values = [scope.current or ""]
    return FUNCTIONS[name][0](*values)


def evaluate(expression: str, answers: Mapping[str, str | None],
             current: str | None = None, *, today: date) -> str | float | bool:
    """The expression's XPath value (str, float or bool; a date comes back as YYYY-MM-DD) with
    `answers` (question name -> answer as stored; missing or None is ""), `current` the
    answer `.` stands for and `today` the day today() is. Raises ExpressionError when the
    expression cannot be read."""
    value = value_of(parse(expression), Scope(answers, current, today))
    return value.isoformat() if isinstance(value, date) else value


def holds(expression: str | None, answers: Mapping[str, str | None],
          current: str | None = None, *, today: date) -> bool:
    """Whether a `relevant` or `constraint` holds; an empty one (None or "") always does."""
    if not expression or not expression.strip():
        return True
    return to_boolean(value_of(parse(expression), Scope(answers, current, today)))


def as_text(value: str | float | bool) -> str:
    """A value as a calculation's answer is stored: XPath's string() (3.0 is "3")."""
    return to_string(value)
