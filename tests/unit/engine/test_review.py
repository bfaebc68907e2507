"""engine.review: the answers as the member reads them on the summary, the receipt and in the
back office. Option labels instead of codes, euros and dates written the local way, repeated items
numbered. French money follows CLDR ``fr``: U+202F (narrow no-break space) between thousands and
U+00A0 (no-break space) before the euro sign, so "18 000,00 €" never breaks across lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.definitions import Workflow
from engine.loading import load_definitions
from engine.review import ReviewLine, ReviewSection, display, money, review

NNBSP, NBSP = "\u202f", "\u00a0"

FULL = ["terms", "situation", "income_declarant", "income_spouse", "observations", "children",
        "summary"]
ANSWERS: dict[str, dict[str, Any]] = {
    "terms": {"accepted": True},
    "situation": {"code": "none"},
    "income_declarant": {"incomes": [
        {"category": "basic_pension", "amount": "18000", "months": 12},
        {"category": "complementary_pension", "amount": "6250,4", "months": 12},
    ], "total_months": 12},
    "income_spouse": {"incomes": [], "total_months": 0},
    "observations": {},
    "children": {"count": 1, "children": [
        {"first_name": "Léa", "birth_date": "2012-03-01", "regime": "csm"}]},
}

FRENCH = [
    ReviewSection("terms", "Conditions générales d'utilisation", (
        ReviewLine("J'ai lu et j'accepte les conditions générales d'utilisation", "Oui",
                   "/accepted"),)),
    ReviewSection("situation", "Situations particulières", (
        ReviewLine("Votre situation", "Aucune de ces situations : je remplis ma déclaration",
                   "/code"),)),
    ReviewSection("income_declarant", "Vos revenus", (
        ReviewLine("Revenu n° 1 — Catégorie de revenus", "Retraite de base",
                   "/incomes/0/category"),
        ReviewLine("Revenu n° 1 — Montant annuel (€)", f"18{NNBSP}000,00{NBSP}€",
                   "/incomes/0/amount"),
        ReviewLine("Revenu n° 1 — Nombre de mois", "12", "/incomes/0/months"),
        ReviewLine("Revenu n° 2 — Catégorie de revenus", "Retraite complémentaire",
                   "/incomes/1/category"),
        ReviewLine("Revenu n° 2 — Montant annuel (€)", f"6{NNBSP}250,40{NBSP}€",
                   "/incomes/1/amount"),
        ReviewLine("Revenu n° 2 — Nombre de mois", "12", "/incomes/1/months"),
        ReviewLine("Nombre total de mois de revenus", "12", "/total_months"),
    )),
    ReviewSection("income_spouse", "Les revenus de votre conjoint", (
        ReviewLine("Revenus perçus", "—", "/incomes"),
        ReviewLine("Nombre total de mois de revenus", "0", "/total_months"),
    )),
    ReviewSection("observations", "Observations facultatives", (
        ReviewLine("Vos observations", "—", "/text"),)),
    ReviewSection("children", "Les enfants à charge", (
        ReviewLine("Nombre d'enfants à charge de moins de 21 ans", "1", "/count"),
        ReviewLine("Enfant n° 1 — Prénom", "Léa", "/children/0/first_name"),
        ReviewLine("Enfant n° 1 — Date de naissance", "01/03/2012", "/children/0/birth_date"),
        ReviewLine("Enfant n° 1 — Régime de couverture sociale", "Caisses Sociales de Monaco",
                   "/children/0/regime"),
    )),
]

ENGLISH = [
    ReviewSection("terms", "Terms of use", (
        ReviewLine("I have read and accept the terms of use", "Yes", "/accepted"),)),
    ReviewSection("situation", "Special situations", (
        ReviewLine("Your situation", "None of these situations: I fill in my declaration",
                   "/code"),)),
    ReviewSection("income_declarant", "Your income", (
        ReviewLine("Income no. 1 — Kind of income", "Basic pension", "/incomes/0/category"),
        ReviewLine("Income no. 1 — Yearly amount (€)", "€18,000.00", "/incomes/0/amount"),
        ReviewLine("Income no. 1 — Number of months", "12", "/incomes/0/months"),
        ReviewLine("Income no. 2 — Kind of income", "Complementary pension",
                   "/incomes/1/category"),
        ReviewLine("Income no. 2 — Yearly amount (€)", "€6,250.40", "/incomes/1/amount"),
        ReviewLine("Income no. 2 — Number of months", "12", "/incomes/1/months"),
        ReviewLine("Total number of months with income", "12", "/total_months"),
    )),
    ReviewSection("income_spouse", "Your spouse's income", (
        ReviewLine("Income received", "—", "/incomes"),
        ReviewLine("Total number of months with income", "0", "/total_months"),
    )),
    ReviewSection("observations", "Optional remarks", (
        ReviewLine("Your remarks", "—", "/text"),)),
    ReviewSection("children", "Dependent children", (
        ReviewLine("Number of dependent children under 21", "1", "/count"),
        ReviewLine("Child no. 1 — First name", "Léa", "/children/0/first_name"),
        ReviewLine("Child no. 1 — Date of birth", "2012-03-01", "/children/0/birth_date"),
        ReviewLine("Child no. 1 — Social-coverage scheme", "Caisses Sociales de Monaco",
                   "/children/0/regime"),
    )),
]


@pytest.fixture(scope="module")
def wf() -> Workflow:
    result = load_definitions(str(Path(__file__).resolve().parents[3]))
    assert result.report.problems == []
    return result.current()["resource_declaration"]


@pytest.mark.parametrize(("lang", "expected"), [("fr", FRENCH), ("en", ENGLISH)])
def test_a_full_declaration_reads_right(wf: Workflow, lang: str,
                                        expected: list[ReviewSection]) -> None:
    assert review(wf, ANSWERS, FULL, lang) == expected


def test_french_money_reads_18_000_euros(wf: Workflow) -> None:
    sections = {s.step: s for s in review(wf, ANSWERS, FULL, "fr")}
    amount = sections["income_declarant"].lines[1].value
    assert amount == "18\u202f000,00\u00a0€"
    assert amount.replace(NNBSP, " ").replace(NBSP, " ") == "18 000,00 €"  # as it is read
    assert " " not in amount  # no ordinary space: the amount never breaks across lines


def test_only_the_steps_asked_for_and_answered_appear(wf: Workflow) -> None:
    special = {"terms": {"accepted": True}, "situation": {"code": "other_scheme"},
               "income_declarant": ANSWERS["income_declarant"]}  # left from an earlier choice
    sections = review(wf, special, ["terms", "situation", "summary"], "fr")
    assert [s.step for s in sections] == ["terms", "situation"]
    assert sections[1].lines == (ReviewLine(
        "Votre situation", "Je relève désormais d'un autre régime de sécurité sociale", "/code"),)
    assert review(wf, {}, FULL, "fr") == []


@pytest.mark.parametrize(("code", "fr", "en"), [
    ("none", "Aucune de ces situations : je remplis ma déclaration",
     "None of these situations: I fill in my declaration"),
    ("no_longer_resident", "Je ne réside plus à Monaco ni dans les communes limitrophes",
     "I no longer live in Monaco or a neighbouring town"),
    ("other_scheme", "Je relève désormais d'un autre régime de sécurité sociale",
     "I now belong to another social-security scheme"),
    ("income_paid_by_fund", "Tous les revenus du foyer sont versés par les Caisses Sociales de "
     "Monaco", "All the household's income is paid by the Caisses Sociales de Monaco"),
])
def test_each_situation_shows_its_label(wf: Workflow, code: str, fr: str, en: str) -> None:
    field = wf.forms["special_situation"].fields["code"]
    assert display(field, code, "fr") == fr
    assert display(field, code, "en") == en


@pytest.mark.parametrize(("raw", "fr", "en"), [
    ("18000", f"18{NNBSP}000,00{NBSP}€", "€18,000.00"),
    ("12345,50", f"12{NNBSP}345,50{NBSP}€", "€12,345.50"),
    ("12345.5", f"12{NNBSP}345,50{NBSP}€", "€12,345.50"),
    ("0", f"0,00{NBSP}€", "€0.00"),
    ("999", f"999,00{NBSP}€", "€999.00"),
    ("1000", f"1{NNBSP}000,00{NBSP}€", "€1,000.00"),
    ("999999999.99", f"999{NNBSP}999{NNBSP}999,99{NBSP}€", "€999,999,999.99"),
    ("abc", "abc", "abc"),  # not an amount: shown as typed rather than hidden
])
def test_money(raw: str, fr: str, en: str) -> None:
    assert money(raw, "fr") == fr
    assert money(raw, "en") == en


@pytest.mark.parametrize(("field", "value", "lang", "expected"), [
    pytest.param({"widget": "date"}, "2012-03-01", "fr", "01/03/2012", id="date fr"),
    pytest.param({"widget": "date"}, "2012-03-01", "en", "2012-03-01", id="date en"),
    pytest.param({"widget": "checkbox"}, True, "fr", "Oui", id="yes"),
    pytest.param({"widget": "checkbox"}, False, "fr", "Non", id="no"),
    pytest.param({"widget": "checkbox"}, False, "en", "No", id="no en"),
    pytest.param({"widget": "text"}, None, "fr", "—", id="unanswered"),
    pytest.param({"widget": "text"}, "", "en", "—", id="empty"),
    pytest.param({"widget": "number"}, 0, "fr", "0", id="zero is an answer"),
    pytest.param({"widget": "select", "options": {"a": {"fr": "Aa", "en": "Ab"}}}, "zz", "fr",
                 "zz", id="unknown option shown as is"),
])
def test_display(field: dict[str, Any], value: Any, lang: str, expected: str) -> None:
    assert display(field, value, lang) == expected


def test_repeated_items_are_numbered_from_one(wf: Workflow) -> None:
    lines = [{"category": c, "amount": "1", "months": 1}
             for c in ("salary", "self_employed", "unemployment", "basic_pension",
                       "complementary_pension", "invalidity_pension", "alimony", "other",
                       "salary", "salary", "salary", "salary")]
    data = {"income_declarant": {"incomes": lines, "total_months": 12}}
    [section] = review(wf, data, ["income_declarant"], "fr")
    labels = [line.label for line in section.lines if line.label.endswith("Catégorie de revenus")]
    assert labels == [f"Revenu n° {n} — Catégorie de revenus" for n in range(1, 13)]
    values = [line.value for line in section.lines if "Catégorie" in line.label][:8]
    assert values == ["Salaires", "Revenus d'activité non salariée", "Allocations chômage",
                      "Retraite de base", "Retraite complémentaire", "Pension d'invalidité",
                      "Pension alimentaire", "Autres revenus"]
    assert section.lines[-1] == ReviewLine("Nombre total de mois de revenus", "12",
                                           "/total_months")


def test_a_remark_is_shown_as_written(wf: Workflow) -> None:
    text = "<b>Retraité</b> & « ravi »\nligne 2"
    [section] = review(wf, {"observations": {"text": text}}, ["observations"], "en")
    assert section.lines == (ReviewLine("Your remarks", text, "/text"),)  # escaping is web's job
