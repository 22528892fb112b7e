"""XLSForm expressions as ODK evaluates them (XPath 1.0 values), read by our own parser: the fish
losses form's, skip logic on answers not given, choices, dates, and nothing Python gets run."""
import math
from datetime import date

import pytest

from handlers.surveys import expressions
from handlers.surveys.expressions import ExpressionError, as_text, check, parse
from tests.surveyforms import FISH_LOSSES_SURVEY

FRIDAY = date(2026, 12, 4)
FISH = {"uses_ice": "no", "why_no_ice": "cost far", "loss_kg": "120", "price_kg": "2.5",
        "last_trip": "2026-11-30", "storage": "", "idea": None}


def evaluate(expression, answers, current=None, today=FRIDAY):
    return expressions.evaluate(expression, answers, current, today=today)


def holds(expression, answers, current=None, today=FRIDAY):
    return expressions.holds(expression, answers, current, today=today)


# (expression, answers, current, value)
VALUES = [
    # The fish losses form's own expressions.
    ("${uses_ice} = 'no'", {"uses_ice": "no"}, None, True),
    ("${uses_ice} = 'no'", {"uses_ice": "yes"}, None, False),
    ("${uses_ice} = 'no'", {}, None, False),
    (". >= 0 and . <= 1000", {}, "0", True),
    (". >= 0 and . <= 1000", {}, "1000", True),
    (". >= 0 and . <= 1000", {}, "1001", False),
    (". >= 0 and . <= 1000", {}, "-1", False),
    (". >= 0 and . <= 1000", {}, "many", False),
    (". > 0", {}, "0.5", True),
    (". > 0", {}, "0", False),
    (". <= today()", {}, "2026-12-04", True),
    (". <= today()", {}, "2026-12-05", False),
    (". <= today()", {}, "2025-12-31", True),
    (". <= today()", {}, "", False),
    ("${loss_kg} > 50", {"loss_kg": "51"}, None, True),
    ("${loss_kg} > 50", {"loss_kg": "50"}, None, False),
    ("${loss_kg} > 50", {"loss_kg": None}, None, False),
    ("if(${loss_kg} > 100, 'high', 'low')", {"loss_kg": "120"}, None, "high"),
    ("if(${loss_kg} > 100, 'high', 'low')", {"loss_kg": "100"}, None, "low"),
    ("if(${loss_kg} > 100, 'high', 'low')", {}, None, "low"),
    # An answer not given is "", so a number compared with it is NaN: false, but != true.
    ("${x} > 18", {}, None, False),
    ("${x} < 18", {}, None, False),
    ("${x} = 18", {}, None, False),
    ("${x} != 18", {}, None, True),
    ("not(${x} > 18)", {}, None, True),
    ("${x} = ''", {"x": None}, None, True),
    ("${x} = ''", {"x": "a"}, None, False),
    ("${x} > ${y}", {"x": "10", "y": "9"}, None, True),  # numbers, not strings
    ("${x} > ${y}", {"x": "10", "y": ""}, None, False),
    ("${x} = 3", {"x": "3.0"}, None, True),
    ("'b' > 'a'", {}, None, True),
    ("'abc' = 0", {}, None, False),
    ("true() = 'false'", {}, None, True),  # a non-empty string is true
    # Several choices are names separated by spaces.
    ("selected(${w}, 'far')", {"w": "cost far"}, None, True),
    ("selected(${w}, 'fa')", {"w": "cost far"}, None, False),
    ("selected(${w}, 'cost')", {"w": ""}, None, False),
    ("selected(., 'no_need')", {}, "no_need", True),
    ("count-selected(${w})", {"w": "cost far no_need"}, None, 3.0),
    ("count-selected(${w})", {}, None, 0.0),
    ("count-selected(.) <= 2", {}, "cost far", True),
    ("not(selected(., 'no_need') and count-selected(.) > 1)", {}, "no_need far", False),
    # Arithmetic and precedence.
    ("1 + 2 * 3", {}, None, 7.0),
    ("(1 + 2) * 3", {}, None, 9.0),
    ("10 - 2 - 3", {}, None, 5.0),
    ("2 - -1", {}, None, 3.0),
    ("7 div 2", {}, None, 3.5),
    ("7 mod 3", {}, None, 1.0),
    ("-7 mod 3", {}, None, -1.0),
    ("1 div 0", {}, None, math.inf),
    ("${kg} * ${price}", {"kg": "120", "price": "2.5"}, None, 300.0),
    ("true() or false() and false()", {}, None, True),
    ("(true() or false()) and false()", {}, None, False),
    ("1 < 2 = true()", {}, None, True),
    # Functions.
    ("string-length(.) > 3", {}, "tilapia", True),
    ("string-length()", {}, "tilapia", 7.0),
    ("string(${x})", {"x": "12"}, None, "12"),
    ("number(${x}) + 1", {"x": " 12.5 "}, None, 13.5),
    ("int(${x})", {"x": "-12.7"}, None, -12.0),
    ("round(${x})", {"x": "2.5"}, None, 3.0),
    ("round(${x}, 1)", {"x": "2.46"}, None, 2.5),
    ("concat(${a}, '-', ${b}, 3)", {"a": "x", "b": "y"}, None, "x-y3"),
    ("contains(${a}, 'ice')", {"a": "no ice here"}, None, True),
    ("starts-with(${a}, 'no')", {"a": "no ice"}, None, True),
    ("ends-with(${a}, 'no')", {"a": "no ice"}, None, False),
    ("substr('tilapia', 2, 5)", {}, None, "lap"),
    ("substr('tilapia', 4)", {}, None, "pia"),
    ("coalesce(${a}, ${b})", {"b": "second"}, None, "second"),
    ("coalesce(${a}, ${b})", {"a": "first", "b": "second"}, None, "first"),
    ("if(${a} = '', 'empty', ${a})", {}, None, "empty"),
    ("regex(., '^07[0-9]{8}$')", {}, "0712345678", True),
    ("regex(., '^07[0-9]{8}$')", {}, "071234567", False),
    ("abs(-2) + floor(1.7) + ceiling(1.2)", {}, None, 5.0),
    ("normalize-space('  a   b ')", {}, None, "a b"),
    # Dates: an answer YYYY-MM-DD against today() or date() is a date.
    ("today()", {}, None, "2026-12-04"),
    ("${d} < today()", {"d": "2026-11-30"}, None, True),
    ("${d} = today()", {"d": "2026-12-04"}, None, True),
    ("${d} >= date('2026-12-01')", {"d": "2026-11-30"}, None, False),
    ("${d} >= date('2026-12-01')", {"d": "not a date"}, None, False),
    ("today() - ${d}", {"d": "2026-11-30"}, None, 4.0),
    ("today() - ${d} <= 7", {"d": "2026-11-20"}, None, False),
    ("date(today() - 3)", {}, None, "2026-12-01"),
    ("date('2026-02-30') < today()", {}, None, False),
    ("${a} < ${b}", {"a": "2026-01-02", "b": "2026-01-10"}, None, True),
]


