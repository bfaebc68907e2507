"""Password policy: the rules a new password must meet, as data (SECURITY.md AUTH-01, AUTH-02).

Pure: the standard library and ``engine.Message`` only, no Flask, no SQLAlchemy, no I/O apart
from reading ``common_passwords.txt`` once.

Two profiles, chosen by name from the settings (``PASSWORD_POLICY``, default
:data:`DEFAULT_POLICY`):

* ``fund_2024``, the fund's own rule: "7 or 8 characters and cannot contain the same character
  three times in a row" (ref 000, "Protecting your PIN code"; ref 001, "Protect My Password");
* ``recommended``: 15 to 128 characters and no composition rule (SECURITY.md 2.1: NIST SP
  800-63B rev 4 for a password used alone; ASVS 4.0.3 2.1.2 refuses more than 128).

Whatever the profile, the blocklist and the member's own data are always checked (the manuals
ask members to avoid "1234567 or QWERTY" and "your first name or your date of birth"); they are
not switches on purpose. Every rule is checked at once and each failure is one
:class:`Problem`, with a stable code and a French and English message.

How things are measured and compared:

* Length is the number of Unicode code points after NFC normalisation, so "é" typed as one
  character or as "e" plus a combining accent counts 1. A password is never cut: one that is too
  long is refused with ``too_long``.
* ``triple_repeat`` compares NFC code points exactly ("aaA" is not three times the same).
* Any letter of any script is accepted, and so are spaces (all Unicode space separators).
  Control, format, surrogate, private-use and unassigned characters, and line or paragraph
  separators, are refused (``not_printable``): they are invisible or cannot be typed again.
* The blocklist and the personal data are compared after *folding*: case-insensitive
  (``casefold``), accent-insensitive (NFKD with the combining marks dropped, "œ" as "oe"), so
  "AZERTY", "Azérty" and full-width "ａｚｅｒｔｙ" are all "azerty".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType

from engine import Message

DEFAULT_POLICY = "fund_2024"
BLOCKLIST_FILE = "common_passwords.txt"
MIN_CONTAINED = 3
"""A personal word this long or longer is refused anywhere in the password; a shorter one only
when it is the whole password (give or take appended digits and punctuation)."""
MIN_PREFIX = 7
"""A cut of a longer common password this long or longer is refused ("motdepas")."""
MIN_PATTERN = 4
"""Repetitions and sequences ("abab", "1234", "dcba") are refused from this length on."""

SERVICE_WORDS = ("monaco", "montecarlo", "caissessociales", "caissesociale")
"""The service's own name and place, refused anywhere in the password (NIST: context words)."""

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class Problem:
    """One rule the password fails: ``code`` is stable, ``message`` is for the person."""

    code: str
    message: Message


@dataclass(frozen=True)
class PersonalData:
    """What the member's password must not contain. Every field is optional."""

    identifier: str | None = None
    registration: str | None = None
    birth_date: date | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class PasswordPolicy:
    """Length bounds and the fund's repeat rule; blocklist and personal data always apply."""

    name: str
    min_length: int
    max_length: int
    forbid_triple_repeat: bool

    def __post_init__(self) -> None:
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError(f"password policy {self.name!r}: need 1 <= min_length <= "
                             f"max_length, got {self.min_length} and {self.max_length}")

    def check(self, password: str, context: PersonalData | None = None) -> list[Problem]:
        """Every rule ``password`` fails, in a fixed order; an empty list means accepted."""
        text = unicodedata.normalize("NFC", password)
        problems: list[Problem] = []
        if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text):
            problems.append(Problem("not_printable", _NOT_PRINTABLE))
        if len(text) < self.min_length:
            problems.append(Problem("too_short", _too_short(self.min_length, len(text))))
        if len(text) > self.max_length:
            problems.append(Problem("too_long", _too_long(self.max_length, len(text))))
        if self.forbid_triple_repeat and has_triple_repeat(text):
            problems.append(Problem("triple_repeat", _TRIPLE_REPEAT))
        if is_common(text):
            problems.append(Problem("common_password", _COMMON))
        if context is not None and contains_personal_data(text, context):
            problems.append(Problem("contains_personal_data", _PERSONAL))
        return problems

    def describe(self) -> Message:
        """The rules as one sentence, to show under the password field."""
        if self.min_length == self.max_length:
            fr = f"Exactement {self.min_length} caractères"
            en = f"Exactly {self.min_length} characters"
        else:
            fr = f"De {self.min_length} à {self.max_length} caractères"
            en = f"{self.min_length} to {self.max_length} characters"
        if self.forbid_triple_repeat:
            fr += ", sans le même caractère trois fois de suite"
            en += ", never the same character three times in a row"
        return Message(
            fr + ", ni mot de passe courant, ni donnée personnelle (identifiant, matricule, date "
                 "de naissance, prénom, nom). Il n'est jamais tronqué.",
            en + ", no common password and no personal data (identifier, registration number, "
                 "date of birth, first name, last name). It is never cut short.")


