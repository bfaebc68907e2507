"""Online requests for certificates and documents (ref 002, "Demandes en ligne").

"Vous pourrez accéder à un choix d'attestations ou de documents selon le domaine que vous aurez
sélectionné directement ou par un mot clé", then "choisir un bénéficiaire autre que l'ouvreur de
droit (conjoint, enfant…)". The documents are data (``catalogues/documents.yaml``); these choice
lists only filter them, and the household's people, for one member.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from rules.choices import Choice, ChoiceInput, choice_list

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")

_ROLE_WORDS = {
    "member": ("vous-même", "yourself"),
    "spouse": ("conjoint", "spouse"),
    "child": ("enfant", "child"),
}


def fold(text: str) -> str:
    """``text`` for comparison: no accents, no capitals, words separated by single spaces.

    "Médicales" and "medicales" fold alike; "Œuvre" gives "oeuvre"; punctuation separates words.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub(" ", bare).strip()


def matches(query: str, haystack: Iterable[str]) -> bool:
    """Every word of ``query`` appears (as a part of a word) somewhere in ``haystack``."""
    words = fold(query).split()
    folded = " ".join(fold(text) for text in haystack)
    return all(word in folded for word in words)


def _entries(given: ChoiceInput) -> tuple[Mapping[str, Any], ...]:
    return given.catalogues.get("documents", ())


@choice_list("requestable_documents")
def requestable_documents(given: ChoiceInput) -> list[Choice]:
    """The catalogue's documents this member may request, in the catalogue's order.

    Parameters: ``domain`` (a catalogue domain, or ``all``/empty for every domain), ``keyword``
    (words found in the title, either language, or the keywords; accents and capitals do not
    matter; empty for no filter) and ``population`` (the member's population: a document lists
    the populations that may request it; an unknown population gets only the documents open to
    ``other``).
    """
    domain = given.params.get("domain")
    keyword = given.params.get("keyword") or ""
    population = given.params.get("population") or "other"
    found = []
    for entry in _entries(given):
        if domain not in (None, "", "all") and entry.get("domain") != domain:
            continue
        if population not in entry.get("populations", ()):
            continue
        title = entry["title"]
        if keyword and not matches(keyword, [title["fr"], title["en"],
                                             *entry.get("keywords", ())]):
            continue
        found.append(Choice(entry["code"], title["fr"], title["en"]))
    return found


@choice_list("beneficiaries")
def beneficiaries(given: ChoiceInput) -> list[Choice]:
    """Who the chosen document may be about, among the member's household.

    Parameter ``document``: a catalogue code. The people come from the host's ``member.people``
    (the member first, then spouse and children); a document lists the roles it allows
    (``member``, ``spouse``, ``child``). An unknown document allows no one. A member without a
    household sees only themself.
    """
    code = given.params.get("document")
    entry = next((e for e in _entries(given) if e.get("code") == code), None)
    if entry is None:
        return []
    allowed = set(entry.get("beneficiaries", ()))
    member = given.context.get("member") or {}
    found = []
    for person in member.get("people") or ():
        role = person.get("role")
        if role not in allowed or role not in _ROLE_WORDS:
            continue
        fr, en = _ROLE_WORDS[role]
        found.append(Choice(str(person["id"]), f"{person['name']} ({fr})",
                            f"{person['name']} ({en})"))
    return found


from calendar import monthrange  # noqa: E402 - appended with entitlement_period
from datetime import date  # noqa: E402


def entitlement_period(issued: date) -> tuple[date, date]:
    """The period an attestation of entitlement (``generated: rights_attestation``) covers: from
    the day of issue to the last day of the third month after.

    Issued on 23 November 2026, it runs to 28 February 2027; issued on 31 January, to 30 April.
    """
    month = issued.month + 3
    year, month = issued.year + (month - 1) // 12, (month - 1) % 12 + 1
    return issued, date(year, month, monthrange(year, month)[1])
