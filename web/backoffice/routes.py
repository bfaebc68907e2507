"""Imports every module of the back office that registers routes on ``bp``."""

from web.backoffice import (  # noqa: F401
    auth,
    cases,
    certificates,
    metrics_page,
    queues,
    transition_forms,
)
