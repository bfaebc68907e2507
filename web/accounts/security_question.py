"""The subscriber's security question: an employer or accounting firm chooses a question and
types its answer in its profile (ref 004, "Modification du profil": "Cliquez ici pour choisir la
question", "Saisissez la réponse à la question").

How the answer is kept and used. A security question is knowledge-based authentication, which
ASVS 4.0.3 2.5.2 [5.0: 6.4.2] wants absent and NIST SP 800-63B 5.1.1.2 refuses as a factor
(SECURITY.md 1.1): the answers are often public or guessable. The fund's profile has one, so the
question is kept, but:

* the answer is stored only as the argon2id hash of its folded form (:func:`folded_answer`:
  case, accents and spaces do not matter), like a password; it is never shown back, written to
  a log, a mail or a letter;
* nothing in the application asks for it: it opens no session, resets no password and lifts no
  lock. The manual itself never uses it: a forgotten password goes to the e-mail address
  validated in the "profil abonné" (ref 004, "Connexion"), or by post; lost identifiers are a
  call to the Service Recouvrement. :func:`answer_matches` is the one way to compare an answer
  (the registry import uses it to leave an unchanged answer alone); a staff check on the phone
  may use it one day, as one element among others, never alone;
* changing it requires the current password (:func:`web.accounts.service.set_security_question`).

Pure apart from the hash: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import unicodedata

from engine import Message
from web.accounts.policy import fold
from web.passwords import Passwords

QUESTION_MAX = 200
ANSWER_MIN, ANSWER_MAX = 3, 100
"""The answer's length: at least 3 characters besides spaces, at most 100 as typed (runs of
white space counted as one)."""

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _clean(text: str) -> str:
    """NFC, runs of white space as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _printable(text: str) -> bool:
    return not any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text)


def clean_question(text: str) -> str:
    """The question as it is stored and shown: white space tidied."""
    return _clean(text)


def folded_answer(answer: str) -> str:
    """What is hashed and compared: "Sainte DÉVOTE", " sainte dévote " and "saintedevote" are
    the same answer (case folded, accents and ligatures dropped, white space removed)."""
    return "".join(fold(unicodedata.normalize("NFC", answer)).split())


def question_problem(question: str) -> Message | None:
    """Why this question cannot be kept, or None."""
    text = _clean(question)
    if not text:
        return Message("Choisissez une question.", "Choose a question.")
    if len(text) > QUESTION_MAX or not _printable(text):
        return Message(
            f"La question doit tenir en {QUESTION_MAX} caractères, sans caractère invisible.",
            f"The question must fit in {QUESTION_MAX} characters, without invisible"
            " characters.")
    return None


def answer_problem(answer: str) -> Message | None:
    """Why this answer cannot be kept, or None."""
    if (len(_clean(answer)) > ANSWER_MAX or len(folded_answer(answer)) < ANSWER_MIN
            or not _printable(answer)):
        return Message(
            f"La réponse doit compter de {ANSWER_MIN} à {ANSWER_MAX} caractères, sans caractère"
            " invisible.",
            f"The answer must be {ANSWER_MIN} to {ANSWER_MAX} characters long, without"
            " invisible characters.")
    return None


def hash_answer(passwords: Passwords, answer: str) -> str:
    return passwords.hash(folded_answer(answer))


def answer_matches(passwords: Passwords, stored: str | None, answer: str) -> bool:
    """True when ``answer`` is the one hashed in ``stored`` (False when none is stored)."""
    return stored is not None and passwords.verify(stored, folded_answer(answer))
