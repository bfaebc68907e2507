"""Imports every module of the back office that registers routes on ``bp``."""
