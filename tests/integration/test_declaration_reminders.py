"""The monthly reminder of the wage declaration (ref 004: "Vous êtes notifié chaque mois par
e-mail à cette échéance", the 20th): one e-mail per employer account listing its active clients
whose current period is not declared, in French then English; run twice, one mail; a new
period, a new mail; ``flask --app web employers remind``. The logic is tested per workflow id
(:func:`web.reminders._remind`), so without the wage declaration in the catalog; the command
and :func:`send_reminders` need it. On SQLite and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from engine import Text
from tests.integration.test_employer_portal import demo  # noqa: F401 - the fixture
from tests.integration.test_employer_synthesis import declare, firm_account
from web.db.models import OutboxMessage, Reminder
from web.declarations import periodic
from web.reminders import MAIL_KIND, _remind, _send, due, send_reminders

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
FIRM_MAIL = "paie@fiduciaire-azur.example.mc"
BAKERY_MAIL = "contact@boulangerie-rocher.example.mc"


class Declaration:
    """What the reminder reads of the wage declaration's definition: its id and title."""

    id = "wage_declaration"
    title = Text(fr="Déclaration de salaires", en="Wage declaration")


def remind(app: Flask, period: str = "2026-11") -> int:
    with app.extensions["csm"].sessions.begin() as s:
        return _remind(s, Declaration(), period, NOW)  # type: ignore[arg-type]


def mails(app: Flask, to: str | None = None) -> list[OutboxMessage]:
    with app.extensions["csm"].sessions() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == MAIL_KIND)
        if to is not None:
            query = query.where(OutboxMessage.to_address == to)
        return list(s.scalars(query.order_by(OutboxMessage.id)))


def needs_the_wage_declaration(app: Flask) -> None:
    if not any(wf.id == "wage_declaration"
               for wf in periodic(app.extensions["csm"].catalog, "client")):
        pytest.skip("the wage declaration is not in the catalog")


def test_one_mail_per_account_listing_its_active_clients_left_to_declare(demo):  # noqa: F811
    declare(demo, firm_account(demo), "EMP-0002", "2026-11")  # the hotel declared November
    assert remind(demo) == 2  # the firm and the bakery
    assert remind(demo) == 0  # run twice: nothing new
    [firm] = mails(demo, FIRM_MAIL)
    assert firm.subject == "Déclaration de salaires de novembre 2026 : déclarations à effectuer"
    body = firm.body_text
    for listed in ("Garage des Moneghetti", "Librairie de la Condamine",
                   "Pharmacie du Jardin Exotique"):
        assert listed in body
    assert "Hôtel Bellevue Larvotto" not in body  # declared
    assert "Restaurant du Port Hercule" not in body and "Atelier Couture" not in body  # inactive
    assert "à partir du 20 novembre 2026" in body
    assert "-- English version --" in body and "Wage declaration for November 2026" in body
    assert "from 20 November 2026" in body
    [bakery] = mails(demo, BAKERY_MAIL)
    assert "Boulangerie du Rocher" in bakery.body_text and "Garage" not in bakery.body_text
    with demo.extensions["csm"].sessions() as s:
        rows = s.scalars(select(Reminder).order_by(Reminder.subject_id)).all()
        assert [(r.kind, r.subject_id, r.period) for r in rows] == [
            ("wage_declaration", c, "2026-11")
            for c in ("EMP-0001", "EMP-0003", "EMP-0004", "EMP-0007")]


def test_a_client_reminded_is_not_mentioned_again_a_new_period_is(demo):  # noqa: F811
    assert remind(demo, "2026-10") == 2
    with demo.extensions["csm"].sessions.begin() as s:  # a client the firm acts for from now
        from web.db.models import Employer

        s.get(Employer, "EMP-0005").active = True  # type: ignore[union-attr]
    assert remind(demo, "2026-10") == 1  # only the firm, only that client
    latest = mails(demo, FIRM_MAIL)[-1].body_text
    assert "Restaurant du Port Hercule" in latest and "Garage des Moneghetti" not in latest
    assert remind(demo, "2026-11") == 2  # a new period, a new mail for each account
    assert "Garage des Moneghetti" in mails(demo, FIRM_MAIL)[-1].body_text
    assert len(mails(demo)) == 5


def test_an_account_without_a_confirmed_address_gets_no_mail(demo):  # noqa: F811
    from web.db.models import Account

    with demo.extensions["csm"].sessions.begin() as s:
        s.get(Account, firm_account(demo)).email_validated = False  # type: ignore[union-attr]
    assert remind(demo) == 1
    assert mails(demo, FIRM_MAIL) == []


def test_a_concurrent_run_that_reminded_first_wins(demo):  # noqa: F811
    """Two runs read the same clients to remind; the other one commits first: this run's
    insert is refused by the primary key and only the firm's mail of this run is dropped."""
    sessions = demo.extensions["csm"].sessions
    with sessions.begin() as s:
        planned = due(s, Declaration(), "2026-11")  # type: ignore[arg-type]
        assert [a.email for a, _ in planned] and len(planned) == 2
        assert remind(demo) == 2  # the other run, committed meanwhile
        sent = [_send(s, Declaration(), account, clients, "2026-11", NOW)  # type: ignore[arg-type]
                for account, clients in planned]
        assert sent == [False, False]
    assert len(mails(demo, FIRM_MAIL)) == 1 and len(mails(demo, BAKERY_MAIL)) == 1
    with sessions() as s:
        assert len(s.scalars(select(Reminder)).all()) == 5  # the firm's 4 clients, the bakery


def test_the_command_reminds_once(demo):  # noqa: F811
    needs_the_wage_declaration(demo)
    runner = demo.test_cli_runner()
    first = runner.invoke(args=["employers", "remind", "--date", "2026-11-20"])
    assert first.exit_code == 0, first.output
    assert "2 reminder e-mails queued" in first.output
    again = runner.invoke(args=["employers", "remind"])  # the clock's day, 23 November
    assert again.exit_code == 0 and "0 reminder e-mails queued" in again.output
    assert len(mails(demo, FIRM_MAIL)) == 1
    # before the 20th the current period is the previous month: October, never reminded
    october = runner.invoke(args=["employers", "remind", "--date", "2026-11-19"])
    assert "2 reminder e-mails queued" in october.output
    assert "octobre 2026" in mails(demo, FIRM_MAIL)[-1].subject
    assert runner.invoke(args=["employers", "remind", "--date", "20-11-2026"]).exit_code == 2


def test_send_reminders_follows_the_catalogs_periodic_declarations(demo):  # noqa: F811
    needs_the_wage_declaration(demo)
    services = demo.extensions["csm"]
    with services.sessions.begin() as s:
        assert send_reminders(s, services.catalog, date(2026, 11, 20), NOW) == 2
    with services.sessions.begin() as s:
        assert send_reminders(s, services.catalog, date(2026, 11, 30), NOW) == 0
