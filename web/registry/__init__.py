"""Registry import: the persons, households, campaigns and accounts the fund already holds.

The file format is ``schema.json`` beside this file (YAML or JSON). Typical use, the caller owning
the transaction::

    document = load_registry_file(path)           # RegistryError if unreadable
    with sessions.begin() as session:
        summary = import_registry(session, document, Passwords())  # RegistryError if problems
"""

from web.registry.checks import check_registry, member_identifier
from web.registry.importer import Counts, ImportSummary, import_registry
from web.registry.loading import RegistryDocument, load_registry_file
from web.registry.problems import RegistryError, RegistryProblem, registry_validator

__all__ = ["Counts", "ImportSummary", "RegistryDocument", "RegistryError", "RegistryProblem",
           "check_registry", "import_registry", "load_registry_file", "member_identifier",
           "registry_validator"]