@pytest.mark.parametrize("expression, answers, current, value", VALUES,
                         ids=[f"{e} [{c or a}]" for e, a, c, _ in VALUES])
def test_expression_value_as_odk_gives_it(expression, answers, current, value):
    assert evaluate(expression, answers, current) == value
    assert type(evaluate(expression, answers, current)) is type(value)
    if isinstance(value, bool):
        assert holds(expression, answers, current) is value


def test_nan_is_a_number_that_holds_nothing():
    assert math.isnan(evaluate("${x} + 1", {}))
    assert math.isnan(evaluate("number('12 kg')", {}))
    assert math.isnan(evaluate("0 div 0", {}))
    assert holds("${x} + 1", {}) is False


def test_fish_losses_expressions_are_all_read():
    names = [row[1] for row in FISH_LOSSES_SURVEY]
    expressions = [cell for row in FISH_LOSSES_SURVEY for cell in (row[7], row[8], row[11])
                   if cell]
    assert len(expressions) == 6
    for expression in expressions:
        check(expression, names)
        evaluate(expression, FISH, "5")


def test_empty_expression_always_holds():
    assert holds(None, {}) and holds("", {}) and holds("  ", {})


def test_calculation_is_stored_as_xpath_writes_it():
    assert as_text(evaluate("${kg} * 2", {"kg": "60"})) == "120"
    assert as_text(evaluate("${kg} div 8", {"kg": "60"})) == "7.5"
    assert as_text(evaluate("${kg} > 50", {"kg": "60"})) == "true"
    assert as_text(evaluate("${kg} + 1", {})) == "NaN"


