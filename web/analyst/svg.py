"""A workflow drawn as SVG on the server, for the analyst page (no script, no style).

The page CSP forbids scripts, ``style`` attributes and ``<style>`` elements, so Mermaid cannot
run in the browser: this module lays a :class:`Graph` out itself and writes SVG with presentation
attributes only (``fill``, ``stroke``, ``stroke-dasharray``...). The layout is deliberately
simple and deterministic:

* boxes top to bottom, in the order given (the builders use a breadth-first walk from the start);
* an arrow from a box to the box right below it is a straight line, its label in the gap;
* every other arrow leaves the box's right side, runs down (or up) a lane of its own at the
  right of the drawing and comes back into its target's right side; its label sits on the
  segment leaving the box;
* a label longer than :data:`LABEL_CHARS` is cut with "…" and the whole text is the arrow's
  ``<title>`` (a tooltip); a box's full text is its own ``<title>``.

:func:`filling_graph` (the steps, with the live drafts at each) and :func:`lifecycle_graph` (what
staff do) build the graphs from a compiled :class:`~engine.Workflow`, as
:mod:`engine.diagrams` does for Mermaid.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup, escape

from engine import Workflow

BOX_X, BOX_W, GAP, TOP = 10, 270, 46, 10
LINE_H, PAD, SLOT_H = 16, 9, 18
LABEL_ZONE, LANE_W = 240, 14
LABEL_CHARS, TEXT_CHARS = 34, 38

STYLES: Mapping[str, dict[str, str]] = {
    "terminal": {"rx": "20", "fill": "#eeeeee", "stroke": "#555555", "stroke-width": "1.5"},
    "step": {"rx": "4", "fill": "#ffffff", "stroke": "#1f4e79", "stroke-width": "1.5"},
    "skippable": {"rx": "4", "fill": "#ffffff", "stroke": "#1f4e79", "stroke-width": "1.5",
                  "stroke-dasharray": "6 4"},
    "review": {"rx": "16", "fill": "#eef4fb", "stroke": "#1f4e79", "stroke-width": "3.5"},
    "state": {"rx": "4", "fill": "#ffffff", "stroke": "#5b3a7a", "stroke-width": "1.5"},
    "decision": {"rx": "4", "fill": "#f4f0f8", "stroke": "#5b3a7a", "stroke-width": "3.5"},
}
"""The presentation attributes of each kind of box."""


@dataclass(frozen=True)
class Node:
    id: str
    lines: tuple[str, ...]
    """The first line is the heading (bold)."""
    kind: str
    data: Mapping[str, str] = field(default_factory=dict)
    """``data-*`` attributes of the box's group (``step``, ``state``, ``drafts``)."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class Graph:
    title: str
    desc: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def cut(text: str, limit: int) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[:limit - 1].rstrip() + "…"


def ordered(start: Iterable[str], following: Mapping[str, Iterable[str]],
            every: Iterable[str]) -> list[str]:
    """Breadth-first from ``start``, a box only once every box leading to it is placed (so the
    summary comes after the steps before it); in a cycle, the first box reached goes first.
    Names never reached come last, in their own order."""
    reached: list[str] = []
    queue = deque(start)
    while queue:  # plain breadth-first: what is reachable, in the order it is reached
        name = queue.popleft()
        if name not in reached:
            reached.append(name)
            queue.extend(t for t in following.get(name, ()) if t not in reached)
    waiting = {name: 0 for name in reached}
    for name in reached:
        for target in set(following.get(name, ())):
            if target in waiting and target != name:
                waiting[target] += 1
    placed: list[str] = []
    ready = deque(n for n in reached if waiting[n] == 0)
    while len(placed) < len(reached):
        if not ready:  # a cycle: take the first box reached that is not placed yet
            ready.append(next(n for n in reached if n not in placed))
        name = ready.popleft()
        if name in placed:
            continue
        placed.append(name)
        for target in dict.fromkeys(following.get(name, ())):
            if target in waiting and target not in placed:
                waiting[target] -= 1
                if waiting[target] == 0:
                    ready.append(target)
    return placed + [n for n in every if n not in placed]


# -- the two graphs of a workflow ----------------------------------------------------------------

