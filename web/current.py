"""What every view needs, API or page: the services and the request's database session."""

from __future__ import annotations

from typing import cast

from flask import current_app, g
from sqlalchemy.orm import Session

from web.services import Services
from web.submissions import Submissions


def services() -> Services:
    return cast(Services, current_app.extensions["csm"])


def db() -> Session:
    if "db" not in g:
        g.db = services().sessions()
    return cast(Session, g.db)


def submissions() -> Submissions:
    return Submissions(db(), services().catalog, services().clock, services().contexts)
