"""The condition language: evaluation, load-time errors, safety, and random inputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ExpressionError
from engine.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    Expression,
    compile_condition,
    compile_expression,
)

SITUATIONS = ["none", "left_monaco", "deceased", "other_coverage"]

ENV: dict[str, dict[str, Any]] = {
    "answers": {"type": "object", "properties": {
        "situation": {"type": "object", "properties": {
            "code": {"type": "string", "enum": SITUATIONS}}},
        "household_children": {"type": "object", "properties": {
            "count": {"type": "integer"},
            "children": {"type": "array", "items": {"type": "object", "properties": {
                "birth_date": {"type": "string", "format": "date"}}}}}},
    }},
    "household": {"type": "object", "properties": {
        "has_spouse": {"type": "boolean"}, "children": {"type": "integer"}}},
    "campaign": {"type": "object", "properties": {
        "open": {"type": "boolean"}, "year": {"type": "integer"},
        "sections": {"type": "array", "items": {"type": "string"}}}},
}

# The brief's environment plus a few shapes it lacks (a date, a decimal, a nullable text...).
WIDE_ENV: dict[str, dict[str, Any]] = {**ENV, "person": {"type": "object", "properties": {
    "birth_date": {"type": "string", "format": "date"},
    "income": {"type": "number"},
    "nickname": {"type": ["string", "null"]},
    "kind": {"enum": ["employee", "employer"]},
    "extra": {},
    "free": {"type": "object"},
}}}


def situation(code: Any) -> dict[str, Any]:
    return {"answers": {"situation": {"code": code}}}


EVALUATIONS = [
    # literals
    ("true", {}, True),
    ("false", {}, False),
    ("null", {}, None),
    ("12", {}, 12),
    ("-3", {}, -3),
    ("0.5", {}, Decimal("0.5")),
    ("'it\\'s'", {}, "it's"),
    ('"say \\"hi\\" \\\\"', {}, 'say "hi" \\'),
    ("[1, 2]", {}, (1, 2)),
    # names, missing keys, nested paths
    ("household.has_spouse", {"household": {"has_spouse": True}}, True),
    ("household.has_spouse", {}, None),
    ("answers.situation.code", situation("deceased"), "deceased"),
    ("answers.situation.code", {"answers": {"situation": None}}, None),
    ("answers.situation.code", {"answers": {"situation": "deceased"}}, None),
    ("answers.situation.code", {"answers": {"situation": ["code"]}}, None),
    ("answers.situation.code", {"answers": 3}, None),
    # and / or / not, null read as false
    ("household.has_spouse and campaign.open",
     {"household": {"has_spouse": True}, "campaign": {"open": True}}, True),
    ("household.has_spouse and campaign.open", {"household": {"has_spouse": True}}, False),
    ("household.has_spouse or campaign.open", {"campaign": {"open": True}}, True),
    ("household.has_spouse or campaign.open", {}, False),
    ("true and true and false", {}, False),
    ("false or false or true", {}, True),
    ("not household.has_spouse", {}, True),
    ("not household.has_spouse", {"household": {"has_spouse": True}}, False),
    ("not not household.has_spouse", {"household": {"has_spouse": False}}, False),
    ("not false and false", {}, False),
    ("true or false and false", {}, True),
    ("(true or false) and false", {}, False),
    # == and !=
    ('answers.situation.code == "none"', situation("none"), True),
    ('answers.situation.code != "none"', situation("none"), False),
    ('answers.situation.code != "none"', {}, True),
    ('"none" == answers.situation.code', situation("none"), True),
    ("answers.situation.code == null", {}, True),
    ("answers.situation.code != null", situation("none"), True),
    ("null == null", {}, True),
    ("household.has_spouse == true", {"household": {"has_spouse": True}}, True),
    ("household.has_spouse == true", {"household": {"has_spouse": 1}}, False),
    ("household.has_spouse == campaign.open", {}, True),
    ("household.children == 2", {"household": {"children": 2.0}}, True),
    ("household.children == 2", {"household": {"children": Decimal("2.00")}}, True),
    ("person.income == 0.1", {"person": {"income": 0.1}}, True),
    ("person.income == household.children", {"person": {"income": 2.0},
                                              "household": {"children": 2}}, True),
    ("person.income != household.children", {"person": {"income": 0.1}}, True),
    ('campaign.sections == ["a", "b"]', {"campaign": {"sections": ["a", "b"]}}, True),
    ('person.kind == "employer"', {"person": {"kind": "employer"}}, True),
    # ordering, null is never smaller nor larger
    ("household.children > 2", {"household": {"children": 3}}, True),
    ("household.children > 2", {"household": {"children": 2}}, False),
    ("household.children >= 2", {"household": {"children": Decimal("2")}}, True),
    ("household.children < 2.5", {"household": {"children": 2.4}}, True),
    ("household.children <= 2", {}, False),
    ("household.children > -1", {}, False),
    ("household.children < campaign.year", {"household": {"children": 1},
                                            "campaign": {"year": 2024}}, True),
    ("household.children < campaign.year", {"household": {"children": 1}}, False),
    ("household.children > 2", {"household": {"children": "3"}}, False),
    ('answers.situation.code < "e"', situation("deceased"), True),
    # arithmetic, exact decimals, null propagates
    ("1 + 2 - 3", {}, 0),
    ("0.1 + 0.2 == 0.3", {}, True),
    ("campaign.year - 2000", {"campaign": {"year": 2024}}, 24),
    ("person.income + 0.2", {"person": {"income": 0.1}}, Decimal("0.3")),
    ("household.children + 1", {}, None),
    ("1 - household.children", {"household": {"children": "2"}}, None),
    ("-household.children", {"household": {"children": 3}}, -3),
    ("- -3", {}, 3),
    ("-household.children", {}, None),
    ("household.children + 1 >= 3", {"household": {"children": 2}}, True),
    # in / not in
    ('answers.situation.code in ["deceased", "left_monaco"]', situation("deceased"), True),
    ('answers.situation.code in ["deceased", "left_monaco"]', situation("none"), False),
    ('answers.situation.code in ["deceased"]', {}, False),
    ('answers.situation.code not in ["none"]', {}, True),
    ('answers.situation.code not in ["none"]', situation("none"), False),
    ('answers.situation.code in ["none", null]', {}, True),
    ("campaign.year in [2024, 2025]", {"campaign": {"year": 2025}}, True),
    ("campaign.year in [2024, 2025]", {"campaign": {"year": 2024.0}}, True),
    ("campaign.year in [1]", {"campaign": {"year": True}}, False),
    ("campaign.year in [1]", {"campaign": {"year": [1]}}, False),
    ("campaign.year not in [1]", {"campaign": {"year": [1]}}, True),
    ("household.children in [0.5]", {"household": {"children": 0.5}}, True),
    ('"a" in campaign.sections', {"campaign": {"sections": ["a", "b"]}}, True),
    ('"c" in campaign.sections', {"campaign": {"sections": ["a", "b"]}}, False),
    ('"a" in campaign.sections', {"campaign": {"sections": None}}, False),
    ('"a" in campaign.sections', {"campaign": {"sections": "a"}}, False),
    ('"a" in campaign.sections', {}, False),
    ('"a" not in campaign.sections', {}, True),
    ("household.children in [1, 2]", {"household": {"children": 2}}, True),
    ("person.income in [0.1]", {"person": {"income": 0.1}}, True),
    # len
    ("len(campaign.sections)", {"campaign": {"sections": ["a", "b"]}}, 2),
    ("len(campaign.sections)", {}, 0),
    ("len(campaign.sections)", {"campaign": {"sections": 3}}, 0),
    ("len(answers.situation.code)", situation("none"), 4),
    ("len(answers.household_children.children) > 0",
     {"answers": {"household_children": {"children": [{"birth_date": "2020-01-01"}]}}}, True),
    ("len(null)", {}, 0),
    # dates compare as YYYY-MM-DD, whether text or date objects
    ('person.birth_date < "2000-01-01"', {"person": {"birth_date": "1999-12-31"}}, True),
    ('person.birth_date < "2000-01-01"', {"person": {"birth_date": date(1999, 12, 31)}}, True),
    ('person.birth_date >= "2000-01-01"', {"person": {"birth_date": "1999-12-31"}}, False),
    ('person.birth_date < "2000-01-01"', {}, False),
    ('person.birth_date == "2000-01-01"', {"person": {"birth_date": date(2000, 1, 1)}}, True),
    ('person.birth_date in ["2000-01-01"]', {"person": {"birth_date": date(2000, 1, 1)}}, True),
    ('"2000-01-01" < person.birth_date', {"person": {"birth_date": "2001-05-06"}}, True),
    # names the schema does not type: accepted, not checked
    ("person.extra.anything == 3", {"person": {"extra": {"anything": 3}}}, True),
    ("person.free.anything > 2", {"person": {"free": {"anything": 3}}}, True),
    ('person.nickname == "Jo"', {"person": {"nickname": "Jo"}}, True),
]


@pytest.mark.parametrize(("text", "values", "expected"), EVALUATIONS)
def test_evaluation(text: str, values: dict[str, Any], expected: Any) -> None:
    result = compile_expression(text, WIDE_ENV).evaluate(values)
    assert result == expected
    assert type(result) is type(expected) or isinstance(expected, int | Decimal)


@pytest.mark.parametrize(("text", "values", "expected"), [
    ("household.has_spouse", {"household": {"has_spouse": True}}, True),
    ("household.has_spouse", {"household": {"has_spouse": 1}}, False),
    ("household.has_spouse", {}, False),
    ("household.children", {"household": {"children": 1}}, False),
    ("answers.situation.code", situation("none"), False),
])
def test_test_is_true_only_for_exactly_true(text: str, values: dict[str, Any],
                                            expected: bool) -> None:
    assert compile_expression(text, ENV).test(values) is expected


class Exploding(Mapping[str, Any]):
    """Values whose every source but ``household`` fails when read."""

    def __getitem__(self, key: str) -> Any:
        if key == "household":
            return {"has_spouse": True}
        raise AssertionError(f"{key} was read")

    def __iter__(self) -> Iterator[str]:
        return iter(["household"])

    def __len__(self) -> int:
        return 1


@pytest.mark.parametrize("text", [
    "household.has_spouse or campaign.open",
    "not household.has_spouse and campaign.open",
])
def test_and_or_short_circuit(text: str) -> None:
    compile_condition(text, ENV).evaluate(Exploding())


COMPILE_ERRORS = [
    # text, code, column, a word of the French message
    ('answers.situaton.code == "none"', "expr_unknown_name", 1, "answers.situation.code"),
    ('household.has_spous', "expr_unknown_name", 1, "household.has_spouse"),
    ("houshold.children > 0", "expr_unknown_name", 1, "household"),
    ("x and household.has_spouse", "expr_unknown_name", 1, "inconnu"),
    ("household.has_spouse and campaign.sections.open", "expr_unknown_name", 26, "liste"),
    ("answers.household_children.children.birth_date", "expr_unknown_name", 1, "liste"),
    ("True", "expr_syntax", 1, "minuscules"),
    ('answers.situation.code == "nonee"', "expr_unknown_value", 27, "none"),
    ('answers.situation.code != "Deceased"', "expr_unknown_value", 27, "possibles"),
    ('"dead" == answers.situation.code', "expr_unknown_value", 1, "dead"),
    ('answers.situation.code in ["none", "gone"]', "expr_unknown_value", 36, "gone"),
    ('person.kind == "worker"', "expr_unknown_value", 16, "employee"),
    ('household.children == "2"', "expr_type", 20, "comparer"),
    ('"2" != household.children', "expr_type", 5, "nombre"),
    ("household.has_spouse == 1", "expr_type", 22, "oui/non"),
    ("household.has_spouse and 1", "expr_type", 26, "oui/non"),
    ("not household.children", "expr_type", 5, "oui/non"),
    ('household.children + "a" > 1', "expr_type", 22, "nombres"),
    ("-household.has_spouse == 1", "expr_type", 2, "nombres"),
    ("campaign.sections < 2", "expr_type", 19, "deux nombres"),
    ("household.has_spouse < true", "expr_type", 22, "deux dates"),
    ("household.children < null", "expr_type", 20, "vide"),
    ('person.birth_date < "2024-13-01"', "expr_type", 21, "date"),
    ('person.birth_date in ["2024-01-01", "31/01/2024"]', "expr_type", 37, "AAAA-MM-JJ"),
    ("person.birth_date == person.nickname", "expr_type", 19, "date"),
    ('person.birth_date < "x"', "expr_type", 21, "date"),
    ("household.children in campaign.sections", "expr_type", 20, "chercher"),
    ("household.children in 3", "expr_type", 20, "liste"),
    ('household.children in [1, "a"]', "expr_type", 27, "mélanger"),
    ("len(household.children) > 0", "expr_type", 5, "len"),
    ("lenght(campaign.sections) > 0", "expr_unknown_function", 1, "len"),
    ("answers.situation.code.upper()", "expr_unknown_function", 1, "fonction"),
    ("household.children", "expr_not_boolean", 1, "true ou false"),
    ("  len(campaign.sections)", "expr_not_boolean", 3, "nombre"),
    ('"yes"', "expr_not_boolean", 1, "texte"),
    ("1 < 2 < 3", "expr_syntax", 7, "enchaînent"),
    ('"abc', "expr_syntax", 1, "fermé"),
    ("'a\\n'", "expr_syntax", 3, "permis"),
    ("", "expr_syntax", 1, "vide"),
    ("   ", "expr_syntax", 1, "vide"),
    ("household.children = 1", "expr_syntax", 20, "=="),
    ("household.has_spouse && campaign.open", "expr_syntax", 22, "and"),
    ("household.children $ 2", "expr_syntax", 20, "caractère"),
    ("true false", "expr_syntax", 6, "en trop"),
    ("(true", "expr_syntax", 6, "parenthèse"),
    ("true and", "expr_syntax", 9, "trop tôt"),
    ("household.has_spouse and )", "expr_syntax", 26, "on trouve"),
    ("household.children in [household.children]", "expr_syntax", 24, "liste"),
    ("len(campaign.sections, 1) > 0", "expr_syntax", 1, "une valeur"),
    ("answers.__class__", "expr_syntax", 1, "_"),
    ("household.children > .5", "expr_syntax", 22, "caractère"),
    ("(" * (MAX_DEPTH + 1) + "true" + ")" * (MAX_DEPTH + 1), "expr_too_deep", MAX_DEPTH + 1,
     "imbriquée"),
    ("not " * (MAX_DEPTH + 1) + "true", "expr_too_deep", 4 * MAX_DEPTH + 1, "imbriquée"),
    ("true or " * 130 + "true", "expr_too_long", MAX_LENGTH + 1, "maximum"),
]


@pytest.mark.parametrize(("text", "code", "column", "word"), COMPILE_ERRORS)
def test_compile_error(text: str, code: str, column: int, word: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_condition(text, WIDE_ENV)
    error = caught.value
    assert (error.code, error.column) == (code, column), error.message.fr
    assert word in error.message.fr
    assert f"(colonne {column})" in error.message.fr
    assert f"(column {column})" in error.message.en


@pytest.mark.parametrize("text", [True, 3, None, ["a"]])
def test_yaml_scalars_that_are_not_text_are_refused(text: Any) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_condition(text, ENV)
    assert (caught.value.code, caught.value.column) == ("expr_syntax", 1)


@pytest.mark.parametrize(("text", "shown"), [
    ("household.children\u00a0> 2", None),
    ("answers.situation.code == «none»", "«"),
    ("answers.situation.code == “none”", "“"),
    ("household.children > 2\x00", "U+0000"),
])
def test_pasted_characters(text: str, shown: str | None) -> None:
    if shown is None:
        compile_condition(text, ENV)
        return
    with pytest.raises(ExpressionError) as caught:
        compile_condition(text, ENV)
    assert shown in caught.value.message.fr


def test_all_codes_are_covered() -> None:
    codes = {row[1] for row in COMPILE_ERRORS}
    assert codes == {"expr_syntax", "expr_too_long", "expr_too_deep", "expr_unknown_name",
                     "expr_unknown_value", "expr_type", "expr_not_boolean",
                     "expr_unknown_function"}


def test_unknown_name_message_reads_well() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_condition('answers.situaton.code == "none"', ENV)
    assert caught.value.message.fr.startswith(
        "Le nom « answers.situaton.code » est inconnu. "
        "Vouliez-vous dire « answers.situation.code » ?")
    assert caught.value.message.en.startswith('The name "answers.situaton.code" is unknown.')


def test_type_message_reads_well() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_condition('household.children == "2"', ENV)
    assert caught.value.message.fr.startswith(
        'On ne peut pas comparer un nombre (household.children) à un texte ("2").')


@pytest.mark.parametrize("text", [
    "answers.__class__",
    '__import__("os")',
    "answers.situation.code.upper",
    "answers.situation.code.upper()",
    "answers.situation.__dict__",
    "campaign.sections.pop()",
    "().__class__",
    'getattr(answers, "x")',
    "eval('1')",
])
def test_python_is_out_of_reach(text: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(text, ENV)


@pytest.mark.parametrize("text", [
    "(" * 10000,
    "(" * 10000 + "true" + ")" * 10000,
    "not " * 5000 + "true",
    "-" * 10000 + "1",
    "[" * 10000,
    "len(" * 10000,
])
def test_deep_input_never_overflows_the_stack(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, ENV)
    assert caught.value.code in ("expr_too_deep", "expr_syntax")


def test_long_flat_chains_evaluate() -> None:
    text = " and ".join(["household.has_spouse"] * 40)
    assert len(text) < MAX_LENGTH
    assert compile_condition(text, ENV).test({"household": {"has_spouse": True}})
    total = compile_expression(" + ".join(["1"] * 250), ENV)
    assert total.evaluate({}) == 250


@pytest.mark.parametrize(("text", "names"), [
    ("true", set()),
    ('answers.situation.code != "none" and household.has_spouse',
     {"answers.situation.code", "household.has_spouse"}),
    ("household.children + household.children > len(campaign.sections)",
     {"household.children", "campaign.sections"}),
    ('"a" in campaign.sections or not campaign.open', {"campaign.sections", "campaign.open"}),
    ("answers.situation == null", {"answers.situation"}),
])
def test_names(text: str, names: set[str]) -> None:
    expression = compile_expression(text, ENV)
    assert expression.names == frozenset(names)
    assert expression.text == text


def test_expression_is_frozen() -> None:
    expression = compile_condition("true", ENV)
    assert isinstance(expression, Expression)
    with pytest.raises(AttributeError):
        expression.text = "false"  # type: ignore[misc]


@pytest.mark.parametrize(("schema", "text"), [
    ({"type": ["integer", "null"]}, "x > 1"),
    ({"type": ["string", "null"], "enum": ["a", None]}, 'x == "a"'),
    ({"enum": ["a", "b"]}, 'x in ["a", "b"]'),
    ({"const": "a"}, 'x == "a"'),
    ({"type": "number"}, "x + 1 > 0.5"),
    ({"$ref": "#/definitions/y"}, "x.anything.deeper == 1"),
    ({"properties": {"y": {"type": "boolean"}}}, "x.y"),
    ({"type": "object", "additionalProperties": {"type": "integer"}}, "x.whatever > 1"),
])
def test_schema_shapes(schema: dict[str, Any], text: str) -> None:
    compile_condition(text, {"x": schema})


@pytest.mark.parametrize(("schema", "text", "code"), [
    ({"enum": ["a", "b"]}, 'x == "c"', "expr_unknown_value"),
    ({"const": "a"}, 'x == "b"', "expr_unknown_value"),
    ({"type": ["string", "null"]}, "x > 1", "expr_type"),
    ({"properties": {"y": {"type": "boolean"}}}, "x.z", "expr_unknown_name"),
    ({"type": "object", "properties": {}, "additionalProperties": False}, "x.y",
     "expr_unknown_name"),
])
def test_schema_shapes_refused(schema: dict[str, Any], text: str, code: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_condition(text, {"x": schema})
    assert caught.value.code == code


# Random input: the compiler either accepts or refuses with ExpressionError, never crashes.

TOKENS = ["(", ")", "[", "]", ",", "==", "!=", "<", "<=", ">", ">=", "+", "-", "in", "not",
          "and", "or", "true", "false", "null", "0", "12", "0.5", '"none"', "'x'", '"2024-01-01"',
          "len", "lenx", "answers.situation.code", "answers.situation", "household.children",
          "household.has_spouse", "campaign.sections", "campaign.year", "answers.nope", "_x",
          "=", "'", "\\", ".", "@"]


@given(st.text())
def test_any_text_compiles_or_is_refused(text: str) -> None:
    try:
        compile_condition(text, ENV)
    except ExpressionError as error:
        assert error.code.startswith("expr_")
        assert error.column is None or error.column >= 1


@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join))
def test_any_token_soup_compiles_or_is_refused(text: str) -> None:
    try:
        expression = compile_expression(text, ENV)
    except ExpressionError as error:
        assert 1 <= (error.column or 1) <= len(text) + 1
    else:
        expression.evaluate({})


# Random well-formed expressions over ENV, evaluated on random data shaped by ENV.

def values_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = schema.get("type")
    if kind == "object":
        fields = {key: values_for(sub) for key, sub in schema["properties"].items()}
        return st.fixed_dictionaries({}, optional=fields)
    if kind == "array":
        return st.none() | st.lists(values_for(schema["items"]), max_size=3)
    if "enum" in schema:
        return st.none() | st.sampled_from(schema["enum"])
    if schema.get("format") == "date":
        return st.none() | st.dates().map(date.isoformat) | st.dates()
    if kind == "string":
        return st.none() | st.text(max_size=5)
    if kind == "integer":
        return st.none() | st.integers(-5, 5)
    if kind == "number":
        return st.none() | st.integers() | st.floats(allow_nan=False) | st.decimals(
            allow_nan=False)
    return st.none() | st.booleans()


VALUES = values_for({"type": "object", "properties": ENV})

NUMBER_ATOMS = st.sampled_from([
    "household.children", "campaign.year", "answers.household_children.count", "0", "3", "0.5",
    "-2", "len(campaign.sections)", "len(answers.household_children.children)",
    "len(answers.situation.code)",
])
numbers = st.recursive(NUMBER_ATOMS, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["+", "-"]), inner).map(lambda t: f"({' '.join(t)})"),
    inner.map(lambda n: f"-{n}"),
), max_leaves=6)
codes = st.sampled_from(SITUATIONS).map(lambda code: f'"{code}"')
BOOL_ATOMS = st.one_of(
    st.sampled_from(["household.has_spouse", "campaign.open", "true", "false",
                     "answers.situation.code == null", "household.children != null"]),
    st.tuples(numbers, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), numbers)
    .map(" ".join),
    st.tuples(st.sampled_from(["==", "!="]), codes)
    .map(lambda t: f"answers.situation.code {t[0]} {t[1]}"),
    st.tuples(st.sampled_from(["in", "not in"]), st.lists(codes, max_size=3))
    .map(lambda t: f"answers.situation.code {t[0]} [{', '.join(t[1])}]"),
    st.tuples(st.sampled_from(["in", "not in"]), st.text("abc", max_size=2))
    .map(lambda t: f'"{t[1]}" {t[0]} campaign.sections'),
    st.tuples(numbers, st.lists(st.integers(-3, 3), max_size=3))
    .map(lambda t: f"{t[0]} in [{', '.join(map(str, t[1]))}]"),
)
conditions = st.recursive(BOOL_ATOMS, lambda inner: st.one_of(
    inner.map(lambda b: f"not {b}"),
    st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({' '.join(t)})"),
), max_leaves=8)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(conditions, VALUES)
def test_well_formed_conditions_evaluate(text: str, values: dict[str, Any]) -> None:
    expression = compile_condition(text, ENV)
    result = expression.evaluate(values)
    assert result is None or isinstance(result, bool)
    assert expression.test(values) is (result is True)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(numbers, VALUES)
def test_well_formed_numbers_evaluate(text: str, values: dict[str, Any]) -> None:
    result = compile_expression(text, ENV).evaluate(values)
    assert result is None or type(result) in (int, Decimal)
