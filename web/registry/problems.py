"""What can be wrong with a registry file, said in French and English, located by JSON Pointer.

Schema errors from jsonschema are reworded here for the people who prepare the file (the fund's
registry staff), with the expected format of the field when it has one.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.errors import Message
from engine.report import Problem

# Every problem, by code: (French, English), formatted with the problem's fields.
MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "file_unreadable": (
        "Le fichier ne peut pas être lu ({detail}).",
        "The file cannot be read ({detail})."),
    "file_type": (
        "Le nom du fichier doit se terminer par .yaml, .yml ou .json (ici : {suffix}).",
        "The file name must end with .yaml, .yml or .json (here: {suffix})."),
    "json_too_large": (
        "Le fichier est trop gros ({size} octets) : la limite est de 20 Mio.",
        "The file is too large ({size} bytes): the limit is 20 MiB."),
    "json_encoding": (
        "Le fichier n'est pas enregistré en UTF-8 : enregistrez-le à nouveau en UTF-8.",
        "The file is not saved as UTF-8: save it again as UTF-8."),
    "json_syntax": (
        "Le texte JSON est mal écrit ici ({detail}).",
        "The JSON text is badly written here ({detail})."),
    "json_number": (
        "Le nombre « {number} » n'est pas accepté : écrivez un nombre fini de taille raisonnable "
        "(NaN et Infinity sont refusés).",
        "The number “{number}” is not accepted: write a finite number of reasonable size (NaN "
        "and Infinity are refused)."),
    "json_duplicate_key": (
        "La clé « {key} » apparaît deux fois dans le même objet : chaque clé ne doit figurer "
        "qu'une fois.",
        "The key “{key}” appears twice in the same object: each key may appear only once."),
    "json_too_deep": (
        "Le texte est imbriqué trop profondément.", "The text is nested too deeply."),
    "not_a_mapping": (
        "Le fichier doit contenir des sections (households, persons, campaigns, accounts, "
        "employers...), pas un élément de type {found}.",
        "The file must hold sections (households, persons, campaigns, accounts, employers...), "
        "not a value of type {found}."),
    "missing_key": (
        "Il manque « {name} » à « {where} ».", "“{name}” is missing at “{where}”."),
    "unknown_key": (
        "« {name} » n'est pas un mot connu à cet endroit.{hint_fr} Mots possibles : {allowed}.",
        "“{name}” is not a known word here.{hint_en} Known words: {allowed}."),
    "wrong_type": (
        "« {where} » doit être {type_fr}.{format_fr}", "“{where}” must be {type_en}.{format_en}"),
    "invalid_value": (
        "La valeur {value} n'est pas permise à « {where} ». Valeurs possibles : {allowed}.",
        "The value {value} is not allowed at “{where}”. Allowed values: {allowed}."),
    "invalid_format": (
        "« {value} » n'est pas accepté à « {where} » : il faut {format_fr}.",
        "“{value}” is not accepted at “{where}”: it must be {format_en}."),
    "too_short": (
        "« {where} » est trop court : au moins {limit} caractère(s).",
        "“{where}” is too short: at least {limit} character(s)."),
    "too_long": (
        "« {where} » est trop long : au plus {limit} caractères.",
        "“{where}” is too long: at most {limit} characters."),
    "too_few": (
        "« {where} » doit contenir au moins {limit} élément(s).",
        "“{where}” must hold at least {limit} item(s)."),
    "too_many": (
        "« {where} » contient trop d'éléments : au plus {limit}.",
        "“{where}” holds too many items: at most {limit}."),
    "out_of_range": (
        "{value} n'est pas permis à « {where} » : la valeur doit être entre {low} et {high}.",
        "{value} is not allowed at “{where}”: the value must be between {low} and {high}."),
    "not_unique": (
        "« {where} » contient deux fois la même valeur.",
        "“{where}” holds the same value twice."),
    "schema_other": (
        "« {where} » n'est pas valide ({detail}).", "“{where}” is not valid ({detail})."),
    "duplicate_id": (
        "L'identifiant « {id} » est déjà celui d'un(e) autre {what_fr} ({first}) : chaque "
        "identifiant ne doit figurer qu'une fois.",
        "The id “{id}” is already that of another {what_en} ({first}): each id may appear only "
        "once."),
    "unknown_household": (
        "Le foyer « {id} » n'existe ni dans le fichier ni dans la base : ajoutez-le à la section "
        "households ou corrigez l'identifiant.",
        "The household “{id}” exists neither in the file nor in the database: add it to the "
        "households section or correct the id."),
    "unknown_person": (
        "La personne « {id} » n'existe ni dans le fichier ni dans la base : ajoutez-la à la "
        "section persons ou corrigez l'identifiant.",
        "The person “{id}” exists neither in the file nor in the database: add them to the "
        "persons section or correct the id."),
    "household_role_taken": (
        "Le foyer « {household} » a déjà un(e) {role} ({first}) : un foyer n'en a qu'un(e).",
        "The household “{household}” already has a {role} ({first}): a household has only one."),
    "duplicate_recipient": (
        "Le foyer « {id} » est déjà destinataire de cette campagne ({first}).",
        "The household “{id}” is already a recipient of this campaign ({first})."),
    "campaign_dates": (
        "La campagne se termine le {closes}, avant de s'ouvrir le {opens} : vérifiez les dates.",
        "The campaign closes on {closes}, before it opens on {opens}: check the dates."),
    "duplicate_identifier": (
        "Le compte « {identifier} » figure déjà plus haut ({first}) : une personne n'a qu'un "
        "compte.",
        "The account “{identifier}” is already listed above ({first}): a person has only one "
        "account."),
    "member_identifier": (
        "Un compte d'assuré ne donne pas d'identifiant : il est formé du matricule et de la date "
        "de naissance (matricule-jjmmaaaa). Retirez « identifier » ou « person ».",
        "A member account gives no identifier: it is made of the registration number and the "
        "birth date (registration-ddmmyyyy). Remove “identifier” or “person”."),
    "subscriptions_member_only": (
        "Seuls les comptes d'assuré ont plusieurs abonnements : retirez « subscriptions » de ce "
        "compte, ou donnez-lui sa personne (« person »).",
        "Only member accounts hold several subscriptions: remove “subscriptions” from this "
        "account, or give it its person (“person”)."),
    "subscription_own_person": (
        "La personne « {id} » est celle du compte : elle est toujours son premier abonnement, "
        "retirez-la de « subscriptions ».",
        "The person “{id}” is the account's own: always its first subscription, remove them "
        "from “subscriptions”."),
    "member_roles": (
        "Seuls les comptes d'agent ont des rôles : retirez « roles » de ce compte d'assuré.",
        "Only staff accounts have roles: remove “roles” from this member account."),
    "validated_without_email": (
        "Une adresse e-mail ne peut pas être validée si elle n'est pas donnée : ajoutez "
        "« email ».",
        "An e-mail address cannot be validated if it is not given: add “email”."),
    "employer_identifier": (
        "L'identifiant d'un employeur est son numéro d'abonné : de 4 à 10 chiffres, entre "
        "guillemets (ici : « {identifier} »).",
        "An employer's identifier is its subscriber number: 4 to 10 digits, in quotes (here: "
        "“{identifier}”)."),
    "staff_identifier": (
        "Un identifiant d'agent commence par une lettre (ici : « {identifier} ») : des chiffres "
        "seuls sont le numéro d'abonné d'un employeur (kind: employer).",
        "A staff identifier starts with a letter (here: “{identifier}”): digits alone are an "
        "employer's subscriber number (kind: employer)."),
    "employer_roles": (
        "Seuls les comptes d'agent ont des rôles : retirez « roles » de ce compte employeur.",
        "Only staff accounts have roles: remove “roles” from this employer account."),
    "security_question_employer": (
        "Seuls les comptes employeur ont une question de sécurité : retirez "
        "« security_question » et « security_answer » de ce compte.",
        "Only employer accounts have a security question: remove “security_question” and "
        "“security_answer” from this account."),
    "security_question_pair": (
        "La question de sécurité et sa réponse vont ensemble : ajoutez « {missing} ».",
        "The security question and its answer go together: add “{missing}”."),
    "security_question_invalid": (
        "La question de sécurité doit tenir en 200 caractères, sans caractère invisible ni "
        "texte vide.",
        "The security question must fit in 200 characters, neither empty nor with invisible "
        "characters."),
    "security_answer_invalid": (
        "La réponse à la question de sécurité doit compter de 3 à 100 caractères hors espaces, "
        "sans caractère invisible.",
        "The answer to the security question must be 3 to 100 characters long besides spaces, "
        "without invisible characters."),
    "identifier_taken": (
        "Le compte « {identifier} » existe déjà pour une autre personne ou un autre type de "
        "compte : l'import ne le réattribue pas.",
        "The account “{identifier}” already exists for another person or kind of account: the "
        "import does not reassign it."),
    "unknown_employer": (
        "L'employeur « {id} » n'existe ni dans le fichier ni dans la base : ajoutez-le à la "
        "section employers ou corrigez l'identifiant.",
        "The employer “{id}” exists neither in the file nor in the database: add it to the "
        "employers section or correct the id."),
    "unknown_employee": (
        "Le salarié « {id} » n'existe ni dans le fichier ni dans la base : ajoutez-le à la "
        "section employees ou corrigez l'identifiant.",
        "The employee “{id}” exists neither in the file nor in the database: add them to the "
        "employees section or correct the id."),
    "unknown_employer_account": (
        "« {identifier} » n'est le numéro d'abonné d'aucun compte employeur (kind: employer) du "
        "fichier ni de la base : ajoutez le compte à la section accounts ou corrigez le numéro.",
        "“{identifier}” is the subscriber number of no employer account (kind: employer) in "
        "the file or the database: add the account to the accounts section or correct the "
        "number."),
    "duplicate_client_account": (
        "Le compte « {identifier} » a déjà ses clients plus haut ({first}) : réunissez-les en "
        "une seule entrée.",
        "The account “{identifier}” already has its clients above ({first}): gather them in "
        "one entry."),
    "duplicate_employer_number": (
        "Le numéro d'employeur « {number} » est déjà celui d'un autre employeur ({first}).",
        "The employer number “{number}” is already another employer's ({first})."),
    "employer_number_taken": (
        "Le numéro d'employeur « {number} » est déjà celui de l'employeur « {id} » dans la "
        "base : l'import ne le réattribue pas.",
        "The employer number “{number}” already belongs to the employer “{id}” in the "
        "database: the import does not reassign it."),
    "employment_dates": (
        "La période d'emploi se termine le {end}, avant de commencer le {start} : vérifiez les "
        "dates.",
        "The employment ends on {end}, before it starts on {start}: check the dates."),
    "duplicate_employment": (
        "Le salarié « {employee} » a déjà une période d'emploi chez « {employer} » commençant "
        "le {start} ({first}).",
        "The employee “{employee}” already has an employment at “{employer}” starting on "
        "{start} ({first})."),
    "statement_total": (
        "Le total dû ({total}) n'est pas la somme des lignes ({sum}) : corrigez le total ou "
        "les lignes.",
        "The total due ({total}) is not the sum of the lines ({sum}): correct the total or "
        "the lines."),
    "duplicate_statement_period": (
        "L'employeur « {employer} » a déjà un relevé de cotisations pour {period} ({first}).",
        "The employer “{employer}” already has a contribution statement for {period} "
        "({first})."),
    "statement_period_taken": (
        "L'employeur « {employer} » a déjà dans la base le relevé « {id} » pour {period} : "
        "gardez son identifiant pour le modifier.",
        "The employer “{employer}” already has the statement “{id}” for {period} in the "
        "database: keep its id to change it."),
})

_ID = ("de 1 à 40 lettres sans accent, chiffres, « _ » ou « - » (par exemple H-0001)",
       "1 to 40 letters without accents, digits, “_” or “-” (for example H-0001)")
# What a field expects, for pattern, format and type messages, by the field's name.
FORMATS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "id": _ID, "household": _ID, "person": _ID,
    "registration": ("un matricule de 4 à 6 chiffres, entre guillemets pour garder les zéros "
                     "en tête (par exemple \"002490\")",
                     "a registration number of 4 to 6 digits, in quotes to keep leading zeros "
                     "(for example \"002490\")"),
    "birth_date": ("une date réelle écrite AAAA-MM-JJ (par exemple 1960-05-12)",
                   "a real date written YYYY-MM-DD (for example 1960-05-12)"),
    "country": ("un code pays de deux lettres majuscules (MC, FR, IT)",
                "a two-letter upper-case country code (MC, FR, IT)"),
    "workflow": ("un nom de procédure en minuscules (par exemple resource_declaration)",
                 "a procedure name in lower case (for example resource_declaration)"),
    "identifier": ("un identifiant d'agent de 3 à 40 caractères : minuscules, chiffres, « . », "
                   "« _ » ou « - », en commençant par une lettre (par exemple agent.immat), ou "
                   "le numéro d'abonné d'un employeur : de 4 à 10 chiffres (par exemple "
                   "\"300125\")",
                   "a staff identifier of 3 to 40 characters: lower-case letters, digits, "
                   "“.”, “_” or “-”, starting with a letter (for example agent.immat), or an "
                   "employer's subscriber number: 4 to 10 digits (for example \"300125\")"),
    "roles": ("un nom de rôle en minuscules (par exemple immatriculation)",
              "a role name in lower case (for example immatriculation)"),
    "email": ("une adresse e-mail (par exemple alain.dupont@example.mc)",
              "an e-mail address (for example alain.dupont@example.mc)"),
    "employer": _ID, "employee": _ID, "employers": _ID,
    "number": ("un numéro d'employeur de 4 à 10 chiffres, entre guillemets (par exemple "
               "\"012501\")",
               "an employer number of 4 to 10 digits, in quotes (for example \"012501\")"),
    "account": ("le numéro d'abonné d'un compte employeur : de 4 à 10 chiffres, entre "
                "guillemets (par exemple \"300781\")",
                "the subscriber number of an employer account: 4 to 10 digits, in quotes "
                "(for example \"300781\")"),
    "period": ("un mois écrit AAAA-MM (par exemple 2026-11)",
               "a month written YYYY-MM (for example 2026-11)"),
    "amount": ("un montant en euros avec deux décimales, entre guillemets (par exemple "
               "\"1234.56\")",
               "an amount in euros with two decimals, in quotes (for example \"1234.56\")"),
})
FORMATS = MappingProxyType({**FORMATS, "total": FORMATS["amount"]})
_DATE = FORMATS["birth_date"]
_TYPES = {"string": ("un texte", "a text"), "integer": ("un nombre entier", "a whole number"),
          "object": ("une liste de clés", "a set of keys"), "array": ("une liste", "a list"),
          "boolean": ("true ou false", "true or false"), "number": ("un nombre", "a number")}


@dataclass(frozen=True)
class RegistryProblem(Problem):
    """One thing wrong in registry data: file, JSON Pointer, code, French/English sentence, and
    for YAML files the 1-based line and column (the reporters of :class:`Problem` apply)."""


class RegistryError(Exception):
    """Registry data refused: the file could not be read, or it has problems (all of them)."""

    def __init__(self, problems: Sequence[RegistryProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the registry data")
        self.problems = list(problems)


def problem(source: str, pointer: str, code: str, position: tuple[int, int] | None = None,
            **fields: object) -> RegistryProblem:
    fr, en = MESSAGES[code]
    line, column = position if position is not None else (None, None)
    return RegistryProblem(source, code, Message(fr.format(**fields), en.format(**fields)),
                           pointer, line, column)


@cache
def registry_validator() -> Draft202012Validator:
    """The import file's JSON Schema validator (with formats checked), built once."""
    text = resources.files("web.registry").joinpath("schema.json").read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def pointer_of(path: Sequence[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def schema_problems(data: Any) -> Iterator[tuple[str, str, dict[str, object]]]:
    """(pointer, code, fields) for each way ``data`` breaks the import schema."""
    seen: set[tuple[str, str, str]] = set()
    for error in registry_validator().iter_errors(data):
        for pointer, code, fields in _explain(error):
            key = (pointer, code, repr(sorted(fields.items())))
            if key not in seen:
                seen.add(key)
                yield pointer, code, fields


def _field_name(path: Sequence[Any]) -> str:
    """The name of the field at ``path``; list items take their list's name (roles/0 -> roles)."""
    names = [p for p in path if isinstance(p, str)]
    return names[-1] if names else ""


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _explain(error: ValidationError) -> Iterator[tuple[str, str, dict[str, object]]]:
    pointer = pointer_of(error.absolute_path)
    where = pointer or "/"
    v, instance = error.validator, error.instance
    name = _field_name(list(error.absolute_path))
    if v == "required":
        for missing in error.validator_value:
            if isinstance(instance, dict) and missing not in instance:
                yield pointer, "missing_key", {"name": missing, "where": where}
    elif v == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        for extra in (k for k in instance if k not in allowed):
            close = difflib.get_close_matches(extra, allowed, n=1)
            yield f"{pointer}/{pointer_of([extra])[1:]}", "unknown_key", {
                "name": extra, "allowed": ", ".join(allowed),
                "hint_fr": f" Vouliez-vous dire « {close[0]} » ?" if close else "",
                "hint_en": f" Did you mean “{close[0]}”?" if close else ""}
    elif v == "type":
        type_fr, type_en = _TYPES.get(str(error.validator_value), (str(error.validator_value),) * 2)
        fmt = FORMATS.get(name) or (_DATE if error.schema.get("format") == "date" else None)
        yield pointer, "wrong_type", {
            "where": where, "type_fr": type_fr, "type_en": type_en,
            "format_fr": f" Il faut {fmt[0]}." if fmt else "",
            "format_en": f" It must be {fmt[1]}." if fmt else ""}
    elif v in ("pattern", "format"):
        fr, en = FORMATS.get(name) or (_DATE if error.validator_value == "date" else
                                       (f"le format {error.validator_value}",) * 2)
        yield pointer, "invalid_format", {"value": str(instance)[:60], "where": where,
                                          "format_fr": fr, "format_en": en}
    elif v in ("enum", "const"):
        allowed = error.validator_value if v == "enum" else [error.validator_value]
        yield pointer, "invalid_value", {"value": _shown(instance), "where": where,
                                         "allowed": ", ".join(_shown(a) for a in allowed)}
    elif v in ("minLength", "maxLength", "minItems", "maxItems"):
        code = {"minLength": "too_short", "maxLength": "too_long", "minItems": "too_few",
                "maxItems": "too_many"}[str(v)]
        yield pointer, code, {"where": where, "limit": error.validator_value}
    elif v in ("minimum", "maximum"):
        yield pointer, "out_of_range", {"value": _shown(instance), "where": where,
                                        "low": error.schema.get("minimum"),
                                        "high": error.schema.get("maximum")}
    elif v == "uniqueItems":
        yield pointer, "not_unique", {"where": where}
    else:
        yield pointer, "schema_other", {"where": where, "detail": error.message[:200]}
