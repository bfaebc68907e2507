"""The long-lived objects of one app: database, definitions, clock, password hasher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from web.catalog import Catalog
from web.clock import Clock
from web.context_cache import ContextCache
from web.passwords import Passwords
from web.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: Catalog
    clock: Clock
    passwords: Passwords
    contexts: ContextCache
