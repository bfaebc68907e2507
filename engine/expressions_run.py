"""Evaluation closures of the condition language (see :mod:`engine.expressions`).

This module holds only the run-time side: the functions that build the plain Python closures a
compiled expression runs, and the normalisers they use. It never parses nor type-checks: every
operand it receives has already been checked by :mod:`engine.expressions`, which also chooses the
normaliser, so evaluation only computes. The closures never raise on plain JSON data.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

Evaluator = Callable[[Mapping[str, Any]], Any]
Normalizer = Callable[[Any], Any]
_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class Operand(Protocol):
    """What a closure builder needs of a checked operand (``engine.expressions._Typed``)."""

    @property
    def fn(self) -> Evaluator: ...

    @property
    def literal(self) -> bool: ...

    @property
    def value(self) -> Any: ...


# Getters and normalisers: they never raise on plain JSON data.

def _getter(path: tuple[str, ...]) -> Evaluator:
    first, rest = path[0], path[1:]
    if not rest:
        return lambda values: values.get(first)

    def get(values: Mapping[str, Any]) -> Any:
        value = values.get(first)
        for key in rest:
            if value.__class__ is dict or isinstance(value, Mapping):
                value = value.get(key)
            else:
                return None
        return value
    return get


def _constant(value: Any) -> Evaluator:
    return lambda values: value


def _loose(value: Any) -> Any:
    """Floats become exact decimals so that ``0.1`` from JSON equals the literal ``0.1``."""
    return Decimal(repr(value)) if value.__class__ is float else value


def _number(value: Any) -> Any:
    """The value as an exact number, or None when it is not a number."""
    kind = value.__class__
    if kind is int or kind is Decimal:
        return value
    return Decimal(repr(value)) if kind is float else None


def _iso(value: Any) -> Any:
    """A date as its ``YYYY-MM-DD`` text, or None."""
    if value.__class__ is str:
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else None


def _iso_or_same(value: Any) -> Any:
    return value.isoformat()[:10] if isinstance(value, date) else value


def _text(value: Any) -> Any:
    return value if value.__class__ is str else None


def _plain_list(value: Any) -> Any:
    return [_loose(v) for v in value] if value.__class__ in (list, tuple) else value


# Closure builders: every decision is taken here, once, so that evaluation only computes.

def _and(fns: tuple[Evaluator, ...]) -> Evaluator:
    if len(fns) == 2:
        a, b = fns
        return lambda values: a(values) is True and b(values) is True

    def every(values: Mapping[str, Any]) -> bool:
        return all(fn(values) is True for fn in fns)
    return every


def _or(fns: tuple[Evaluator, ...]) -> Evaluator:
    if len(fns) == 2:
        a, b = fns
        return lambda values: a(values) is True or b(values) is True

    def some(values: Mapping[str, Any]) -> bool:
        return any(fn(values) is True for fn in fns)
    return some


def _not(fn: Evaluator) -> Evaluator:
    return lambda values: fn(values) is not True


def _negate(fn: Evaluator) -> Evaluator:
    def negate(values: Mapping[str, Any]) -> Any:
        number = _number(fn(values))
        return None if number is None else -number
    return negate


def _arith(first: Evaluator, rest: tuple[tuple[bool, Evaluator], ...]) -> Evaluator:
    def arith(values: Mapping[str, Any]) -> Any:
        total = _number(first(values))
        try:
            for subtract, fn in rest:
                number = _number(fn(values))
                if total is None or number is None:
                    return None
                total = total - number if subtract else total + number
        except ArithmeticError:  # infinity minus infinity, overflow
            return None
        return total
    return arith


def _length(fn: Evaluator) -> Evaluator:
    def length(values: Mapping[str, Any]) -> int:
        value = fn(values)
        return len(value) if value.__class__ in (str, list, tuple) else 0
    return length


def _equality(left: Operand, right: Operand, norm: Normalizer | None, negate: bool) -> Evaluator:
    if left.literal and not right.literal:
        left, right = right, left
    get = left.fn
    if right.literal:
        const = norm(right.value) if norm else right.value
        if const is None or const.__class__ is bool:
            if negate:
                return lambda values: get(values) is not const
            return lambda values: get(values) is const
        if norm is None:
            if negate:
                return lambda values: get(values) != const
            return lambda values: get(values) == const
        if negate:
            return lambda values: norm(get(values)) != const
        return lambda values: norm(get(values)) == const
    other, same = right.fn, norm or (lambda value: value)

    def equal(values: Mapping[str, Any]) -> bool:
        return bool(same(get(values)) == same(other(values))) is not negate
    return equal


def _ordering(compare: Callable[[Any, Any], Any], left: Operand, right: Operand,
              norm: Normalizer) -> Evaluator:
    get, other = left.fn, right.fn
    if right.literal:
        const = norm(right.value)

        def ordered_const(values: Mapping[str, Any]) -> bool:
            a = norm(get(values))
            if a is None or const is None:
                return False
            try:
                return bool(compare(a, const))
            except (TypeError, ArithmeticError):  # mismatched data, NaN
                return False
        return ordered_const

    def ordered(values: Mapping[str, Any]) -> bool:
        a, b = norm(get(values)), norm(other(values))
        if a is None or b is None:
            return False
        try:
            return bool(compare(a, b))
        except (TypeError, ArithmeticError):  # mismatched data, NaN
            return False
    return ordered


def _membership(left: Operand, right: Operand, norm: Normalizer | None,
                negate: bool) -> Evaluator:
    get, same = left.fn, norm or (lambda value: value)
    if right.literal:
        written = [same(v) for v in right.value]
        if all(isinstance(v, str) for v in written):
            strings = frozenset(written)

            def among_strings(values: Mapping[str, Any]) -> bool:
                value = same(get(values))
                return (value.__class__ is str and value in strings) is not negate
            return among_strings
        keys = frozenset((v.__class__ is bool, v) for v in written)

        def among(values: Mapping[str, Any]) -> bool:
            value = same(get(values))
            try:
                return ((value.__class__ is bool, value) in keys) is not negate
            except TypeError:  # a list or an object is never in a written list
                return negate
        return among
    sequence = right.fn

    def inside(values: Mapping[str, Any]) -> bool:
        items = sequence(values)
        if items.__class__ is not list and items.__class__ is not tuple:
            return negate
        value = same(get(values))
        if norm is None:
            return (value in items) is not negate
        return any(norm(item) == value for item in items) is not negate
    return inside
