"""The engine's one exception family.

Every error carries a stable ``code`` and a :class:`Message` in French and English, so the web
layer (``web/errors.py``) can turn it into a page or a problem+json body without guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """A sentence for a person, in both languages the fund serves."""

    fr: str
    en: str

    def text(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    code: str = "engine_error"

    def __init__(self, code: str, message: Message, **fields: Any) -> None:
        super().__init__(f"{code}: {message.en}")
        self.code = code
        self.message = message
        self.fields: Mapping[str, Any] = fields


class YamlError(EngineError):
    """A YAML document that cannot be read safely. ``line`` and ``column`` are 1-based."""

    def __init__(self, code: str, message: Message, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(code, message, line=line, column=column)
        self.line = line
        self.column = column


class ExpressionError(EngineError):
    """A condition that does not parse or does not type-check. ``column`` is 1-based."""

    def __init__(self, code: str, message: Message, column: int | None = None) -> None:
        super().__init__(code, message, column=column)
        self.column = column


@dataclass(frozen=True)
class FieldError:
    """One problem with submitted step data, at a JSON Pointer into that data."""

    path: str
    code: str
    message: Message
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self, lang: str = "fr") -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message.text(lang)}