def test_today_is_the_day_given():
    assert holds(". <= today()", {}, "2026-12-05") is False
    assert holds(". <= today()", {}, "2026-12-05", today=date(2026, 12, 5)) is True


def test_parsed_once_for_every_answer():
    assert parse("${loss_kg} > 50") is parse("${loss_kg} > 50")


@pytest.mark.parametrize("expression, reason", [
    ("1 +", "the expression ends too soon"),
    ("(1 + 2", "expected ')' but found the end of the expression"),
    ("1 2", "unexpected '2' after a complete expression"),
    ("'open", "cannot read \"'open\" at character 1"),
    ("${x", "cannot read '${x' at character 1"),
    ("$x = 1", "cannot read '$x = 1' at character 1"),
    ("/data/x = 1", "paths such as /data/x or ../x are not served: write ${x}"),
    ("../x = 1", "paths such as /data/x or ../x are not served"),
    ("1 = = 2", "unexpected '='"),
    ("x = 1", "'x' is not something the bot can read here"),
    ("pulldata('prices', 'price', 'fish', ${x})", "the function pulldata() cannot be evaluated"),
    ("now()", "the function now() cannot be evaluated"),
    ("jr:choice-name(${x}, '${x}')", "the function jr:choice-name() cannot be evaluated"),
    ("position(..)", "paths such as /data/x or ../x are not served"),
    ("position(.)", "the function position() cannot be evaluated"),
    ("selected(${x})", "selected() takes 2 arguments, not 1"),
    ("today(1)", "today() takes 0 arguments, not 1"),
    ("if(${x} > 1, 'a')", "if() takes 3 arguments, not 2"),
    ("concat()", "concat() takes 1 or more arguments, not 0"),
    ("substr(${x})", "substr() takes 2 to 3 arguments, not 1"),
    ("regex(., '[0-9')", "the regex '[0-9' cannot be read"),
    ("${y} = 1", "${y} names no question of the form"),
    ("selected(${x}, 'a') or ${z} > 2", "${z} names no question of the form"),
])
def test_check_refuses_what_cannot_be_evaluated(expression, reason):
    with pytest.raises(ExpressionError) as refused:
        check(expression, ["x"])
    assert reason in str(refused.value)


@pytest.mark.parametrize("expression", [
    "__import__('os').system('echo owned')",
    "${x}.__class__",
    "().__class__.__bases__",
    "[c for c in ()]",
    "lambda: 1",
    "open('/etc/passwd')",
    "eval('1 + 1')",
    "exec('x = 1')",
    "getattr(${x}, 'upper')",
    "'a'.upper()",
    "1; 2",
    "a[0]",
    "{'a': 1}",
    "1 if 1 else 2",
])
def test_python_is_never_evaluated(expression):
    with pytest.raises(ExpressionError):
        check(expression, ["x"])
    with pytest.raises(ExpressionError):
        evaluate(expression, {"x": "1"})


@pytest.mark.parametrize("expression, value", [
    (f"round({'1' + '0' * 308} * 10, 2)", math.inf),
    (f"round({'9' + '0' * 307}, 15)", 9e307),
    ("substr('tilapia', 1 div 0)", ""),
    ("substr('tilapia', -1 div 0, 2)", "ti"),
    ("int(1 div 0)", math.inf),
    ("date(1 div 0) < today()", False),
    ("floor(0 div 0) = floor(0 div 0)", False),
])
def test_extreme_numbers_give_a_value_not_an_error(expression, value):
    assert evaluate(expression, {}) == value


def test_nesting_too_deep_is_refused():
    with pytest.raises(ExpressionError, match="nested too deeply"):
        check("(" * 5000 + "1" + ")" * 5000, [])
    assert evaluate("(" * 50 + "1" + ")" * 50, {}) == 1.0


def test_an_answer_that_is_python_stays_text(tmp_path):
    owned = tmp_path / "owned"
    code = f"__import__('pathlib').Path('{owned}').touch()"
    assert evaluate("concat(${x}, '')", {"x": code}) == code
    assert evaluate("${x} = 1", {"x": code}) is False
    assert not owned.exists()
