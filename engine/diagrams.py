"""A compiled workflow drawn as Mermaid text, for analysts (docs/diagrams.md).

Two diagrams per workflow version: :func:`filling_diagram` (the steps a member goes through, each
arrow labelled with the source text of its condition) and :func:`lifecycle_diagram` (what staff
do after submission). Both are generated from the compiled :class:`~engine.definitions.Workflow`,
not from the ``transitions`` machines, so the text is deterministic: same definition, same text,
in the definition's order. Nothing is rendered here; the web page or a Mermaid viewer does that.
"""

from __future__ import annotations

import re

from engine.definitions import Step, Workflow

_WORDS = {
    "start": ("Début", "Start"),
    "submit": ("Envoi", "Submission"),
    "otherwise": ("sinon", "otherwise"),
    "skipped": ("sautée sauf si", "skipped unless"),
    "review": ("relecture avant envoi", "review before sending"),
    "reason": ("motif obligatoire", "reason required"),
    "member": ("membre", "member"),
    "amend": ("modifiable par le membre", "the member can still change it"),
}

# Mermaid reads "#name;" / "#123;" as a character, in every diagram type: the one escape that works
# inside quoted node labels, edge labels and the free text after ":" alike.
_ESCAPES = {c: f"#{ord(c)};" for c in '"#|<>[]{};&`\\'}
_ID = re.compile(r"[a-z0-9_]")


def _word(key: str, lang: str) -> str:
    fr, en = _WORDS[key]
    return en if lang == "en" else fr


def escape(text: str) -> str:
    """``text`` made safe for any Mermaid label: one line, no character Mermaid would parse."""
    one_line = " ".join(text.split())
    return "".join(_ESCAPES.get(c, c) for c in one_line)


def _node_id(prefix: str, name: str) -> str:
    # Definition names are already [a-z][a-z0-9_]*; the prefix keeps Mermaid keywords ("end",
    # "graph", "state") out of the ids, and the replacement keeps any other name injective.
    return prefix + "".join(c if _ID.fullmatch(c) else f"_{ord(c)}_" for c in name)


def _comment(wf: Workflow, lang: str) -> str:
    return f"    %% {escape(wf.id)} v{wf.version}: {escape(wf.title.text(lang))}"


def filling_diagram(wf: Workflow, lang: str = "fr") -> str:
    """The steps as a ``flowchart TD``: a node per step (title and name), the start, the review step
    (rounded, thick border), steps with ``skip_unless`` (dashed border and the condition), an arrow
    per ``next`` target labelled with its condition, "otherwise" on the unconditional fallback."""
    lines = ["flowchart TD", _comment(wf, lang)]
    lines.append(f'    wf_start(("{escape(_word("start", lang))}"))')
    for step in wf.steps.values():
        lines.append(f"    {_step_node(step, lang)}")
    lines.append(f'    wf_submit((("{escape(_word("submit", lang))}")))')
    lines.append(f"    wf_start --> {_node_id('step_', wf.start)}")
    for step in wf.steps.values():
        source = _node_id("step_", step.name)
        conditional = any(t.when is not None for t in step.next)
        for target in step.next:
            dest = _node_id("step_", target.to)
            if target.when is not None:
                label = target.when.text
            elif conditional:
                label = _word("otherwise", lang)
            else:
                lines.append(f"    {source} --> {dest}")
                continue
            lines.append(f'    {source} -->|"{escape(label)}"| {dest}')
        if step.review:
            lines.append(f"    {source} --> wf_submit")
    lines += ["    classDef review stroke-width:3px",
              "    classDef skippable stroke-dasharray:5 5",
              "    classDef terminal fill:#eee"]
    reviews = [_node_id("step_", s.name) for s in wf.steps.values() if s.review]
    skippable = [_node_id("step_", s.name) for s in wf.steps.values() if s.skip_unless is not None]
    if reviews:
        lines.append(f"    class {','.join(reviews)} review")
    if skippable:
        lines.append(f"    class {','.join(skippable)} skippable")
    lines.append("    class wf_start,wf_submit terminal")
    return "\n".join(lines) + "\n"


def _step_node(step: Step, lang: str) -> str:
    parts = [escape(step.title.text(lang)), escape(f"({step.name})")]
    if step.review:
        parts.append(escape(_word("review", lang)))
    if step.skip_unless is not None:
        parts.append(escape(f"{_word('skipped', lang)} {step.skip_unless.text}"))
    label = "<br/>".join(parts)
    node = _node_id("step_", step.name)
    return f'{node}(["{label}"])' if step.review else f'{node}["{label}"]'


def lifecycle_diagram(wf: Workflow, lang: str = "fr") -> str:
    """The lifecycle as a ``stateDiagram-v2``: the submission enters each ``initial`` target
    (with its condition, "otherwise" on the fallback), each staff
    transition is ``from --> to : title (role)`` with "(reason required)" when staff must give one,
    each decision (a state staff cannot leave) ends, and amendable states carry a note."""
    cycle = wf.lifecycle
    lines = ["stateDiagram-v2", _comment(wf, lang)]
    for state, title in cycle.states.items():
        lines.append(f'    state "{escape(title.text(lang))}" as {_node_id("st_", state)}')
    submit = f"{_word('submit', lang)} ({_word('member', lang)})"
    conditional = any(t.when is not None for t in cycle.entries)
    for target in cycle.entries:
        label = submit
        if target.when is not None:
            label += f" [{target.when.text}]"
        elif conditional:
            label += f" [{_word('otherwise', lang)}]"
        lines.append(f"    [*] --> {_node_id('st_', target.to)} : {escape(label)}")
    for transition in cycle.transitions:
        label = f"{transition.title.text(lang)} ({transition.role})"
        if transition.reason:
            label += f" ({_word('reason', lang)})"
        for source in transition.sources:
            lines.append(f"    {_node_id('st_', source)} --> {_node_id('st_', transition.dest)} "
                         f": {escape(label)}")
    for state in cycle.states:
        if state in cycle.decisions:
            lines.append(f"    {_node_id('st_', state)} --> [*]")
    for state in cycle.states:
        if state in cycle.member_can_amend_in:
            lines.append(f"    note right of {_node_id('st_', state)} : "
                         f"{escape(_word('amend', lang))}")
    return "\n".join(lines) + "\n"
