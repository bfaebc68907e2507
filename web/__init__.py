"""The Flask layer: API, pages, storage, PDF. ``flask --app web`` finds :func:`create_app`."""

from web.app import create_app

__all__ = ["create_app"]
