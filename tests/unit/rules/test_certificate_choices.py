"""The choice lists of online certificate requests (ref 002, "Demandes en ligne"), on a small
catalogue written here and on the shipped one."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules import ChoiceInput, get_choice_list
from rules.certificates import fold, matches

CATALOGUE = (
    {"code": "medical_rights", "title": {"fr": "Attestation de droit aux prestations médicales",
                                         "en": "Certificate of entitlement to medical benefits"},
     "domain": "medical", "keywords": ["maladie"], "beneficiaries": ["member", "spouse", "child"],
     "populations": ["employee", "retiree", "other"]},
    {"code": "pension", "title": {"fr": "Attestation de pension", "en": "Pension certificate"},
     "domain": "pensions", "keywords": ["retraite"], "beneficiaries": ["member"],
     "populations": ["retiree"]},
    {"code": "no_family", "title": {"fr": "Attestation de non-paiement", "en": "No payment"},
     "domain": "family", "beneficiaries": ["member", "spouse"], "populations": ["employee"]},
)
PEOPLE = [{"id": "P1", "role": "member", "name": "Alain Dupont"},
          {"id": "P2", "role": "spouse", "name": "Claire Dupont"},
          {"id": "P3", "role": "child", "name": "Léa Dupont"}]


def run(name: str, params: dict[str, Any], people: list[dict[str, Any]] | None = None,
        catalogue: tuple[dict[str, Any], ...] = CATALOGUE) -> list[str]:
    given = ChoiceInput(params=params, context={"member": {"people": people or []}},
                        catalogues={"documents": catalogue}, today=date(2026, 11, 23))
    return [c.value for c in get_choice_list(name)(given)]


@pytest.mark.parametrize(("text", "folded"), [
    ("Médicales", "medicales"),
    ("MÉDICALES", "medicales"),
    ("Œuvre sociale", "oeuvre sociale"),
    ("l'étranger", "l etranger"),
    ("  arrêt   de  travail ", "arret de travail"),
    ("", ""),
])
def test_fold_removes_accents_capitals_and_punctuation(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(("query", "found"), [
    ("medicale", True),           # the example: "medicale" finds "médicales"
    ("MEDICALES", True),
    ("prestations medicales", True),
    ("médicales dentaire", False),  # every word must be found
    ("", True),
])
def test_every_word_of_the_query_must_be_found(query: str, found: bool) -> None:
    assert matches(query, ["Attestation de droit aux prestations médicales"]) is found


@pytest.mark.parametrize(("params", "expected"), [
    ({"domain": "medical", "population": "employee"}, ["medical_rights"]),
    ({"domain": "all", "population": "retiree"}, ["medical_rights", "pension"]),
    ({"domain": None, "population": "employee"}, ["medical_rights", "no_family"]),
    ({"domain": "all", "keyword": "RETRAITE", "population": "retiree"}, ["pension"]),
    ({"domain": "all", "keyword": "maladie", "population": "retiree"}, ["medical_rights"]),
    ({"domain": "all", "keyword": "pension certificate", "population": "retiree"}, ["pension"]),
    ({"domain": "all", "keyword": "nothing", "population": "retiree"}, []),
    ({"domain": "pensions", "population": "employee"}, []),       # retirees only
    ({"domain": "all", "population": None}, ["medical_rights"]),  # unknown: documents open to all
])
def test_requestable_documents(params: dict[str, Any], expected: list[str]) -> None:
    assert run("requestable_documents", params) == expected


@pytest.mark.parametrize(("document", "people", "expected"), [
    ("medical_rights", PEOPLE, ["P1", "P2", "P3"]),
    ("no_family", PEOPLE, ["P1", "P2"]),        # a child cannot be chosen
    ("pension", PEOPLE, ["P1"]),
    ("medical_rights", PEOPLE[:1], ["P1"]),     # no household: only themself
    ("unknown", PEOPLE, []),
    (None, PEOPLE, []),
])
def test_beneficiaries(document: str | None, people: list[dict[str, Any]],
                       expected: list[str]) -> None:
    assert run("beneficiaries", {"document": document}, people) == expected


def test_beneficiaries_are_labelled_with_their_place_in_the_household() -> None:
    given = ChoiceInput(params={"document": "medical_rights"}, context={"member": {
        "people": PEOPLE}}, catalogues={"documents": CATALOGUE}, today=date(2026, 11, 23))
    labels = [(c.fr, c.en) for c in get_choice_list("beneficiaries")(given)]
    assert labels == [("Alain Dupont (vous-même)", "Alain Dupont (yourself)"),
                      ("Claire Dupont (conjoint)", "Claire Dupont (spouse)"),
                      ("Léa Dupont (enfant)", "Léa Dupont (child)")]


def test_the_shipped_catalogue_offers_every_document_to_someone() -> None:
    root = Path(__file__).resolve().parents[3]
    shipped = tuple(yaml.safe_load((root / "catalogues/documents.yaml").read_text())["entries"])
    offered: set[str] = set()
    for population in ("employee", "self_employed", "retiree", "spouse", "other"):
        offered |= set(run("requestable_documents", {"domain": "all", "population": population},
                           catalogue=shipped))
    assert offered == {e["code"] for e in shipped}