def filling_graph(wf: Workflow, lang: str, drafts: Mapping[str, int]) -> Graph:
    """The steps of ``wf``: the start, each step with its live drafts, the conditions on the
    arrows ("otherwise" on the fallback), skipped-unless steps dashed, the summary distinct and
    leading to the submission."""
    title = wf.title.text(lang)
    graph = Graph(_("Steps of “%(title)s”, version %(version)s", title=title, version=wf.version),
                  _("A flowchart of the steps a member goes through, from the start to the"
                    " submission, each arrow labelled with its condition; each step shows how"
                    " many drafts are there now. The same figures are in the table below."))
    following = {name: [t.to for t in step.next] + (["wf_submit"] if step.review else [])
                 for name, step in wf.steps.items()}
    order = ordered([wf.start], following, wf.steps)
    graph.nodes.append(Node("wf_start", (_("Start"),), "terminal"))
    for name in order:
        if name == "wf_submit":
            continue
        step = wf.steps[name]
        lines = [step.title.text(lang), f"({name})"]
        kind = "review" if step.review else "skippable" if step.skip_unless else "step"
        if step.review:
            lines.append(_("summary, before sending"))
        if step.skip_unless is not None:
            lines.append(_("skipped unless %(condition)s", condition=step.skip_unless.text))
        count = drafts.get(name, 0)
        lines.append(_("Drafts here: %(count)s", count=count))
        graph.nodes.append(Node(name, tuple(lines), kind,
                                {"step": name, "drafts": str(count)}))
    graph.nodes.append(Node("wf_submit", (_("Submission"),), "terminal"))
    graph.edges.append(Edge("wf_start", wf.start))
    for name, step in wf.steps.items():
        conditional = any(t.when is not None for t in step.next)
        for target in step.next:
            label = target.when.text if target.when is not None else \
                _("otherwise") if conditional else ""
            graph.edges.append(Edge(name, target.to, label))
        if step.review:
            graph.edges.append(Edge(name, "wf_submit"))
    return graph


def lifecycle_graph(wf: Workflow, lang: str) -> Graph:
    """The lifecycle of ``wf``: the submission entering each initial state (with its
    condition), each staff transition as ``title (role)``, decisions with a thick border."""
    cycle = wf.lifecycle
    graph = Graph(_("Lifecycle of “%(title)s”, version %(version)s",
                    title=wf.title.text(lang), version=wf.version),
                  _("A diagram of the states a submitted procedure goes through, each arrow a"
                    " staff action with the role that takes it; the states staff cannot leave"
                    " are decisions (thick border)."))
    following: dict[str, list[str]] = {"lc_submit": [t.to for t in cycle.entries]}
    for transition in cycle.transitions:
        for source in transition.sources:
            following.setdefault(source, []).append(transition.dest)
    order = ordered(["lc_submit"], following, cycle.states)
    for name in order:
        if name == "lc_submit":
            graph.nodes.append(Node(name, (_("Submission (member)"),), "terminal"))
            continue
        lines = [cycle.states[name].text(lang), f"({name})"]
        if name in cycle.decisions:
            lines.append(_("decision"))
        if name in cycle.member_can_amend_in:
            lines.append(_("the member can still change it"))
        graph.nodes.append(Node(name, tuple(lines),
                                "decision" if name in cycle.decisions else "state",
                                {"state": name}))
    conditional = any(t.when is not None for t in cycle.entries)
    for target in cycle.entries:
        label = target.when.text if target.when is not None else \
            _("otherwise") if conditional else ""
        graph.edges.append(Edge("lc_submit", target.to, label))
    for transition in cycle.transitions:
        label = f"{transition.title.text(lang)} ({transition.role})"
        if transition.reason:
            label += " " + _("(reason required)")
        for source in transition.sources:
            graph.edges.append(Edge(source, transition.dest, label))
    return graph


# -- layout and drawing --------------------------------------------------------------------------

def _attrs(values: Mapping[str, str]) -> str:
    return "".join(f' {k}="{escape(v)}"' for k, v in values.items())


def _text(x: float, y: float, text: str, *, bold: bool = False, size: int = 12,
          anchor: str = "start", fill: str = "#111111") -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}"'
            f' fill="{fill}"{weight}>{escape(text)}</text>')


