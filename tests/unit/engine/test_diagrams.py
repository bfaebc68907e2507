"""engine.diagrams and ``python -m engine diagram``: the shipped workflow drawn as Mermaid.

No Mermaid renderer is available offline, so the syntax is checked structurally: every line of a
diagram belongs to the small subset of Mermaid the generator writes, every node an arrow names is
declared, ids are ``[a-z0-9_]`` and no label holds a character Mermaid would parse.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import engine.__main__
from engine.__main__ import main
from engine.definitions import Step, Target, Text, Workflow
from engine.diagrams import escape, filling_diagram, lifecycle_diagram
from engine.expressions import Expression
from engine.loading import load_definitions

ROOT = Path(__file__).resolve().parents[3]

_LABEL = r'"([^"]*)"'
_FLOW_LINES = {
    "node": re.compile(rf"    ([a-z0-9_]+)(?:\(\(\({_LABEL}\)\)\)|\(\({_LABEL}\)\)|\(\[{_LABEL}\]\)"
                       rf"|\[{_LABEL}\])"),
    "edge": re.compile(rf"    ([a-z0-9_]+) -->(?:\|{_LABEL}\|)? ([a-z0-9_]+)"),
    "class": re.compile(r"    class ([a-z0-9_,]+) [a-z]+"),
    "classdef": re.compile(r"    classDef [a-z]+ [a-z-]+:[#a-z0-9 ]+"),
    "comment": re.compile(r"    %% [^{}]*"),
}
_STATE_LINES = {
    "node": re.compile(rf"    state {_LABEL} as ([a-z0-9_]+)"),
    "edge": re.compile(r"    (\[\*\]|[a-z0-9_]+) --> (\[\*\]|[a-z0-9_]+)(?: : ([^\"]+))?"),
    "note": re.compile(r"    note right of ([a-z0-9_]+) : ([^\"]+)"),
    "comment": re.compile(r"    %% [^{}]*"),
}
_UNSAFE = re.compile(r'["|<>\[\]{};`#]')


def _unsafe(labels: list[str]) -> list[str]:
    """The labels holding a character Mermaid would parse, once entities and line breaks go."""
    return [label for label in labels
            if _UNSAFE.search(re.sub(r"#[0-9]+;|<br/>", "", label))]


def _parse(text: str, grammar: dict[str, re.Pattern[str]]) -> tuple[set[str], set[str], list[str]]:
    """(declared ids, referenced ids, labels); fails on a line outside the grammar."""
    flow = grammar is _FLOW_LINES
    declared: set[str] = set()
    referenced: set[str] = set()
    labels: list[str] = []
    for line in text.splitlines()[1:]:
        kind, match = next(((k, m) for k, p in grammar.items() if (m := p.fullmatch(line))),
                           ("", None))
        assert match is not None, f"line outside the Mermaid subset: {line!r}"
        groups = [g for g in match.groups() if g is not None]
        if kind == "node":  # flowchart: id, label; state diagram: label, id
            node, label = groups if flow else reversed(groups)
            declared.add(node)
            labels.append(label)
        elif kind == "edge":  # flowchart: from, label?, to; state diagram: from, to, label?
            source, dest, label = (match.group(1), match.group(3), match.group(2)) if flow \
                else match.groups()
            referenced |= {source, dest} - {"[*]"}
            labels += [label] if label is not None else []
        elif kind == "class":
            referenced |= set(match.group(1).split(","))
        elif kind == "note":
            referenced.add(match.group(1))
            labels.append(match.group(2))
    return declared, referenced, labels


def _decoded(label: str) -> str:
    return html.unescape(re.sub(r"#([0-9]+);", r"&#\1;", label))


@pytest.fixture(scope="module")
def wf() -> Workflow:
    result = load_definitions(ROOT)
    assert result.report.problems == []
    return result.workflows[("resource_declaration", 2)]


def _cond(text: str) -> Expression:
    return Expression(text=text, names=frozenset(), _evaluate=lambda values: True)


def test_filling_diagram_has_every_step_condition_start_and_review(wf: Workflow) -> None:
    text = filling_diagram(wf, "fr")
    assert text.startswith("flowchart TD\n")
    for step in wf.steps.values():
        assert f"step_{step.name}" in text
        assert escape(step.title.fr) in text
    assert "wf_start --> step_terms\n" in text
    assert 'step_summary(["Récapitulatif<br/>(summary)<br/>relecture avant envoi"])' in text
    assert "step_summary --> wf_submit\n" in text
    assert "    class step_summary review\n" in text
    assert ('step_situation -->|"answers.situation.code != #34;none#34;"| step_summary\n'
            in text)
    assert 'step_situation -->|"sinon"| step_income_declarant\n' in text
    assert "step_terms --> step_situation\n" in text  # a lone unconditional arrow has no label
    assert "sautée sauf si household.has_spouse" in text
    assert "sautée sauf si campaign.children_section" in text
    assert "    class step_income_spouse,step_children skippable\n" in text


def test_every_condition_of_the_shipped_workflow_is_on_an_arrow(wf: Workflow) -> None:
    _, _, labels = _parse(filling_diagram(wf, "en"), _FLOW_LINES)
    conditions = [t.when.text for s in wf.steps.values() for t in s.next if t.when is not None]
    assert conditions
    assert all(c in [_decoded(label) for label in labels] for c in conditions)


def test_filling_diagram_in_english(wf: Workflow) -> None:
    text = filling_diagram(wf, "en")
    assert 'step_situation -->|"otherwise"| step_income_declarant\n' in text
    assert "skipped unless household.has_spouse" in text
    assert "Your spouse's income" in text
    assert "sinon" not in text


def test_lifecycle_diagram_has_every_transition_role_and_reason(wf: Workflow) -> None:
    text = lifecycle_diagram(wf, "fr")
    assert text.startswith("stateDiagram-v2\n")
    assert "    [*] --> st_submitted : Envoi (membre)\n" in text
    for t in wf.lifecycle.transitions:
        mark = " (motif obligatoire)" if t.reason else ""
        for source in t.sources:
            assert (f"    st_{source} --> st_{t.dest} : {t.title.fr} ({t.role}){mark}\n"
                    in text)
    assert text.count("(motif obligatoire)") == 3  # request_documents, reject from two states
    assert "st_processed --> [*]\n" in text
    assert "st_rejected --> [*]\n" in text
    assert text.count("--> [*]") == 2
    assert "note right of st_submitted : modifiable par le membre\n" in text
    assert 'state "En attente de justificatifs" as st_awaiting_documents\n' in text


def test_lifecycle_diagram_in_english(wf: Workflow) -> None:
    text = lifecycle_diagram(wf, "en")
    assert "st_in_review --> st_rejected : Reject (immatriculation) (reason required)\n" in text
    assert "[*] --> st_submitted : Submission (member)\n" in text
    assert "note right of st_submitted : the member can still change it\n" in text


@pytest.mark.parametrize("draw, grammar", [(filling_diagram, _FLOW_LINES),
                                           (lifecycle_diagram, _STATE_LINES)])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_diagrams_are_structurally_valid(wf: Workflow, draw: Callable[[Workflow, str], str],
                                         grammar: dict[str, re.Pattern[str]], lang: str) -> None:
    declared, referenced, labels = _parse(draw(wf, lang), grammar)
    assert referenced <= declared
    assert declared
    assert all(re.fullmatch(r"[a-z0-9_]+", i) for i in declared)
    assert _unsafe(labels) == []


def test_diagrams_are_deterministic(wf: Workflow) -> None:
    again = load_definitions(ROOT).workflows[wf.key]
    assert filling_diagram(wf, "fr") == filling_diagram(again, "fr")
    assert lifecycle_diagram(wf, "en") == lifecycle_diagram(again, "en")


TRICKY = 'answers.x.name == "a #1 | <b> [c] {d}; `e`" and answers.x.count >= 3'


def test_labels_are_escaped(wf: Workflow) -> None:
    tricky = Step(name="situation", title=Text(fr='Le "cas" <spécial> #2', en="x"),
                  next=(Target("summary", _cond(TRICKY)), Target("income_declarant")),
                  skip_unless=_cond('household.kind != "a|b"'))
    steps = {**wf.steps, "situation": tricky}
    text = filling_diagram(replace(wf, steps=steps), "fr")
    declared, referenced, labels = _parse(text, _FLOW_LINES)
    assert referenced <= declared
    assert _unsafe(labels) == []
    assert TRICKY in [_decoded(label) for label in labels]
    assert "answers.x.count #62;= 3" in text
    assert 'Le "cas" <spécial> #2<br/>(situation)<br/>sautée sauf si household.kind != "a|b"' in [
        _decoded(label.replace("<br/>", "\0")).replace("\0", "<br/>") for label in labels]


@pytest.mark.parametrize("raw, safe", [
    ('a "b"', "a #34;b#34;"),
    ("x >= 3 and y <= 2", "x #62;= 3 and y #60;= 2"),
    ("#1 | [x] {y};", "#35;1 #124; #91;x#93; #123;y#125;#59;"),
    ("two\nlines", "two lines"),
    ("Récapitulatif (d'été)", "Récapitulatif (d'été)"),
])
def test_escape(raw: str, safe: str) -> None:
    assert escape(raw) == safe


def test_cli_prints_both_diagrams(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "resource_declaration", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Déclaration de ressources (resource_declaration v2)\n")
    assert out.count("```mermaid\n") == 2
    assert "flowchart TD\n" in out
    assert "stateDiagram-v2\n" in out


@pytest.mark.parametrize("part, first", [("filling", "flowchart TD"),
                                         ("lifecycle", "stateDiagram-v2")])
def test_cli_prints_one_bare_diagram(part: str, first: str, wf: Workflow,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["diagram", "resource_declaration", str(ROOT), "--part", part, "--lang", "en",
            "--version", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == first
    draw = filling_diagram if part == "filling" else lifecycle_diagram
    assert out == draw(wf, "en")


@pytest.mark.parametrize("argv, message", [
    (["nope"], "démarche inconnue : nope (connues : "),
    (["resource_declaration", "--version", "9", "--lang", "en"],
     "unknown workflow: resource_declaration v9 (known: "),
])
def test_cli_unknown_workflow_is_exit_1(argv: list[str], message: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", argv[0], str(ROOT), *argv[1:]]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message)
    shipped = sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml"))
    known = captured.err[len(message):]
    assert "resource_declaration v2" in known
    assert all(f"{name} v" in known for name in shipped), (shipped, known)


def test_cli_crash_is_exit_2(monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    def broken(wf: Workflow, lang: str = "fr") -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine.__main__, "filling_diagram", broken)
    assert main(["diagram", "resource_declaration", str(ROOT)]) == 2
    assert "internal error while drawing resource_declaration: RuntimeError('boom')" in (
        capsys.readouterr().err)
