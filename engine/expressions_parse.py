"""Tokenizer and recursive-descent parser of the condition language.

The language itself is described in :mod:`engine.expressions`. This module turns text into a
small tree of frozen nodes and reports syntax errors (``expr_syntax``, ``expr_too_deep``,
``expr_too_long``); it knows nothing of JSON Schemas. Offsets in nodes are 0-based; every error
carries a 1-based column. The parser recurses only through parentheses, brackets, calls, ``not``
and unary minus, each of which counts toward :data:`MAX_DEPTH`, so the Python stack stays small
whatever the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn, TypeAlias

from engine.errors import ExpressionError, Message

MAX_LENGTH = 1000
"""Longest expression accepted, in characters."""
MAX_DEPTH = 32
"""Deepest nesting of parentheses, brackets, calls, ``not`` and unary minus."""

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "not in"})

LiteralValue: TypeAlias = int | Decimal | str | bool | None

_SPACE = re.compile(r"\s+")  # any Unicode space: non-breaking ones come with copy and paste
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "(", ")", "[", "]", ",")
_ESCAPES = frozenset({"\\", '"', "'"})
_HINTS = {
    "=": ("pour comparer, écrivez « == »", 'to compare, write "=="'),
    "&": ("écrivez « and »", 'write "and"'),
    "|": ("écrivez « or »", 'write "or"'),
    "!": ("écrivez « not » ou « != »", 'write "not" or "!="'),
    **dict.fromkeys("«»“”„‘’", ("entourez les textes de \" ou de '", "put texts between \" or '")),
}


def fail(code: str, fr: str, en: str, column: int) -> NoReturn:
    """Raise an :class:`ExpressionError` whose sentences end with the column."""
    raise ExpressionError(
        code, Message(f"{fr} (colonne {column})", f"{en} (column {column})"), column=column
    )


def syntax(fr: str, en: str, offset: int) -> NoReturn:
    fail("expr_syntax", fr, en, offset + 1)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number", "string", "name", "keyword", "op" or "end"
    text: str
    start: int
    end: int
    value: LiteralValue = None


@dataclass(frozen=True, slots=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: LiteralValue


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple[Literal, ...]


@dataclass(frozen=True, slots=True)
class Name(Node):
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class BoolOp(Node):
    op: str  # "and" or "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # one of COMPARISONS
    op_start: int
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Arith(Node):
    first: Node
    rest: tuple[tuple[str, int, Node], ...]  # (operator, its offset, operand)


@dataclass(frozen=True, slots=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos, size = 0, len(text)
    while pos < size:
        if match := _SPACE.match(text, pos):
            pos = match.end()
            continue
        char = text[pos]
        if char in "'\"":
            tokens.append(_string(text, pos))
        elif match := _NUMBER.match(text, pos):
            digits = match.group()
            value: LiteralValue = Decimal(digits) if "." in digits else int(digits)
            tokens.append(Token("number", digits, pos, match.end(), value))
        elif match := _NAME.match(text, pos):
            word = match.group()
            kind = "keyword" if word in KEYWORDS else "name"
            tokens.append(Token(kind, word, pos, match.end()))
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, pos)), None)
            if op is None:
                hint_fr, hint_en = _HINTS.get(char, ("", ""))
                char = char if char.isprintable() else f"U+{ord(char):04X}"
                syntax(f"Le caractère « {char} » n'est pas permis ici{' ; ' if hint_fr else ''}"
                       f"{hint_fr}.",
                       f'The character "{char}" is not allowed here{"; " if hint_en else ""}'
                       f"{hint_en}.", pos)
            tokens.append(Token("op", op, pos, pos + len(op)))
        pos = tokens[-1].end
    tokens.append(Token("end", "", size, size))
    return tokens


def _string(text: str, start: int) -> Token:
    quote, pos, chars = text[start], start + 1, list[str]()
    while pos < len(text):
        char = text[pos]
        if char == quote:
            return Token("string", text[start:pos + 1], start, pos + 1, "".join(chars))
        if char == "\\":
            escaped = text[pos + 1:pos + 2]
            if escaped not in _ESCAPES:
                syntax(f"Dans un texte, « \\{escaped} » n'est pas permis : seuls \\\\, \\\" et "
                       f"\\' le sont.",
                       f'In a text, "\\{escaped}" is not allowed: only \\\\, \\" and \\\' are.',
                       pos)
            chars.append(escaped)
            pos += 2
        else:
            chars.append(char)
            pos += 1
    syntax(f"Le texte qui commence par « {quote} » n'est jamais fermé : il manque le « {quote} » "
           f"de fin.", f"The text starting with {quote} is never closed: the final {quote} is "
           f"missing.", start)


def parse(text: str) -> Node:
    """Parse a whole expression; raise ``expr_syntax`` or ``expr_too_deep`` on bad input."""
    return _Parser(text, tokenize(text)).parse()


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text, self.tokens, self.index, self.depth = text, tokens, 0, 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, kind: str, text: str) -> bool:
        return self.token.kind == kind and self.token.text == text

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            fail("expr_too_deep",
                 f"La condition est trop imbriquée (plus de {MAX_DEPTH} niveaux de parenthèses, "
                 f"crochets, « not » ou « - ») : découpez-la.",
                 f"The condition is nested too deeply (more than {MAX_DEPTH} levels of "
                 f'parentheses, brackets, "not" or "-"): split it.', token.start + 1)

    def expect(self, text: str, fr: str, en: str) -> Token:
        if not self.at("op", text):
            self.unexpected(fr, en)
        return self.advance()

    def unexpected(self, fr: str, en: str) -> NoReturn:
        token = self.token
        if token.kind == "end":
            if not self.text.strip():
                syntax("La condition est vide.", "The condition is empty.", 0)
            syntax(f"La condition s'arrête trop tôt : il manque {fr}.",
                   f"The condition stops too early: {en} is missing.", token.start)
        syntax(f"On attendait {fr}, mais on trouve « {token.text} ».",
               f'Expected {en}, but found "{token.text}".', token.start)

    def parse(self) -> Node:
        node = self.parse_or()
        if self.token.kind != "end":
            rest = self.text[self.token.start:].strip()
            syntax(f"« {rest} » est en trop à la fin de la condition "
                   f"(manque-t-il « and » ou « or » ?).",
                   f'"{rest}" is left over at the end of the condition '
                   f'(is "and" or "or" missing?).',
                   self.token.start)
        return node

    def parse_or(self) -> Node:
        return self.parse_bool("or", self.parse_and)

    def parse_and(self) -> Node:
        return self.parse_bool("and", self.parse_not)

    def parse_bool(self, op: str, operand: Callable[[], Node]) -> Node:
        operands = [operand()]
        while self.at("keyword", op):
            self.advance()
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        return BoolOp(operands[0].start, operands[-1].end, op, tuple(operands))

    def parse_not(self) -> Node:
        if not self.at("keyword", "not"):
            return self.parse_comparison()
        token = self.advance()
        self.enter(token)
        operand = self.parse_not()
        self.depth -= 1
        return Not(token.start, operand.end, operand)

    def comparison_operator(self) -> Token | None:
        token = self.token
        if (token.kind == "op" and token.text in COMPARISONS) or self.at("keyword", "in"):
            return self.advance()
        if self.at("keyword", "not") and self.tokens[self.index + 1].text == "in":
            self.advance()
            end = self.advance().end
            return Token("op", "not in", token.start, end)
        return None

    def parse_comparison(self) -> Node:
        left = self.parse_sum()
        op = self.comparison_operator()
        if op is None:
            return left
        right = self.parse_sum()
        if (extra := self.comparison_operator()) is not None:
            syntax("Les comparaisons ne s'enchaînent pas (comme « a < b < c ») : "
                   "écrivez « a < b and b < c ».",
                   'Comparisons cannot be chained (like "a < b < c"): write "a < b and b < c".',
                   extra.start)
        return Compare(left.start, right.end, op.text, op.start, left, right)

    def parse_sum(self) -> Node:
        first = self.parse_unary()
        rest: list[tuple[str, int, Node]] = []
        while self.token.kind == "op" and self.token.text in ("+", "-"):
            op = self.advance()
            rest.append((op.text, op.start, self.parse_unary()))
        if not rest:
            return first
        return Arith(first.start, rest[-1][2].end, first, tuple(rest))

    def parse_unary(self) -> Node:
        if not self.at("op", "-"):
            return self.parse_primary()
        token = self.advance()
        if self.token.kind == "number":
            number = self.advance()
            assert isinstance(number.value, int | Decimal)
            return Literal(token.start, number.end, -number.value)
        self.enter(token)
        operand = self.parse_unary()
        self.depth -= 1
        return Negate(token.start, operand.end, operand)

    def parse_primary(self) -> Node:
        token = self.token
        if token.kind in ("number", "string"):
            self.advance()
            return Literal(token.start, token.end, token.value)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self.advance()
            return Literal(token.start, token.end, {"true": True, "false": False}.get(token.text))
        if token.kind == "name":
            return self.parse_name()
        if self.at("op", "["):
            return self.parse_list()
        if self.at("op", "("):
            self.enter(self.advance())
            node = self.parse_or()
            self.expect(")", "une parenthèse fermante « ) »", 'a closing parenthesis ")"')
            self.depth -= 1
            return node
        self.unexpected("une valeur, un nom ou « ( »", 'a value, a name or "("')

    def parse_name(self) -> Node:
        token = self.advance()
        parts = tuple(token.text.split("."))
        if any(part.startswith("_") for part in parts):
            syntax(f"Le nom « {token.text} » est interdit : aucun nom ne commence par « _ ».",
                   f'The name "{token.text}" is not allowed: no name starts with "_".',
                   token.start)
        if not self.at("op", "("):
            return Name(token.start, token.end, parts)
        self.enter(self.advance())
        args: list[Node] = []
        while not self.at("op", ")"):
            args.append(self.parse_or())
            if not self.at("op", ")"):
                self.expect(",", "une virgule ou « ) »", 'a comma or ")"')
        end = self.advance().end
        self.depth -= 1
        return Call(token.start, end, token.text, tuple(args))

    def parse_list(self) -> Node:
        start = self.advance()
        self.enter(start)
        items: list[Literal] = []
        while not self.at("op", "]"):
            item = self.parse_unary()
            if not isinstance(item, Literal):
                syntax("Une liste ne contient que des valeurs écrites telles quelles (nombres, "
                       "textes, true, false, null).",
                       "A list holds only values written as such (numbers, texts, true, false, "
                       "null).", item.start)
            items.append(item)
            if not self.at("op", "]"):
                self.expect(",", "une virgule ou « ] »", 'a comma or "]"')
        end = self.advance().end
        self.depth -= 1
        return ListLiteral(start.start, end, tuple(items))