def render(graph: Graph, prefix: str) -> Markup:
    """``graph`` as one accessible ``<svg role="img">``; ``prefix`` makes its ids unique in
    the page."""
    index = {node.id: i for i, node in enumerate(graph.nodes)}
    edges = [e for e in graph.edges if e.source in index and e.target in index]
    straight: set[int] = set()
    seen_pairs: set[tuple[str, str]] = set()
    for i, edge in enumerate(edges):
        if index[edge.target] == index[edge.source] + 1 and \
                (edge.source, edge.target) not in seen_pairs:
            straight.add(i)
            seen_pairs.add((edge.source, edge.target))
    lane_edges = [i for i in range(len(edges)) if i not in straight]
    slots: dict[str, list[tuple[int, str]]] = {node.id: [] for node in graph.nodes}
    for i in lane_edges:  # exits first, then entries: an exit's label never meets an entry
        slots[edges[i].source].append((i, "out"))
    for i in lane_edges:
        slots[edges[i].target].append((i, "in"))
    tops: dict[str, float] = {}
    heights: dict[str, float] = {}
    y = float(TOP)
    for node in graph.nodes:
        height = max(len(node.lines) * LINE_H + 2 * PAD, SLOT_H * len(slots[node.id]) + 2 * PAD)
        tops[node.id], heights[node.id] = y, height
        y += height + GAP
    total_height = y - GAP + TOP
    right = BOX_X + BOX_W
    width = right + LABEL_ZONE + LANE_W * (len(lane_edges) + 1) + 10
    port: dict[tuple[int, str], float] = {}
    for node in graph.nodes:
        for k, key in enumerate(slots[node.id]):
            port[key] = tops[node.id] + PAD + SLOT_H * k + SLOT_H / 2
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    marker = f"{prefix}-arrow"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="analyst-diagram" role="img"'
           f' aria-labelledby="{title_id} {desc_id}" width="{width:g}"'
           f' height="{total_height:g}" viewBox="0 0 {width:g} {total_height:g}"'
           f' font-family="sans-serif">',
           f'<title id="{title_id}">{escape(graph.title)}</title>',
           f'<desc id="{desc_id}">{escape(graph.desc)}</desc>',
           f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5"'
           ' markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" fill="#333333"/></marker></defs>']
    for node in graph.nodes:
        top, tall = tops[node.id], heights[node.id]
        data = "".join(f' data-{k}="{escape(v)}"' for k, v in node.data.items())
        out.append(f'<g class="analyst-node analyst-node--{node.kind}"{data}>')
        out.append(f"<title>{escape(' — '.join(node.lines))}</title>")
        out.append(f'<rect x="{BOX_X}" y="{top:g}" width="{BOX_W}" height="{tall:g}"'
                   f'{_attrs(STYLES[node.kind])}/>')
        first = top + (tall - len(node.lines) * LINE_H) / 2 + LINE_H - 4
        for n, line in enumerate(node.lines):
            out.append(_text(BOX_X + BOX_W / 2, first + n * LINE_H, cut(line, TEXT_CHARS),
                             bold=n == 0, anchor="middle"))
        out.append("</g>")
    centre = BOX_X + BOX_W / 2
    for lane, i in enumerate(lane_edges, start=1):
        edge = edges[i]
        x = right + LABEL_ZONE + LANE_W * lane
        y1, y2 = port[(i, "out")], port[(i, "in")]
        out.append('<g class="analyst-edge">')
        if edge.label:
            out.append(f"<title>{escape(edge.label)}</title>")
        out.append(f'<path d="M{right},{y1:g} H{x:g} V{y2:g} H{right + 1}" fill="none"'
                   f' stroke="#333333" stroke-width="1.2" marker-end="url(#{marker})"/>')
        if edge.label:
            out.append(_text(right + 6, y1 - 4, cut(edge.label, LABEL_CHARS), size=11))
        out.append("</g>")
    for i in sorted(straight):
        edge = edges[i]
        y1 = tops[edge.source] + heights[edge.source]
        y2 = tops[edge.target]
        out.append('<g class="analyst-edge">')
        if edge.label:
            out.append(f"<title>{escape(edge.label)}</title>")
        out.append(f'<path d="M{centre:g},{y1:g} V{y2 - 1:g}" fill="none" stroke="#333333"'
                   f' stroke-width="1.2" marker-end="url(#{marker})"/>')
        if edge.label:
            out.append(_text(centre + 8, (y1 + y2) / 2 + 4, cut(edge.label, LABEL_CHARS),
                             size=11))
        out.append("</g>")
    out.append("</svg>")
    return Markup("\n".join(out))  # noqa: S704 - every text and value above went through escape()