PROFILES: Mapping[str, PasswordPolicy] = MappingProxyType({
    "fund_2024": PasswordPolicy("fund_2024", 7, 8, forbid_triple_repeat=True),
    "recommended": PasswordPolicy("recommended", 15, 128, forbid_triple_repeat=False),
})


def policy(name: str) -> PasswordPolicy:
    """The profile called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown password policy {name!r}; known: {known}") from None


# --- the rules -----------------------------------------------------------------------------

def has_triple_repeat(text: str) -> bool:
    return any(text[i] == text[i + 1] == text[i + 2] for i in range(len(text) - 2))


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Œuvre-É" -> "oeuvre-e"."""
    lowered = text.casefold().replace("œ", "oe").replace("æ", "ae")
    return "".join(c for c in unicodedata.normalize("NFKD", lowered)
                   if not unicodedata.combining(c))


def squeeze(text: str) -> str:
    """Only the letters and digits: "03/09/1985" -> "03091985", "du-pont" -> "dupont"."""
    return "".join(c for c in text if c.isalnum())


def candidates(password: str) -> set[str]:
    """The forms of a password compared with the blocklist and short personal words.

    The folded password and the same without its trailing digits and punctuation
    ("azerty12!"), both as typed ("p@ssw0rd1") and with every character that is not a letter
    or digit removed ("azer ty!", "pass-word"). Leading decorations are not stripped: members
    append, and the rule stays easy to explain.
    """
    folded = fold(password)
    squeezed = squeeze(folded)
    forms = {folded, _strip_end(folded, str.isalpha), squeezed, _strip_end(squeezed, str.isalpha)}
    forms.discard("")
    return forms


def is_common(password: str) -> bool:
    """A common password (or a 7+ character cut of one), a simple pattern, or the service."""
    listed, cuts = blocklist()
    for form in candidates(password):
        if form in listed or (len(form) >= MIN_PREFIX and form in cuts) or is_pattern(form):
            return True
    squeezed = squeeze(fold(password))
    return any(word in squeezed for word in SERVICE_WORDS)


def is_pattern(form: str) -> bool:
    """One to three characters repeated ("aaaa", "abab", "123123") or a run ("abcd", "4321")."""
    if len(form) < MIN_PATTERN:
        return False
    for period in (1, 2, 3):
        if len(form) >= 2 * period and all(form[i] == form[i - period]
                                           for i in range(period, len(form))):
            return True
    steps = {ord(b) - ord(a) for a, b in zip(form, form[1:], strict=False)}
    return steps in ({1}, {-1})


def contains_personal_data(password: str, context: PersonalData) -> bool:
    """The member's identifier, registration number, birth date or names, folded."""
    long_words, short_words = personal_words(context)
    squeezed = squeeze(fold(password))
    if any(word in squeezed for word in long_words):
        return True
    return bool(short_words & candidates(password))


