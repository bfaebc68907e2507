"""The French interface catalogue is complete, compiled, and keeps the placeholders.

Message ids are English (English needs no catalogue); French is
``web/translations/fr/LC_MESSAGES/messages.po``, compiled into the committed ``messages.mo``.
The texts are extracted here in-process, with the same mapping (``babel.cfg``) and keywords
(read from ``scripts/i18n``) as ``pybabel extract``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "i18n"
PO = ROOT / "web" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

HOW_TO_FIX = (
    "Run `scripts/i18n extract`, translate the empty msgstr (and remove any `#, fuzzy` flag) in "
    "web/translations/fr/LC_MESSAGES/messages.po, then run `scripts/i18n compile`."
)

# %(name)s, %s, %05.2f, %%: the printf-style placeholders Python's % operator understands.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
)

Key = tuple[str | tuple[str, ...], str | None]


def script_keywords() -> Mapping[str, Any]:
    """Babel's default keywords plus the ``-k`` ones of the KEYWORDS=(...) line of scripts/i18n."""
    found = re.search(r"^KEYWORDS=\((.*)\)\s*$", SCRIPT.read_text(encoding="utf-8"), re.M)
    assert found, "scripts/i18n has no KEYWORDS=(...) line"
    words = shlex.split(found.group(1))
    extra = [word for flag, word in zip(words, words[1:], strict=False) if flag == "-k"]
    return {**DEFAULT_KEYWORDS, **parse_keywords(extra)}


def extracted() -> dict[Key, list[str]]:
    """Every message of the code and templates, with where it is used."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: dict[Key, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=script_keywords()
    ):
        msgid = message if isinstance(message, str) else tuple(message)
        found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


def po_catalog() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="fr")


def translations(messages: Iterable[Message]) -> dict[Key, str | tuple[str, ...]]:
    """What ``pybabel compile`` puts in the .mo: translated, not fuzzy."""
    out: dict[Key, str | tuple[str, ...]] = {}
    for m in messages:
        if m.id and m.string and not m.fuzzy:
            string = m.string if isinstance(m.string, str) else tuple(m.string)
            out[(m.id if isinstance(m.id, str) else tuple(m.id), m.context)] = string
    return out


def texts(value: str | Iterable[str] | None) -> list[str]:
    """A message's id or translation as a list: one text, or one per plural form."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def is_translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = texts(message.string)
    return bool(strings) and all(s.strip() for s in strings)


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%")


def sample_arguments(text: str) -> dict[str, str] | tuple[str, ...]:
    named = {m.group("name") for m in PLACEHOLDER.finditer(text) if m.group("name") is not None}
    if named:
        return dict.fromkeys(named, "1")
    return tuple("1" for _ in placeholders(text))


def placeholder_problems(message: Message) -> list[str]:
    ids = texts(message.id)
    allowed = [placeholders(i) for i in ids]
    id_has_lone_percent = any("%" in PLACEHOLDER.sub("", i) for i in ids)
    problems: list[str] = []
    for string in filter(None, texts(message.string)):
        if placeholders(string) not in allowed:
            problems.append(f"  {string!r} has {placeholders(string)}, "
                            f"its message id {message.id!r} has {allowed[-1]}")
        elif "%" in PLACEHOLDER.sub("", string) and not id_has_lone_percent:
            # Flask-Babel's template gettext always formats with %: write %% for a literal %.
            problems.append(f"  {string!r} has a lone % (write %% as the message id does)")
        elif placeholders(string):
            try:
                string % sample_arguments(string)
            except (KeyError, TypeError, ValueError) as e:
                problems.append(f"  {string!r} cannot be formatted: {e}")
    return problems


def test_the_extraction_finds_the_interface_texts() -> None:
    found = extracted()
    assert ("Log in", None) in found, "babel.cfg no longer reaches the templates"
    assert ("You are logged out.", None) in found, "babel.cfg no longer reaches the Python code"


def test_every_interface_text_has_a_french_translation() -> None:
    catalog = po_catalog()
    assert not catalog.fuzzy, "the French catalogue header is marked fuzzy: " + HOW_TO_FIX
    missing = [
        f"  {msgid!r}{f' (context {context!r})' if context else ''} — {', '.join(where[:3])}"
        for (msgid, context), where in sorted(extracted().items(), key=str)
        if not is_translated(catalog.get(msgid, context))
    ]
    assert not missing, (
        f"{len(missing)} interface text(s) without a French translation "
        f"(missing, empty or fuzzy):\n" + "\n".join(missing) + "\n" + HOW_TO_FIX
    )


def test_the_committed_mo_matches_the_po() -> None:
    catalog = po_catalog()
    with MO.open("rb") as f:
        compiled = read_mo(f)
    po, mo = translations(catalog), translations(compiled)
    stale = sorted(
        (repr(key[0]) for key in po.keys() | mo.keys() if po.get(key) != mo.get(key)), key=str
    )
    assert not stale, (
        "web/translations/fr/LC_MESSAGES/messages.mo differs from messages.po for:\n  "
        + "\n  ".join(stale) + "\nRun `scripts/i18n compile` and commit the .mo."
    )
    assert compiled.plural_forms == catalog.plural_forms


def test_a_translation_keeps_the_placeholders() -> None:
    problems = [p for m in po_catalog() if m.id and m.string for p in placeholder_problems(m)]
    assert not problems, (
        "French translations whose %(name)s placeholders differ from their message id:\n"
        + "\n".join(problems)
    )


def test_the_placeholder_check_catches_a_renamed_or_lost_placeholder() -> None:
    good = Message("Previous connection: %(when)s", "Connexion précédente : %(when)s")
    renamed = Message("Previous connection: %(when)s", "Connexion précédente : %(quand)s")
    lost = Message("Previous connection: %(when)s", "Connexion précédente")
    lone = Message("Rate", "Taux en %")
    assert placeholder_problems(good) == []
    assert placeholder_problems(renamed) and placeholder_problems(lost)
    assert placeholder_problems(lone)


def test_the_pages_use_the_compiled_catalogue(client) -> None:  # type: ignore[no-untyped-def]
    french = client.get("/login?lang=fr").get_data(as_text=True)
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert "Se connecter" in french and "Mot de passe" in french
    assert "Log in" in english and "Password" in english
