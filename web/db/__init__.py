"""Storage: models, migrations, sessions."""

from web.db.migrate import upgrade
from web.db.session import make_engine, make_sessions

__all__ = ["make_engine", "make_sessions", "upgrade"]