def personal_words(context: PersonalData) -> tuple[set[str], set[str]]:
    """(words refused anywhere, words refused as the whole password), squeezed and folded."""
    words: set[str] = set()
    if context.identifier:
        ident = context.identifier
        words |= _word_forms(ident.split("@", 1)[0] if "@" in ident else ident)
    for name in (context.registration, context.first_name, context.last_name):
        if name:
            words |= _word_forms(name)
    if context.birth_date is not None:
        words |= set(date_forms(context.birth_date))
    words.discard("")
    long_words = {w for w in words if len(w) >= MIN_CONTAINED}
    return long_words, words - long_words


def date_forms(day: date) -> Iterator[str]:
    """A birth date as members write it, compared with the password's letters and digits.

    The year alone (SECURITY.md AUTH-02: "1985"), which also refuses every form that holds it
    (03091985, 19850903, 03/09/1985, 03-09-1985, 1985-09-03, 3/9/1985, ...), then ddmmyy and
    yymmdd ("030985", "03.09.85", "850903"). Separators do not matter: they are squeezed out.
    """
    d, m, y = f"{day.day:02d}", f"{day.month:02d}", f"{day.year:04d}"
    yield from (y, d + m + y[2:], y[2:] + m + d)


def _word_forms(value: str) -> set[str]:
    folded = fold(value)
    parts = "".join(c if c.isalnum() else " " for c in folded).split()
    return {squeeze(folded), *parts}


def _strip_end(text: str, keep: Callable[[str], bool]) -> str:
    end = len(text)
    while end and not keep(text[end - 1]):
        end -= 1
    return text[:end]


@cache
def blocklist() -> tuple[frozenset[str], frozenset[str]]:
    """(folded entries, their cuts of 7+ characters), read once per process."""
    raw = resources.files("web.accounts").joinpath(BLOCKLIST_FILE).read_text(encoding="utf-8")
    entries = frozenset(fold(line.strip()) for line in raw.splitlines()
                        if line.strip() and not line.lstrip().startswith("#"))
    cuts = frozenset(e[:n] for e in entries for n in range(MIN_PREFIX, len(e)))
    return entries, cuts


# --- messages ------------------------------------------------------------------------------

def _n(count: int, fr: str, en: str) -> tuple[str, str]:
    return (f"{count} {fr}{'s' if count > 1 else ''}", f"{count} {en}{'s' if count != 1 else ''}")


def _too_short(minimum: int, actual: int) -> Message:
    need, has = _n(minimum, "caractère", "character"), _n(actual, "caractère", "character")
    return Message(f"Mot de passe trop court : il faut au moins {need[0]} (il en a {has[0]}).",
                   f"Password too short: at least {need[1]} needed (it has {has[1]}).")


def _too_long(maximum: int, actual: int) -> Message:
    most, has = _n(maximum, "caractère", "character"), _n(actual, "caractère", "character")
    return Message(f"Mot de passe trop long : {most[0]} au plus (il en a {has[0]}). Il n'est "
                   "jamais tronqué : raccourcissez-le.",
                   f"Password too long: at most {most[1]} (it has {has[1]}). It is never cut "
                   "short: please shorten it.")


_TRIPLE_REPEAT = Message(
    "Le mot de passe ne doit pas contenir le même caractère trois fois de suite.",
    "The password must not contain the same character three times in a row.")
_COMMON = Message(
    "Mot de passe trop courant ou trop facile à deviner : évitez les mots de passe connus "
    "(même suivis de chiffres), le nom du service, les suites et les répétitions.",
    "Password too common or too easy to guess: avoid well-known passwords (even followed by "
    "digits), the name of the service, sequences and repetitions.")
_PERSONAL = Message(
    "Le mot de passe ne doit pas contenir vos données personnelles : identifiant, matricule, "
    "date de naissance, prénom ou nom.",
    "The password must not contain your personal data: identifier, registration number, date "
    "of birth, first name or last name.")
_NOT_PRINTABLE = Message(
    "Le mot de passe contient un caractère invisible ou de contrôle (tabulation, retour à la "
    "ligne…), qui n'est pas accepté.",
    "The password contains an invisible or control character (tab, line break…), which is not "
    "accepted.")
