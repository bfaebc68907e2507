"""Imports every module of the back office that registers routes on ``bp``."""

from web.backoffice import auth, cases, certificates, metrics_page, queues  # noqa: F401
