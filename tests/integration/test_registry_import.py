"""Registry import (DESIGN "Runtime", "Accounts and subscription"): the demo file, idempotent
re-imports, every problem reported at once with pointer and line, nothing written on a problem,
argon2id hashes only. On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from web.accounts.security_question import answer_matches
from web.db.migrate import upgrade
from web.db.models import Account, Campaign, CampaignRecipient, Household, Person
from web.db.session import make_engine
from web.passwords import Passwords
from web.registry import (
    RegistryError,
    RegistryProblem,
    check_registry,
    import_registry,
    load_registry_file,
    member_identifier,
)
from web.registry.loading import JSON_MAX_BYTES

DEMO = Path(__file__).resolve().parents[2] / "demo" / "registry.yaml"
DEMO_PASSWORDS = {"002490-12051960": "Moulins7", "123456-03091985": "Condam1n",
                  "654321-21011970": "Larvott0", "210987-17041990": "Ostende4",
                  "agent.immat": "Imm4tric", "300125": "Fournil5", "300781": "Bilan7rz"}
DEMO_ANSWER = "Saint-Charles"  # the demo employer's security answer (stored only as a hash)
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = [pytest.param("sqlite", id="sqlite")] + (
    [pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg)] if PG_URL else [])
TABLES = {"households": Household, "persons": Person, "campaigns": Campaign,
          "recipients": CampaignRecipient, "accounts": Account}


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords("cheapest")


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database (SQLite, or PostgreSQL in CI: see tests/conftest.py)."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=db, expire_on_commit=False)


def row_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {name: s.scalar(select(func.count()).select_from(model)) or 0
                for name, model in TABLES.items()}


def run_import(sessions: sessionmaker[Session], data: Any, passwords: Passwords) -> Any:
    with sessions.begin() as s:
        return import_registry(s, data, passwords)


def located(problems: list[RegistryProblem]) -> set[tuple[str, str, int | None]]:
    return {(p.code, p.pointer, p.line) for p in problems}


# --- the demo file --------------------------------------------------------------------------

def test_the_demo_file_imports_with_its_counts(sessions, passwords):
    summary = run_import(sessions, load_registry_file(DEMO), passwords)

    assert summary.as_dict() == {
        "households": {"created": 4, "updated": 0, "unchanged": 0},
        "persons": {"created": 7, "updated": 0, "unchanged": 0},
        "campaigns": {"created": 1, "updated": 0, "unchanged": 0},
        "recipients": {"created": 3, "updated": 0, "unchanged": 0},
        "accounts": {"created": 7, "updated": 0, "unchanged": 0},
        **{kind: {"created": 0, "updated": 0, "unchanged": 0} for kind in (
            "employers", "clients", "employees", "employments", "statements")},
    }
    with sessions() as s:
        accounts = {a.identifier: a for a in s.scalars(select(Account))}
        recipients = {r.household_id: r.children_section
                      for r in s.scalars(select(CampaignRecipient))}
        campaign = s.get(Campaign, "RD-2026")
        claire = s.get(Person, "P-0002")
    assert set(accounts) == set(DEMO_PASSWORDS)
    assert all(passwords.verify(accounts[i].password_hash, pw) for i, pw in DEMO_PASSWORDS.items())
    lucie = accounts.pop("210987-17041990")  # as the letter leaves her: no e-mail, to change
    assert (lucie.email, lucie.email_validated, lucie.must_change_password) == (None, False, True)
    assert all(a.email_validated and not a.must_change_password for a in accounts.values())
    assert accounts["agent.immat"].kind == "staff"
    assert accounts["agent.immat"].roles == ["immatriculation"]
    assert accounts["002490-12051960"].display_name == "Alain Dupont"
    bakery, firm = accounts["300125"], accounts["300781"]
    assert (bakery.kind, bakery.display_name, firm.kind, firm.display_name) == (
        "employer", "Boulangerie du Rocher", "employer", "Fiduciaire Azur Conseil")
    assert bakery.security_question == "Quel était le nom de votre première école ?"
    assert answer_matches(passwords, bakery.security_answer_hash, DEMO_ANSWER)
    assert (firm.security_question, firm.security_answer_hash) == (None, None)
    assert all(a.security_question is None for a in accounts.values() if a.kind != "employer")
    # Dupont with the children section, Rossi without, Martin (H-0003) not sent the questionnaire
    assert recipients == {"H-0001": True, "H-0002": False, "H-0004": False}
    assert campaign is not None and (campaign.workflow, campaign.year) == (
        "resource_declaration", 2025)
    assert (campaign.opens_on, campaign.closes_on, campaign.reference_date) == (
        date(2026, 11, 1), date(2027, 2, 28), date(2026, 1, 1))
    assert claire is not None and (claire.household_id, claire.household_role) == (
        "H-0001", "spouse")


def test_reimporting_the_same_file_creates_and_updates_nothing(sessions, passwords):
    run_import(sessions, load_registry_file(DEMO), passwords)
    with sessions() as s:
        hashes = {i: (h, a) for i, h, a in s.execute(select(
            Account.identifier, Account.password_hash, Account.security_answer_hash))}
    before = row_counts(sessions)

    summary = run_import(sessions, load_registry_file(DEMO), passwords)

    assert (summary.created, summary.updated) == (0, 0)
    assert summary.persons.unchanged == 7 and summary.accounts.unchanged == 7
    assert row_counts(sessions) == before
    with sessions() as s:
        assert {i: (h, a) for i, h, a in s.execute(select(
            Account.identifier, Account.password_hash, Account.security_answer_hash))} == hashes


def test_a_changed_entry_is_updated_in_place(sessions, passwords):
    data = dict(load_registry_file(DEMO))
    run_import(sessions, data, passwords)
    changed = json.loads(json.dumps(data))
    changed["households"][1]["address"]["lines"] = ["7 avenue de la Costa"]
    changed["accounts"][1]["password"] = "Costa12b"

    summary = run_import(sessions, changed, passwords)

    assert summary.created == 0
    assert (summary.households.updated, summary.accounts.updated) == (1, 1)
    with sessions() as s:
        rossi = s.scalars(select(Account).where(Account.identifier == "123456-03091985")).one()
        household = s.get(Household, "H-0002")
    assert passwords.verify(rossi.password_hash, "Costa12b")
    assert household is not None and household.address["lines"] == ["7 avenue de la Costa"]


def test_the_import_never_commits(sessions, passwords):
    with sessions() as s:
        import_registry(s, load_registry_file(DEMO), passwords)
        s.rollback()
    assert set(row_counts(sessions).values()) == {0}


# --- problems: all at once, located, nothing written ----------------------------------------

BAD_YAML = """\
households:
  - id: H-1
    address: {lines: ["1 rue Grimaldi"], postcode: "98000", city: Monaco}
