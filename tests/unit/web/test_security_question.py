"""The employer's security question (ref 004, "Modification du profil"): what the answer is
reduced to before it is hashed, and what a question and an answer must be."""

from __future__ import annotations

import pytest

from web.accounts.security_question import (
    ANSWER_MAX,
    QUESTION_MAX,
    answer_matches,
    answer_problem,
    clean_question,
    folded_answer,
    hash_answer,
    question_problem,
)
from web.passwords import Passwords


@pytest.mark.parametrize(("typed", "folded"), [
    ("Saint-Charles", "saint-charles"),            # case
    ("  Sainte DÉVOTE ", "saintedevote"),          # accents, spaces anywhere
    ("Sainte\u0301 Devote", "saintedevote"),       # a combining accent typed apart
    ("Œuvre", "oeuvre"),                           # ligature
    ("ＡＢＣ１２", "abc12"),                        # full-width letters and digits
    ("Ciao\tbella\n", "ciaobella"),                # any white space
])
def test_case_accents_and_spaces_do_not_matter(typed, folded):
    assert folded_answer(typed) == folded


@pytest.mark.parametrize(("answer", "ok"), [
    ("abc", True),
    ("a b", False),                  # 2 characters besides spaces
    ("   ", False),
    ("é" * ANSWER_MAX, True),
    ("x" * (ANSWER_MAX + 1), False),  # too long: refused, never cut
    ("abc\u200bdef", False),          # an invisible character
])
def test_answer_lengths(answer, ok):
    assert (answer_problem(answer) is None) is ok


@pytest.mark.parametrize(("question", "ok"), [
    ("Quel était le nom de votre première école ?", True),
    ("", False),
    ("   ", False),
    ("q" * QUESTION_MAX, True),
    ("q" * (QUESTION_MAX + 1), False),
    ("Ville\x00natale ?", False),
])
def test_question_lengths(question, ok):
    assert (question_problem(question) is None) is ok


def test_the_question_is_kept_tidy():
    assert clean_question("  Ville   natale\u00a0? ") == "Ville natale ?"


def test_the_answer_is_hashed_with_argon2id_and_compared_folded():
    passwords = Passwords("cheapest")
    stored = hash_answer(passwords, "Saint-Charles")
    assert stored.startswith("$argon2id$") and "charles" not in stored.casefold()
    assert answer_matches(passwords, stored, " SAINT-charles ")
    assert not answer_matches(passwords, stored, "Saint Charles")  # the hyphen counts
    assert not answer_matches(passwords, None, "Saint-Charles")
