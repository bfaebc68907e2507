"""The condition language of workflow YAML (``when:``, ``skip_unless:``, requirements).

A condition is checked once, when the YAML is loaded, against the JSON Schemas of the data it
may read; it is then run as plain Python closures. It is not Python: nothing in it can reach a
Python object, import, call a method or loop. Names are dictionary lookups and nothing else.

Values
    ``12``, ``0.5``, ``-3`` (numbers; decimals are exact); ``"text"`` or ``'text'`` (inside, only
    ``\\\\``, ``\\"`` and ``\\'`` are special); ``true``, ``false``; ``null`` (the empty value,
    for an unanswered question); lists of such values ``[1, 2]``, ``["none", "other"]``.
Names
    ``answers.situation.code``: dotted names into the data. The first part is a known source
    (``answers``, ``household``, ``campaign``...), each next part a field of the part before,
    as declared in its JSON Schema. A name cannot start with ``_``. A field missing from the
    data is ``null``, never an error.
Operators, from the loosest to the tightest
    ``or``; ``and``; ``not``; comparisons ``==  !=  <  <=  >  >=  in  not in`` (one per group:
    write ``a < b and b < c``, not ``a < b < c``); ``+  -``; unary ``-``; parentheses.
Function
    ``len(x)``: number of elements of a list or characters of a text (``len(null)`` is 0).

Checked when the YAML is loaded
    Every name must exist. ``and``, ``or`` and ``not`` take yes/no values. ``<  <=  >  >=``
    compare two numbers, two texts or two dates (a date field with a text written as
    ``"2024-01-31"``). ``==`` and ``!=`` compare values of the same kind; anything may be
    compared with ``null``. ``in`` looks for a value in a written list or a list field. ``+`` and
    ``-`` take numbers. A field with a fixed list of values (``enum``) compared with ``==``,
    ``!=`` or ``in`` must be compared with one of those values. A condition (``when:``...) must
    give ``true`` or ``false``.

When it runs
    ``and`` / ``or`` stop as soon as the answer is known and read ``null`` as false; ``not null``
    is true; ``<`` ... with ``null`` on either side is false; ``null == null`` is true;
    ``x in null`` is false; ``+`` and ``-`` with ``null`` give ``null``. Integers and decimals
    compare exactly (``0.1 == 0.1`` whatever their source); dates compare as ``YYYY-MM-DD``.
    A condition is met only when it gives exactly ``true``.

Examples
    ``answers.situation.code != "none" and household.has_spouse``
    ``answers.situation.code in ["left_monaco", "deceased"]``
    ``household.children + 1 >= 3 or len(campaign.sections) == 0``

Limits: :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting. Errors are
:class:`~engine.errors.ExpressionError` with the codes ``expr_syntax``, ``expr_too_long``,
``expr_too_deep``, ``expr_unknown_name``, ``expr_unknown_value``, ``expr_type``,
``expr_not_boolean`` and ``expr_unknown_function``, each with a 1-based ``column``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NoReturn

from engine.expressions_parse import (
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    Arith,
    BoolOp,
    Call,
    Compare,
    ListLiteral,
    Literal,
    Name,
    Negate,
    Node,
    Not,
    fail,
    parse,
    syntax,
)
from engine.expressions_run import (
    _ORDER,
    Evaluator,
    Normalizer,
    _and,
    _arith,
    _constant,
    _equality,
    _getter,
    _iso,
    _iso_or_same,
    _length,
    _loose,
    _membership,
    _negate,
    _not,
    _number,
    _or,
    _ordering,
    _plain_list,
    _text,
)

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Expression", "compile_condition", "compile_expression"]

FUNCTIONS = ("len",)
_KINDS = {"boolean": "boolean", "integer": "number", "number": "number", "string": "string",
          "array": "array", "object": "object", "null": "null"}
_A = {"boolean": ("une valeur oui/non", "a yes/no value"), "number": ("un nombre", "a number"),
      "string": ("un texte", "a text"), "date": ("une date", "a date"),
      "array": ("une liste", "a list"), "object": ("un groupe de champs", "a group of fields"),
      "null": ("la valeur vide (null)", "the empty value (null)"), "any": ("une valeur", "a value")}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True, slots=True)
class StaticType:
    """What the JSON Schema says a value is; ``any`` when it does not say."""

    kind: str  # boolean, number, string, date, array, object, null or any
    enum: tuple[str, ...] | None = None
    item: StaticType | None = None


ANY, NULL, BOOLEAN, NUMBER = StaticType("any"), StaticType("null"), StaticType("boolean"), \
    StaticType("number")


@dataclass(frozen=True, slots=True, eq=False)
class Expression:
    """A compiled expression: evaluate it as often as needed, it holds no state."""

    text: str
    names: frozenset[str]
    _evaluate: Evaluator = field(repr=False)

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        return self._evaluate(values)

    def test(self, values: Mapping[str, Any]) -> bool:
        """True only if the expression gives exactly ``true``."""
        return self._evaluate(values) is True


def compile_expression(text: str, env: Mapping[str, Mapping[str, Any]]) -> Expression:
    """Check ``text`` against the schemas of ``env`` (source name → JSON Schema) and compile it."""
    return _compile(text, env)[0]


def compile_condition(text: str, env: Mapping[str, Mapping[str, Any]]) -> Expression:
    """Like :func:`compile_expression`, and the result must be a yes/no value."""
    expression, typed = _compile(text, env)
    if typed.type.kind not in ("boolean", "any"):
        fr, en = _A[typed.type.kind]
        fail("expr_not_boolean",
             f"La condition « {text.strip()} » doit donner true ou false, mais elle donne {fr}.",
             f'The condition "{text.strip()}" must give true or false, but it gives {en}.',
             typed.node.start + 1)
    return expression


_SHOWABLE = ("string", "number", "date", "null", "any")


def compile_shown(text: str, env: Mapping[str, Mapping[str, Any]]) -> Expression:
    """Like :func:`compile_expression`, for a value shown to a person: the result must be a text,
    a number, a date, a list of texts (or dates) or null, never a yes/no value nor a group."""
    expression, typed = _compile(text, env)
    kind = typed.type
    if kind.kind == "array" and (kind.item is None or kind.item.kind in ("string", "date", "any")):
        return expression
    if kind.kind not in _SHOWABLE:
        fr, en = _A[kind.kind] if kind.kind != "array" else (
            "une liste d'autre chose que des textes", "a list of something other than texts")
        fail("expr_type",
             f"« {text.strip()} » doit donner un texte, un nombre, une date, une liste de textes"
             f" ou null pour être affiché, mais il donne {fr}.",
             f'"{text.strip()}" must give a text, a number, a date, a list of texts or null to be'
             f" shown, but it gives {en}.", typed.node.start + 1)
    return expression


def _compile(text: str, env: Mapping[str, Mapping[str, Any]]) -> tuple[Expression, _Typed]:
    if not isinstance(text, str):  # YAML reads `when: true` as a boolean, `when: 3` as a number
        syntax(f"Une condition s'écrit comme un texte, pas « {text!r} » : mettez-la entre "
               f"guillemets.", f'A condition is written as a text, not "{text!r}": put it in '
               f"quotes.", 0)
    # Nesting and syntax are reported before length (the parser is linear and depth-bounded),
    # except for input so large that even reading it is a waste.
    if len(text) > 100 * MAX_LENGTH:
        _too_long(text)
    tree = parse(text)
    if len(text) > MAX_LENGTH:
        _too_long(text)
    compiler = _Compiler(text, env)
    typed = compiler.compile(tree)
    return Expression(text, frozenset(compiler.names), typed.fn), typed


def _too_long(text: str) -> NoReturn:
    fail("expr_too_long",
         f"La condition fait {len(text)} caractères ; le maximum est {MAX_LENGTH}. "
         f"Découpez-la ou calculez une partie dans une règle.",
         f"The condition is {len(text)} characters long; the maximum is {MAX_LENGTH}. "
         f"Split it or compute part of it in a rule.", MAX_LENGTH + 1)


def type_of(schema: Any) -> StaticType:
    """The static type a JSON Schema describes (``type: [x, "null"]`` counts as ``x``)."""
    if not isinstance(schema, Mapping):
        return ANY
    declared = schema.get("type")
    if isinstance(declared, list):
        kinds = {_KINDS.get(t) if isinstance(t, str) else None for t in declared if t != "null"}
        kind = kinds.pop() if len(kinds) == 1 else None
    else:
        kind = _KINDS.get(declared) if isinstance(declared, str) else None
    enum = schema.get("enum", [schema["const"]] if "const" in schema else None)
    strings = tuple(v for v in enum if isinstance(v, str)) if isinstance(enum, list) else ()
    if kind is None:
        if strings and all(isinstance(v, str) or v is None for v in enum):
            kind = "string"
        elif isinstance(schema.get("properties"), Mapping):
            kind = "object"
        else:
            return ANY
    if kind == "string" and schema.get("format") == "date":
        return StaticType("date")
    if kind == "array":
        return StaticType("array", item=type_of(schema.get("items")))
    if kind == "string" and strings:
        return StaticType("string", strings)
    return StaticType(kind)


def _walk(env: Mapping[str, Any], path: tuple[str, ...]) -> tuple[StaticType | None, int, Any]:
    """(type of the name, or None with the index of the first unknown part and its parent)."""
    if path[0] not in env:
        return None, 0, env
    schema: Any = env[path[0]]
    for index in range(1, len(path)):
        kind = type_of(schema).kind
        if kind == "any":
            return ANY, index, schema
        if kind != "object":
            return None, index, schema
        properties, extra = schema.get("properties"), schema.get("additionalProperties")
        if isinstance(properties, Mapping) and path[index] in properties:
            schema = properties[path[index]]
        elif isinstance(extra, Mapping):
            schema = extra
        elif properties is None and extra is not False:
            return ANY, index, schema  # a free-form object: its fields are not declared
        else:
            return None, index, schema
    return type_of(schema), len(path), schema


def _equality_norm(a: StaticType, b: StaticType) -> Normalizer | None:
    kinds = {a.kind, b.kind} - {"null"}
    if "array" in kinds:
        return _plain_list
    if "date" in kinds:
        return _iso_or_same
    if kinds <= {"string", "boolean", "object"}:
        return None
    return _loose


def _compatible(a: StaticType, b: StaticType, a_literal: bool, b_literal: bool) -> bool:
    kinds = {a.kind, b.kind}
    if kinds & {"any", "null"}:
        return True
    if kinds == {"date", "string"}:
        return a_literal if a.kind == "string" else b_literal
    if a.kind == "array" and b.kind == "array":
        return _compatible(a.item or ANY, b.item or ANY, a_literal, b_literal)
    return a.kind == b.kind


def _literal_type(value: Any) -> StaticType:
    if value is None or isinstance(value, bool):
        return NULL if value is None else BOOLEAN
    return StaticType("string") if isinstance(value, str) else NUMBER


@dataclass(frozen=True, slots=True)
class _Typed:
    """A checked sub-expression; it is the :class:`~engine.expressions_run.Operand` the
    closure builders read."""

    type: StaticType
    fn: Evaluator
    node: Node
    literal: bool = False
    value: Any = None


class _Compiler:
    """Type-checks a parsed expression and builds its closures, in one walk."""

    def __init__(self, text: str, env: Mapping[str, Mapping[str, Any]]) -> None:
        self.text, self.env, self.names = text, env, set[str]()

    def source(self, node: Node) -> str:
        return self.text[node.start:node.end]

    def compile(self, node: Node) -> _Typed:
        if isinstance(node, Literal):
            value = node.value
            return _Typed(_literal_type(value), _constant(value), node, True, value)
        if isinstance(node, ListLiteral):
            return self.list_literal(node)
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Not):
            return _Typed(BOOLEAN, _not(self.kind_of(node.operand, ("boolean",), "not").fn), node)
        if isinstance(node, Negate):
            return _Typed(NUMBER, _negate(self.kind_of(node.operand, ("number",), "-").fn), node)
        if isinstance(node, BoolOp):
            fns = tuple(self.kind_of(o, ("boolean",), node.op).fn for o in node.operands)
            return _Typed(BOOLEAN, (_and if node.op == "and" else _or)(fns), node)
        if isinstance(node, Arith):
            first = self.kind_of(node.first, ("number",), node.rest[0][0]).fn
            rest = tuple((op == "-", self.kind_of(n, ("number",), op).fn)
                         for op, _, n in node.rest)
            return _Typed(NUMBER, _arith(first, rest), node)
        if isinstance(node, Call):
            return self.call(node)
        assert isinstance(node, Compare)
        return self.compare(node)

    def kind_of(self, node: Node, kinds: tuple[str, ...], word: str) -> _Typed:
        typed = self.compile(node)
        if typed.type.kind not in (*kinds, "any"):
            want = ("des valeurs oui/non (true/false)", "yes/no values (true/false)") \
                if kinds == ("boolean",) else ("des nombres", "numbers")
            fr, en = _A[typed.type.kind]
            fail("expr_type", f"« {word} » s'applique à {want[0]}, mais « {self.source(node)} » "
                 f"est {fr}.", f'"{word}" applies to {want[1]}, but "{self.source(node)}" is {en}.',
                 node.start + 1)
        return typed

    def list_literal(self, node: ListLiteral) -> _Typed:
        kinds = [_literal_type(item.value).kind for item in node.items]
        kind = next((k for k in kinds if k != "null"), None)
        for item, other in zip(node.items, kinds, strict=True):
            if other not in (kind, "null"):
                fail("expr_type", f"Une liste ne peut pas mélanger les sortes de valeurs : "
                     f"« {self.source(item)} » n'est pas {_A[kind or 'any'][0]}.",
                     f'A list cannot mix kinds of values: "{self.source(item)}" is not '
                     f"{_A[kind or 'any'][1]}.", item.start + 1)
        values = tuple(item.value for item in node.items)
        item_type = StaticType(kind) if kind else ANY
        return _Typed(StaticType("array", item=item_type), _constant(values), node, True, values)

    def name(self, node: Name) -> _Typed:
        found, index, parent = _walk(self.env, node.path)
        if found is None:
            self.unknown_name(node, index, parent)
        self.names.add(".".join(node.path))
        return _Typed(found, _getter(node.path), node)

    def unknown_name(self, node: Name, index: int, parent: Any) -> NoReturn:
        full, part, column = ".".join(node.path), node.path[index], node.start + 1
        if len(node.path) == 1 and full.lower() in KEYWORDS:
            syntax(f"Écrivez « {full.lower()} » en minuscules.",
                   f'Write "{full.lower()}" in lower case.', node.start)
        owner = ".".join(node.path[:index])
        if index and type_of(parent).kind != "object":
            fr, en = _A[type_of(parent).kind]
            fail("expr_unknown_name", f"Le nom « {full} » est inconnu : « {owner} » est {fr}, "
                 f"sans partie « {part} ».",
                 f'The name "{full}" is unknown: "{owner}" is {en}, without a part "{part}".',
                 column)
        props = parent if not index else parent.get("properties")
        known = sorted(props) if isinstance(props, Mapping) else []
        fr, en = f"Le nom « {full} » est inconnu.", f'The name "{full}" is unknown.'
        close = difflib.get_close_matches(part, known, n=1)
        if close:
            guess = (*node.path[:index], close[0], *node.path[index + 1:])
            if _walk(self.env, guess)[0] is None:
                guess = guess[:index + 1]
            fr += f" Vouliez-vous dire « {'.'.join(guess)} » ?"
            en += f' Did you mean "{".".join(guess)}"?'
        if 0 < len(known) <= 12:
            where_fr, where_en = (f" après « {owner} »", f' after "{owner}"') if index else ("", "")
            fr += f" Noms possibles{where_fr} : {', '.join(known)}."
            en += f" Possible names{where_en}: {', '.join(known)}."
        fail("expr_unknown_name", fr, en, column)

    def call(self, node: Call) -> _Typed:
        if node.function not in FUNCTIONS:
            close = difflib.get_close_matches(node.function, FUNCTIONS, n=1)
            fr_hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
            en_hint = f' Did you mean "{close[0]}"?' if close else ""
            fail("expr_unknown_function",
                 f"La fonction « {node.function} » est inconnue.{fr_hint} Fonctions possibles : "
                 f"{', '.join(FUNCTIONS)}.",
                 f'The function "{node.function}" is unknown.{en_hint} Possible functions: '
                 f"{', '.join(FUNCTIONS)}.", node.start + 1)
        if len(node.args) != 1:
            syntax(f"« {node.function} » prend exactement une valeur entre parenthèses.",
                   f'"{node.function}" takes exactly one value in parentheses.', node.start)
        arg = self.compile(node.args[0])
        if arg.type.kind not in ("array", "string", "date", "null", "any"):
            fr, en = _A[arg.type.kind]
            fail("expr_type", f"« len » compte les éléments d'une liste ou les caractères d'un "
                 f"texte, mais « {self.source(arg.node)} » est {fr}.",
                 f'"len" counts the elements of a list or the characters of a text, but '
                 f'"{self.source(arg.node)}" is {en}.', arg.node.start + 1)
        return _Typed(NUMBER, _length(arg.fn), node)

    def mismatch(self, node: Compare, left: _Typed, right: _Typed,
                 why: tuple[str, str]) -> NoReturn:
        (lfr, len_), (rfr, ren) = _A[left.type.kind], _A[right.type.kind]
        fail("expr_type", f"On ne peut pas comparer {lfr} ({self.source(left.node)}) à {rfr} "
             f"({self.source(right.node)}).{why[0]}",
             f"Cannot compare {len_} ({self.source(left.node)}) with {ren} "
             f"({self.source(right.node)}).{why[1]}", node.op_start + 1)

    def check_values(self, target: StaticType, field_node: Node, items: Iterable[Literal],
                     enums: bool = True) -> None:
        """Literal texts compared with a date must be dates, with an ``enum`` one of its values."""
        for item in items:
            value = item.value
            if not isinstance(value, str):
                continue
            if target.kind == "date" and not _is_date(value):
                fail("expr_type", f"« {value} » n'est pas une date : écrivez-la AAAA-MM-JJ, par "
                     f"exemple 2024-01-31.", f'"{value}" is not a date: write it YYYY-MM-DD, '
                     f"for example 2024-01-31.", item.start + 1)
            if enums and target.enum is not None and value not in target.enum:
                close = difflib.get_close_matches(value, target.enum, n=1)
                fr = f"La valeur « {value} » n'existe pas pour « {self.source(field_node)} »."
                en = f'The value "{value}" does not exist for "{self.source(field_node)}".'
                if close:
                    fr, en = fr + f" Vouliez-vous dire « {close[0]} » ?", \
                        en + f' Did you mean "{close[0]}"?'
                if len(target.enum) <= 20:
                    fr += f" Valeurs possibles : {', '.join(target.enum)}."
                    en += f" Possible values: {', '.join(target.enum)}."
                fail("expr_unknown_value", fr, en, item.start + 1)

    def check_pair(self, left: _Typed, right: _Typed, enums: bool = True) -> None:
        for target, other in ((left, right), (right, left)):
            if target.literal or not other.literal:
                continue
            if isinstance(other.node, ListLiteral):
                if target.type.kind == "array":
                    self.check_values(target.type.item or ANY, target.node, other.node.items,
                                      enums)
            elif isinstance(other.node, Literal):
                self.check_values(target.type, target.node, [other.node], enums)

    def compare(self, node: Compare) -> _Typed:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op in ("in", "not in"):
            return _Typed(BOOLEAN, self.membership(node, left, right), node)
        kinds = {left.type.kind, right.type.kind}
        if node.op in ("==", "!="):
            if not _compatible(left.type, right.type, left.literal, right.literal):
                self.mismatch(node, left, right, ("", ""))
            self.check_pair(left, right)
            norm = _equality_norm(left.type, right.type)
            return _Typed(BOOLEAN, _equality(left, right, norm, node.op == "!="), node)
        ordered = kinds - {"any"}
        same_kind = len(ordered) <= 1 and ordered <= {"number", "string", "date"}
        date_text = ordered == {"date", "string"} and _compatible(
            left.type, right.type, left.literal, right.literal)
        if not (same_kind or date_text):
            self.mismatch(node, left, right, (
                f" « {node.op} » compare deux nombres, deux textes ou deux dates.",
                f' "{node.op}" compares two numbers, two texts or two dates.'))
        self.check_pair(left, right, enums=False)
        norm = _number if "number" in ordered else _iso if "date" in ordered \
            else _text if "string" in ordered else _loose
        return _Typed(BOOLEAN, _ordering(_ORDER[node.op], left, right, norm), node)

    def membership(self, node: Compare, left: _Typed, right: _Typed) -> Evaluator:
        if right.type.kind not in ("array", "any"):
            fr, en = _A[right.type.kind]
            fail("expr_type", f"À droite de « {node.op} », il faut une liste (comme [\"a\", \"b\"])"
                 f" ou un nom de liste, mais « {self.source(right.node)} » est {fr}.",
                 f'The right side of "{node.op}" must be a list (like ["a", "b"]) or the name of '
                 f'a list, but "{self.source(right.node)}" is {en}.', node.op_start + 1)
        item = right.type.item or ANY
        if not _compatible(left.type, item, left.literal, right.literal):
            (lfr, len_), (ifr, ien) = _A[left.type.kind], _A[item.kind]
            fail("expr_type", f"On ne peut pas chercher {lfr} ({self.source(left.node)}) dans "
                 f"« {self.source(right.node)} » : chacun de ses éléments est {ifr}.",
                 f"Cannot look for {len_} ({self.source(left.node)}) in "
                 f'"{self.source(right.node)}": each of its elements is {ien}.',
                 node.op_start + 1)
        if isinstance(right.node, ListLiteral):
            self.check_values(left.type, left.node, right.node.items)
        if isinstance(left.node, Literal):
            self.check_values(item, right.node, [left.node])
        return _membership(left, right, _equality_norm(left.type, item), node.op == "not in")


def _is_date(text: str) -> bool:
    try:
        return bool(_ISO_DATE.fullmatch(text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False
