"""Message templates of a workflow: the texts sent to members, with ``{placeholder}`` values.

A template is plain text: ``{receipt}`` is replaced by the receipt number, and so on. Only the
names of :data:`PLACEHOLDERS` exist; the checker refuses any other, so a typo is caught when the
definition is loaded, not when a member is notified. Braces are never evaluated: no attribute
access, no formatting language, nothing an analyst could use to reach the program's data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

PLACEHOLDERS: Mapping[str, str] = {
    "procedure": "the procedure's title",
    "receipt": "the submission's receipt number",
    "status": "the title of the state the submission entered",
    "comment": "the reason or comment staff gave with the action (empty when none)",
    "date": "the date of the change (filled by the web layer)",
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders(template: str) -> Iterator[str]:
    """The names between braces in ``template``, in order."""
    for found in _PLACEHOLDER.finditer(template):
        yield found.group(1)


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each known ``{name}`` replaced; anything else is left as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0))
                            if m.group(1) in PLACEHOLDERS else m.group(0), template)
