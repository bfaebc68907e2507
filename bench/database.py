"""A PostgreSQL schema of the bench's own: created, migrated, seeded, dropped.

Seeding copies the idea of tests/factories.py (models inserted directly), without importing the
tests: one household per member (declarant and spouse), every household a recipient of the open
campaign RD-OPEN with the children section, one member account each.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, create_engine, text
from sqlalchemy.dialects.postgresql import JSONB

PASSWORD = "Moulins7"
BIRTH = date(1960, 5, 12)

bare_metadata = MetaData()
bare_steps = Table("bare_steps", bare_metadata,
                   Column("id", Integer, primary_key=True, autoincrement=True),
                   Column("submission_id", String(36), nullable=False),
                   Column("step", String(63), nullable=False),
                   Column("data", JSONB, nullable=False))


@dataclass(frozen=True)
class BenchSchema:
    admin_url: str
    name: str

    @property
    def url(self) -> str:
        """The URL the app and the bare app use: the admin database, search_path = our schema."""
        sep = "&" if "?" in self.admin_url else "?"
        return f"{self.admin_url}{sep}options=-csearch_path%3D{self.name}"


def create_schema(admin_url: str) -> BenchSchema:
    schema = BenchSchema(admin_url, f"bench_{secrets.token_hex(5)}")
    admin = create_engine(admin_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema.name}"))
    finally:
        admin.dispose()
    return schema


def drop_schema(schema: BenchSchema) -> None:
    admin = create_engine(schema.admin_url)
    try:
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '30s'"))  # never wait forever
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema.name} CASCADE"))
    finally:
        admin.dispose()


def server_version(admin_url: str) -> str:
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def seed_members(app: object, count: int, first: int = 1) -> list[str]:
    """``count`` members, identifiers returned in order. The app must already be created on the
    schema (create_app migrates it and records the workflow versions)."""
    from web.db.models import Account, Campaign, CampaignRecipient, Household, Person

    services = app.extensions["csm"]  # type: ignore[attr-defined]
    password_hash = services.passwords.hash(PASSWORD)  # same profile as the server: no rehash
    identifiers = []
    with services.sessions.begin() as s:
        if s.get(Campaign, "RD-OPEN") is None:
            s.add(Campaign(id="RD-OPEN", workflow="resource_declaration", year=2025,
                           opens_on=date(2026, 11, 1), closes_on=date(2027, 2, 28),
                           reference_date=date(2026, 1, 1)))
            s.flush()
        for n in range(first, first + count):
            household = Household(id=f"H{n}", address={"lines": ["1 rue Grimaldi"],
                                                       "postcode": "98000", "city": "Monaco"})
            registration = f"{100000 + n}"
            s.add(household)
            s.add(Person(id=f"P{n}", registration=registration, birth_date=BIRTH,
                         first_name="Alain", last_name=f"Dupont{n}", household_id=household.id,
                         household_role="declarant"))
            s.add(Person(id=f"P{n}s", registration=f"{200000 + n}", birth_date=date(1962, 1, 2),
                         first_name="Claire", last_name=f"Dupont{n}",
                         household_id=household.id, household_role="spouse"))
            s.flush()
            s.add(CampaignRecipient(campaign_id="RD-OPEN", household_id=household.id,
                                    children_section=True))
            identifier = f"{registration}-{BIRTH:%d%m%Y}"
            s.add(Account(identifier=identifier, kind="member", person_id=f"P{n}",
                          password_hash=password_hash, email=f"m{n}@example.mc",
                          email_validated=True, roles=[]))
            identifiers.append(identifier)
    return identifiers


def create_bare_table(url: str) -> None:
    engine = create_engine(url)
    try:
        bare_metadata.create_all(engine)
    finally:
        engine.dispose()


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)