persons:
  - id: P-1
    registration: "002490"
    birth_date: "1960-02-30"
    first_name: Alain
    last_name: Dupont
    household: H-9
    colour: blue
  - id: P-1
    registration: "123456"
    birth_date: "1985-09-03"
    first_name: Marie
    last_name: Rossi
campaigns:
  - id: RD-2026
    workflow: resource_declaration
    year: 2025
    opens_on: "2026-11-01"
    closes_on: "2026-02-28"
    reference_date: "2026-01-01"
    recipients: [{household: H-1}, {household: H-7}]
accounts:
  - identifier: agent.immat
    kind: staff
    password: "Imm4tric"
  - identifier: agent.immat
    kind: staff
    password: "Imm4tric"
"""


def test_a_bad_yaml_file_gives_every_problem_with_its_line_and_writes_nothing(
        sessions, passwords, tmp_path):
    run_import(sessions, load_registry_file(DEMO), passwords)
    before = row_counts(sessions)
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_YAML, encoding="utf-8")

    with pytest.raises(RegistryError) as caught, sessions.begin() as s:
        import_registry(s, load_registry_file(path), passwords)

    problems = caught.value.problems
    assert located(problems) >= {
        ("invalid_format", "/persons/0/birth_date", 7),
        ("unknown_household", "/persons/0/household", 10),
        ("unknown_key", "/persons/0/colour", 11),
        ("duplicate_id", "/persons/1/id", 12),
        ("campaign_dates", "/campaigns/0/closes_on", 22),
        ("unknown_household", "/campaigns/0/recipients/1/household", 24),
        ("duplicate_identifier", "/accounts/1/identifier", 29),
    }
    assert all(p.file == str(path) for p in problems)
    assert row_counts(sessions) == before
    by_code = {p.code: p for p in reversed(problems)}  # the first of each code
    assert by_code["unknown_household"].message.fr.startswith("Le foyer « H-9 » n'existe ni")
    assert by_code["unknown_household"].message.en.startswith("The household “H-9” exists")
    assert "1960-02-30" in by_code["invalid_format"].message.en
    assert "Did you mean" not in by_code["unknown_key"].message.en
    assert by_code["unknown_key"].as_text("en").startswith(f"{path}:11:")


def test_a_bad_json_file_gives_every_problem_with_its_pointer(sessions, passwords, tmp_path):
    data = {
        "persons": [
            {"id": "P-1", "registration": "002490", "birth_date": "1960-13-01",
             "first_name": "Alain", "last_name": "Dupont", "household": "H-9",
             "birthdate": "1960-01-01"},
            {"id": "P-1", "registration": "2490", "birth_date": "1960-05-12",
             "first_name": "Alain", "last_name": "Dupont"}],
        "accounts": [{"person": "P-404", "password": "Moulins7"}],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(RegistryError) as caught, sessions.begin() as s:
        import_registry(s, load_registry_file(path), passwords)

    assert located(caught.value.problems) == {
        ("invalid_format", "/persons/0/birth_date", None),
        ("unknown_household", "/persons/0/household", None),
        ("unknown_key", "/persons/0/birthdate", None),
        ("duplicate_id", "/persons/1/id", None),
        ("unknown_person", "/accounts/0/person", None),
    }
    hint = next(p for p in caught.value.problems if p.code == "unknown_key")
    assert "Vouliez-vous dire « birth_date » ?" in hint.message.fr
    assert set(row_counts(sessions).values()) == {0}


def test_references_resolve_in_the_database_when_a_session_is_given(sessions, passwords):
    run_import(sessions, load_registry_file(DEMO), passwords)
    newcomer = {"persons": [{"id": "P-0100", "registration": "777001", "birth_date": "2024-06-01",
                             "first_name": "Léa", "last_name": "Dupont", "household": "H-0001",
                             "role": "child"}],
                "accounts": [{"person": "P-0005", "password": "Condam1n",
                              "email": "marie.rossi@example.mc", "email_validated": True,
                              "must_change_password": False}]}

    assert located(check_registry(newcomer)) == {
        ("unknown_household", "/persons/0/household", None),
        ("unknown_person", "/accounts/0/person", None)}
    with sessions() as s:
        assert check_registry(newcomer, s) == []
    summary = run_import(sessions, newcomer, passwords)
    assert (summary.persons.created, summary.accounts.unchanged) == (1, 1)


def test_an_identifier_held_by_another_person_is_not_reassigned(sessions, passwords):
    run_import(sessions, load_registry_file(DEMO), passwords)
    twin = {"persons": [{"id": "P-0200", "registration": "002490", "birth_date": "1960-05-12",
                         "first_name": "Alain", "last_name": "Homonyme"}],
            "accounts": [{"person": "P-0200", "password": "Moulins8"}]}

    with pytest.raises(RegistryError) as caught, sessions.begin() as s:
        import_registry(s, twin, passwords)

    assert located(caught.value.problems) == {("identifier_taken", "/accounts/0/person", None)}


# --- passwords and identifiers --------------------------------------------------------------

def test_passwords_are_stored_as_argon2id_and_never_in_clear(sessions, passwords):
    run_import(sessions, load_registry_file(DEMO), passwords)
    with sessions() as s:
        hashes = s.scalars(select(Account.password_hash)).all()
        answers = s.scalars(select(Account.security_answer_hash)
                            .where(Account.security_answer_hash.is_not(None))).all()
        dump = repr([tuple(row) for model in TABLES.values()
                     for row in s.execute(select(*model.__table__.columns))])
    assert len(hashes) == 7 and len(answers) == 1
    assert all(h.startswith("$argon2id$") for h in [*hashes, *answers])
    for secret in [*DEMO_PASSWORDS.values(), DEMO_ANSWER, "saint-charles", "saintcharles"]:
        assert secret not in dump.casefold() and secret not in dump


@pytest.mark.parametrize(("registration", "birth", "identifier"), [
    ("002490", date(1960, 5, 12), "002490-12051960"),   # leading zeros kept
    ("123456", date(1985, 9, 3), "123456-03091985"),    # day and month on two digits
    ("4321", date(2001, 12, 31), "4321-31122001"),      # four-digit registration
])
def test_member_identifier_is_registration_dash_ddmmyyyy(registration, birth, identifier):
    assert member_identifier(registration, birth) == identifier


def test_imported_member_identifier_is_derived(sessions, passwords):
    run_import(sessions, load_registry_file(DEMO), passwords)
    with sessions() as s:
        account = s.scalars(select(Account).where(Account.person_id == "P-0001")).one()
    assert (account.identifier, account.kind) == ("002490-12051960", "member")


# --- reading files ----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "code"), [
    ("nan.json", '{"campaigns": [{"year": NaN}]}', "json_number"),
    ("inf.json", '{"campaigns": [{"year": -Infinity}]}', "json_number"),
    ("huge.json", '{"campaigns": [{"year": 1e999}]}', "json_number"),
    ("twice.json", '{"persons": [], "persons": []}', "json_duplicate_key"),
    ("syntax.json", '{"persons": [}', "json_syntax"),
    ("list.json", "[]", "not_a_mapping"),
    ("list.yaml", "- id: H-1\n", "not_a_mapping"),
    ("alias.yaml", "households: &h []\npersons: *h\n", "yaml_alias"),
    ("dupkey.yaml", "persons: []\npersons: []\n", "yaml_duplicate_key"),
    ("registry.txt", "persons: []\n", "file_type"),
])
def test_unreadable_files_are_refused_with_one_problem(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry_file(path)
    assert [p.code for p in caught.value.problems] == [code]
    assert caught.value.problems[0].file == str(path)


def test_a_json_file_over_20_mib_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.json"
    with path.open("wb") as stream:
        stream.truncate(JSON_MAX_BYTES + 1)  # sparse: nothing is actually written
    with pytest.raises(RegistryError) as caught:
        load_registry_file(path)
    assert [p.code for p in caught.value.problems] == ["json_too_large"]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path):
    with pytest.raises(RegistryError) as caught:
        load_registry_file(tmp_path / "absent.yaml")
    assert [p.code for p in caught.value.problems] == ["file_unreadable"]


def test_yaml_and_json_give_the_same_data(tmp_path):
    document = load_registry_file(DEMO)
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(dict(document)), encoding="utf-8")
    assert dict(load_registry_file(path)) == dict(document)
    assert document.position("/persons/0/registration") is not None
    assert load_registry_file(path).position("/persons/0/registration") is None


# --- the persons' civil status, population and awaited documents (migration 0007) -----------


def test_the_demo_persons_have_their_civil_status_and_population(sessions, passwords):
    run_import(sessions, load_registry_file(DEMO), passwords)
    with sessions() as s:
        people = {p.id: p for p in s.scalars(select(Person))}
    alain, claire, paul = people["P-0001"], people["P-0002"], people["P-0006"]
    assert (alain.sex, alain.birth_place, alain.nationality, alain.marital_status,
            alain.population, alain.awaiting_documents) == (
        "M", "Monaco", "monégasque", "married", "employee", False)
    assert (claire.population, claire.marital_status) == ("spouse", "married")
    assert (people["P-0005"].population, people["P-0005"].marital_status) == (
        "self_employed", "single")
    assert (paul.population, paul.marital_status, paul.awaiting_documents) == (
        "retiree", "widowed", True)
    assert people["P-0007"].population == "employee"
    assert {people[c].population for c in ("P-0003", "P-0004")} == {None}  # the children
    assert all(p.sex in ("F", "M") and p.birth_place and p.nationality for p in people.values())


def test_a_changed_civil_status_is_updated_and_a_left_out_one_is_emptied(sessions, passwords):
    data = json.loads(json.dumps(dict(load_registry_file(DEMO))))
    run_import(sessions, data, passwords)
    paul = next(p for p in data["persons"] if p["id"] == "P-0006")
    paul["awaiting_documents"] = False  # the documents came
    del paul["nationality"]  # the registry no longer knows it

    summary = run_import(sessions, data, passwords)

    assert (summary.persons.updated, summary.persons.unchanged) == (1, 6)
    with sessions() as s:
        row = s.get(Person, "P-0006")
        assert row is not None and (row.awaiting_documents, row.nationality) == (False, None)
    again = run_import(sessions, data, passwords)
    assert (again.created, again.updated) == (0, 0)


def test_a_person_without_the_new_fields_is_imported_with_none_and_false(sessions, passwords):
    run_import(sessions, {"persons": [{"id": "P-1", "registration": "1234",
                                       "birth_date": "1980-01-02", "first_name": "Ana",
                                       "last_name": "Lopez"}]}, passwords)
    with sessions() as s:
        row = s.get(Person, "P-1")
    assert row is not None
    assert (row.sex, row.birth_place, row.nationality, row.marital_status, row.population,
            row.awaiting_documents) == (None, None, None, None, None, False)


def test_bad_civil_status_values_are_refused_with_a_clear_message(sessions, passwords):
    data = {"persons": [{"id": "P-1", "registration": "1234", "birth_date": "1980-01-02",
                         "first_name": "Ana", "last_name": "Lopez", "sex": "X",
                         "marital_status": "engaged", "population": "student",
                         "awaiting_documents": "yes", "birth_place": "",
                         "nationality": "n" * 81}]}

    with pytest.raises(RegistryError) as caught, sessions.begin() as s:
        import_registry(s, data, passwords)

    problems = {p.pointer: p for p in caught.value.problems}
    assert {(p.code, pointer) for pointer, p in problems.items()} == {
        ("invalid_value", "/persons/0/sex"), ("invalid_value", "/persons/0/marital_status"),
        ("invalid_value", "/persons/0/population"),
        ("wrong_type", "/persons/0/awaiting_documents"),
        ("too_short", "/persons/0/birth_place"), ("too_long", "/persons/0/nationality")}
    marital = problems["/persons/0/marital_status"].message
    assert "engaged" in marital.en and '"single", "married", "civil_partnership"' in marital.en
    assert "engaged" in marital.fr and "Valeurs possibles" in marital.fr
    assert '"employee", "self_employed", "retiree", "spouse", "other"' in \
        problems["/persons/0/population"].message.en
    assert row_counts(sessions)["persons"] == 0


def test_the_schema_allows_exactly_the_models_values():
    from web.db.models import MARITAL_STATUSES, POPULATIONS, SEXES

    schema = json.loads((Path(__file__).resolve().parents[2] / "web" / "registry"
                         / "schema.json").read_text(encoding="utf-8"))
    person = schema["$defs"]["person"]["properties"]
    assert tuple(person["sex"]["enum"]) == SEXES
    assert tuple(person["marital_status"]["enum"]) == MARITAL_STATUSES
    assert tuple(person["population"]["enum"]) == POPULATIONS


# --- employers, their clients, employees, spells, statements (ref 004) -------------------------

EMPLOYERS_DEMO = DEMO.parent / "employers.yaml"


def employer_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    from web.db.models import ContributionStatement, Employee, Employer, EmployerClient, Employment

    with sessions() as s:
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
                for model in (Employer, EmployerClient, Employee, Employment,
                              ContributionStatement)}


def test_the_demo_employers_import_with_their_counts_and_again_change_nothing(sessions,
                                                                              passwords):
    from web.db.models import ContributionStatement, Employer, EmployerClient, Employment

    run_import(sessions, load_registry_file(DEMO), passwords)
    summary = run_import(sessions, load_registry_file(EMPLOYERS_DEMO), passwords)

    assert {k: v["created"] for k, v in summary.as_dict().items() if v["created"]} == {
        "employers": 7, "clients": 7, "employees": 9, "employments": 10, "statements": 5}
    with sessions() as s:
        bakery = s.get(Employer, "EMP-0001")
        assert bakery is not None and (bakery.number, bakery.active, bakery.direct_debit) == (
            "012501", True, True)
        assert bakery.address["country"] == "MC"
        firm = s.scalars(select(Account).where(Account.identifier == "300781")).one()
        assert {c.employer_id for c in s.scalars(select(EmployerClient).where(
            EmployerClient.account_id == firm.id))} == {f"EMP-000{i}" for i in range(2, 8)}
        spell = s.get(Employment, ("EMP-0001", "SAL-0004", date(2024, 6, 1)))
        assert spell is not None and spell.ends_on == date(2026, 9, 30)
        statement = s.get(ContributionStatement, "RC-EMP-0001-2026-10")
        assert statement is not None and statement.total_cents == 355877
        assert statement.lines[1] == {"label": "CAR — Caisse Autonome des Retraites",
                                      "amount_cents": 91000}
    before = employer_counts(sessions)
    again = run_import(sessions, load_registry_file(EMPLOYERS_DEMO), passwords)
    assert (again.created, again.updated) == (0, 0)
    assert employer_counts(sessions) == before


def test_a_changed_employer_spell_and_statement_are_updated_in_place(sessions, passwords):
    from web.db.models import ContributionStatement, Employer, Employment

    run_import(sessions, load_registry_file(DEMO), passwords)
    data = json.loads(json.dumps(dict(load_registry_file(EMPLOYERS_DEMO))))
    run_import(sessions, data, passwords)
    data["employers"][2]["active"] = False
    data["employments"][0]["end"] = "2026-12-31"
    data["contribution_statements"][0]["lines"][0]["amount"] = "2318.41"
    data["contribution_statements"][0]["total"] = "4596.01"

    summary = run_import(sessions, data, passwords)

    assert summary.created == 0
    assert (summary.employers.updated, summary.employments.updated,
            summary.statements.updated) == (1, 1, 1)
    with sessions() as s:
        assert s.get(Employer, "EMP-0003").active is False  # type: ignore[union-attr]
        assert s.get(Employment, ("EMP-0001", "SAL-0001", date(2012, 9, 1))).ends_on == \
            date(2026, 12, 31)  # type: ignore[union-attr]
        assert s.get(ContributionStatement, "RC-EMP-0001-2026-09").total_cents == 459601  # type: ignore[union-attr]


ADDRESS = {"lines": ["1 rue Grimaldi"], "postcode": "98000", "city": "Monaco"}


def test_bad_employer_sections_are_refused_clearly_and_nothing_is_saved(sessions, passwords):
    run_import(sessions, load_registry_file(DEMO), passwords)
    before = employer_counts(sessions)
    data = {
        "employers": [
            {"id": "E-1", "number": "12", "name": "Un", "address": ADDRESS},
            {"id": "E-2", "number": "0042", "name": "Deux", "address": ADDRESS,
             "direct_debit": "yes"},
            {"id": "E-2", "number": "0042", "name": "Trois", "address": ADDRESS}],
        "employer_clients": [
            {"account": "300781", "employers": ["E-1", "E-404"]},
            {"account": "002490-12051960", "employers": ["E-1"]},
            {"account": "300781", "employers": ["E-2"]}],
        "employees": [
            {"id": "S-1", "registration": "1234", "birth_date": "1990-02-30",
             "first_name": "A", "last_name": "B"}],
        "employments": [
            {"employer": "E-1", "employee": "S-1", "start": "2026-05-01", "end": "2026-04-30"},
            {"employer": "E-1", "employee": "S-1", "start": "2026-05-01"},
            {"employer": "E-404", "employee": "S-404", "start": "2026-05-01"}],
        "contribution_statements": [
            {"id": "C-1", "employer": "E-1", "period": "2026-13", "issued_on": "2026-11-10",
             "lines": [{"label": "CCSS", "amount": "10.5"}], "total": "10.50"},
            {"id": "C-2", "employer": "E-1", "period": "2026-10", "issued_on": "2026-11-10",
             "lines": [{"label": "CCSS", "amount": "10.00"}, {"label": "CAR", "amount": "5.00"}],
             "total": "16.00"},
            {"id": "C-3", "employer": "E-1", "period": "2026-10", "issued_on": "2026-11-10",
             "lines": [{"label": "CCSS", "amount": "1.00"}], "total": "1.00"}],
    }

    with pytest.raises(RegistryError) as caught, sessions.begin() as s:
        import_registry(s, data, passwords)

    found = {(p.code, p.pointer) for p in caught.value.problems}
    assert found == {
        ("invalid_format", "/employers/0/number"),
        ("wrong_type", "/employers/1/direct_debit"),
        ("duplicate_id", "/employers/2/id"),
        ("duplicate_employer_number", "/employers/2/number"),
        ("unknown_employer", "/employer_clients/0/employers/1"),
        ("unknown_employer_account", "/employer_clients/1/account"),
        ("invalid_format", "/employer_clients/1/account"),
        ("duplicate_client_account", "/employer_clients/2/account"),
        ("invalid_format", "/employees/0/birth_date"),
        ("employment_dates", "/employments/0/end"),
        ("duplicate_employment", "/employments/1/start"),
        ("unknown_employer", "/employments/2/employer"),
        ("unknown_employee", "/employments/2/employee"),
        ("invalid_format", "/contribution_statements/0/period"),
        ("invalid_format", "/contribution_statements/0/lines/0/amount"),
        ("statement_total", "/contribution_statements/1/total"),
        ("duplicate_statement_period", "/contribution_statements/2/period"),
    }
    by_code = {p.code: p.message for p in caught.value.problems}
    assert "16.00" in by_code["statement_total"].en and "15.00" in by_code["statement_total"].en
    assert "2026-04-30" in by_code["employment_dates"].fr
    assert "E-404" in by_code["unknown_employer"].fr
    assert "deux décimales" in next(p.message.fr for p in caught.value.problems
                                     if p.pointer.endswith("/amount"))
    assert employer_counts(sessions) == before == {
        "employers": 0, "employer_clients": 0, "employees": 0, "employments": 0,
        "contribution_statements": 0}


def test_employer_references_resolve_in_the_database_and_numbers_are_not_reassigned(
        sessions, passwords):
    run_import(sessions, load_registry_file(DEMO), passwords)
    run_import(sessions, load_registry_file(EMPLOYERS_DEMO), passwords)
    later = {"employments": [{"employer": "EMP-0003", "employee": "SAL-0001",
                              "start": "2026-11-02"}],
             "employer_clients": [{"account": "300125", "employers": ["EMP-0007"]}]}
    summary = run_import(sessions, later, passwords)
    assert (summary.employments.created, summary.clients.created) == (1, 1)

    taken = {"employers": [{"id": "EMP-0099", "number": "012501", "name": "Copie",
                            "address": ADDRESS}],
             "contribution_statements": [{"id": "RC-OTHER", "employer": "EMP-0001",
                                          "period": "2026-10", "issued_on": "2026-11-10",
                                          "lines": [{"label": "CCSS", "amount": "1.00"}],
                                          "total": "1.00"}]}
    with pytest.raises(RegistryError) as caught, sessions.begin() as s:
        import_registry(s, taken, passwords)
    assert {(p.code, p.pointer) for p in caught.value.problems} == {
        ("employer_number_taken", "/employers/0/number"),
        ("statement_period_taken", "/contribution_statements/0/period")}

