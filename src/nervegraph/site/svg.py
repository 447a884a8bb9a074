"""Self-drawn SVG diagrams: the ontology's classes and relations, and a mechanism chain.

The layout is deterministic (no randomness, ties broken by name): classes are put in
columns by longest path along the relations, ordered in each column by the mean
position of their neighbours, and joined by labelled curves.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from dataclasses import dataclass
from html import escape

from rdflib import Literal, URIRef

from .model import NGNS, SiteModel, local_name

FONT = 12
CHAR_W = 6.6  # average glyph width at FONT px in a sans-serif face
LINE_H = 15
BOX_W = 150
PAD = 8


def _wrap(text: str, width: int = 20) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def _text_w(text: str) -> float:
    return len(text) * CHAR_W


@dataclass
class _Box:
    key: str
    lines: list[str]
    href: str
    x: float = 0.0
    y: float = 0.0
    w: float = BOX_W
    h: float = 0.0
    fill: str = "#eef3fb"

    def __post_init__(self) -> None:
        self.h = len(self.lines) * LINE_H + 2 * PAD


def _box_svg(box: _Box, root: str) -> str:
    tspans = "".join(
        f'<tspan x="{box.x + box.w / 2:.1f}" dy="{LINE_H if i else 0}">{escape(line)}</tspan>'
        for i, line in enumerate(box.lines)
    )
    first = box.y + PAD + LINE_H - 3.5
    return (
        f'<a href="{escape(root + box.href)}">'
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="5" '
        f'fill="{box.fill}" stroke="#1f5fa8"/>'
        f'<text x="{box.x + box.w / 2:.1f}" y="{first:.1f}" text-anchor="middle">{tspans}</text>'
        "</a>"
    )


def _label_svg(x: float, y: float, text: str) -> str:
    w = _text_w(text) + 6
    return (
        f'<rect x="{x - w / 2:.1f}" y="{y - 8:.1f}" width="{w:.1f}" height="14" fill="#fff" '
        f'fill-opacity="0.85"/>'
        f'<text x="{x:.1f}" y="{y + 3:.1f}" text-anchor="middle" class="edge">{escape(text)}</text>'
    )


def _frame(name: str, width: float, height: float, title: str, body: list[str]) -> str:
    marker = f"arrow-{name}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}">\n'
        f"<title>{escape(title)}</title>\n"
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="#555"/></marker></defs>\n'
        f"<style>text {{ font: {FONT}px sans-serif; fill: #1d2433; }} "
        f"text.edge {{ font-size: 11px; fill: #444; }} "
        f"path.edge {{ fill: none; stroke: #777; stroke-width: 1.2; }} "
        f"path.sub {{ stroke-dasharray: 5 3; stroke: #9aa; }}</style>\n"
        + "\n".join(body).replace("MARKER", marker)
        + "\n</svg>\n"
    )


def _curve(a: _Box, b: _Box, cls: str = "edge") -> tuple[str, float, float]:
    """A cubic curve from box ``a`` to box ``b``; returns the path and its midpoint."""
    if a is b:  # a loop over the top right corner
        x, y = a.x + a.w - 20, a.y
        d = f"M{x:.1f},{y:.1f} C{x:.1f},{y - 30:.1f} {x + 45:.1f},{y - 30:.1f} {x + 20:.1f},{y:.1f}"
        return (f'<path class="{cls}" d="{d}" marker-end="url(#MARKER)"/>', x + 12, y - 24)
    if b.x > a.x + a.w / 2:
        x1, y1, x2, y2 = a.x + a.w, a.y + a.h / 2, b.x, b.y + b.h / 2
        dx = max(40.0, (x2 - x1) / 2)
        c1, c2 = (x1 + dx, y1), (x2 - dx, y2)
    elif b.x < a.x - a.w / 2:
        x1, y1, x2, y2 = a.x, a.y + a.h / 2, b.x + b.w, b.y + b.h / 2
        dx = max(40.0, (x1 - x2) / 2)
        c1, c2 = (x1 - dx, y1 + 30), (x2 + dx, y2 + 30)
    else:  # same column: bow out to the right
        x1, y1, x2, y2 = a.x + a.w, a.y + a.h / 2, b.x + b.w, b.y + b.h / 2
        bow = 40 + abs(y2 - y1) / 4
        c1, c2 = (x1 + bow, y1), (x2 + bow, y2)
    d = f"M{x1:.1f},{y1:.1f} C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {x2:.1f},{y2:.1f}"
    mx = 0.125 * x1 + 0.375 * c1[0] + 0.375 * c2[0] + 0.125 * x2
    my = 0.125 * y1 + 0.375 * c1[1] + 0.375 * c2[1] + 0.125 * y2
    return f'<path class="{cls}" d="{d}" marker-end="url(#MARKER)"/>', mx, my


def _layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layers after dropping the back edges of a depth-first search."""
    succ: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(set(edges)):
        if a != b:
            succ[a].append(b)
    state: dict[str, int] = {}
    forward: list[tuple[str, str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        for nxt in succ[node]:
            if state.get(nxt) == 1:
                continue  # a back edge closes a cycle: ignored for layering
            forward.append((node, nxt))
            if nxt not in state:
                visit(nxt)
        state[node] = 2

    for node in nodes:
        if node not in state:
            visit(node)
    preds: dict[str, list[str]] = defaultdict(list)
    for a, b in forward:
        preds[b].append(a)
    layer: dict[str, int] = {}

    def depth(node: str) -> int:
        if node not in layer:
            layer[node] = 0
            layer[node] = max((depth(p) + 1 for p in preds[node]), default=0)
        return layer[node]

    for node in nodes:
        depth(node)
    return layer


def ontology_svg(model: SiteModel, root: str = "") -> str:
    """The classes (boxes) and stated relations (domain → range curves) as SVG."""
    classes = {str(t.iri): t for t in model.classes}
    names = sorted(classes, key=lambda i: local_name(i))
    rel_edges = []
    for rel in model.relations:
        for d in rel.domain:
            for r in rel.range:
                if str(d) in classes and str(r) in classes:
                    rel_edges.append((str(d), str(r), rel.label))
    sub_edges = [
        (str(t.iri), str(p)) for t in model.classes for p in t.parents if str(p) in classes
    ]
    connected = {a for a, _, _ in rel_edges} | {b for _, b, _ in rel_edges}
    layer = _layers([n for n in names if n in connected], [(a, b) for a, b, _ in rel_edges])
    last = max(layer.values(), default=-1) + 1
    for name in names:  # classes in no relation: beside their superclass, else last
        if name not in layer:
            parents = [b for a, b in sub_edges if a == name and b in layer]
            layer[name] = layer[parents[0]] if parents else last
    columns: dict[int, list[str]] = defaultdict(list)
    for name in names:
        columns[layer[name]].append(name)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b, _ in rel_edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    order = sorted(columns)

    def _barycentre(n: str, col: int, position: dict[str, int]) -> tuple[float, str]:
        near = [position[m] for m in neighbours[n] if layer[m] != col]
        mean = sum(near) / len(near) if near else position[n]
        return (mean, local_name(n))

    for _ in range(4):  # barycentre sweeps, left to right then right to left
        for sweep in (order[1:], list(reversed(order[:-1]))):
            position = {n: i for c in order for i, n in enumerate(columns[c])}
            for col in sweep:
                columns[col].sort(key=lambda n, c=col, pos=position: _barycentre(n, c, pos))
    boxes = {
        n: _Box(n, _wrap(classes[n].label), f"ontology.html#{classes[n].anchor}") for n in names
    }
    gap_x, gap_y, margin = 110, 26, 20
    heights = {
        c: sum(boxes[n].h for n in columns[c]) + gap_y * (len(columns[c]) - 1) for c in order
    }
    tallest = max(heights.values(), default=0)
    for i, col in enumerate(order):
        y = margin + 20 + (tallest - heights[col]) / 2
        for n in columns[col]:
            boxes[n].x = margin + i * (BOX_W + gap_x)
            boxes[n].y = y
            y += boxes[n].h + gap_y
    width = margin * 2 + len(order) * (BOX_W + gap_x) - gap_x + 40
    height = margin * 2 + tallest + 50
    body = []
    for a, b in sorted(set(sub_edges)):
        path, _, _ = _curve(boxes[a], boxes[b], "edge sub")
        body.append(path)
    labels = []
    for a, b, text in sorted(rel_edges, key=lambda e: (e[0], e[1], e[2])):
        path, mx, my = _curve(boxes[a], boxes[b])
        body.append(path)
        labels.append(_label_svg(mx, my, text))
    body.extend(labels)  # under the boxes: a label never hides a class name
    body.extend(_box_svg(boxes[n], root) for n in names)
    legend_y = height - 14
    body.append(
        f'<text x="{margin}" y="{legend_y}" class="edge">solid: a stated relation (domain → '
        f"range); dashed: subclass of</text>"
    )
    return _frame("ontology", width, height, "nervegraph classes and relations", body)


def mechanism_steps(model: SiteModel, mechanism: URIRef) -> list[URIRef]:
    """The steps of ``mechanism`` in order: by ``ng:stepIndex``, then along ``ng:nextStep``."""
    graph = model.graph
    steps = [s for s in graph.objects(mechanism, NGNS.hasStep) if isinstance(s, URIRef)]

    def index(step: URIRef) -> tuple[int, str]:
        value = graph.value(step, NGNS.stepIndex)
        return (int(value) if isinstance(value, Literal) else 10**6, str(step))

    return sorted(set(steps), key=index)


def mechanism_svg(model: SiteModel, mechanism: URIRef, root: str = "") -> str:
    """One mechanism: its box, its steps left to right joined by ``next step``, its targets."""
    graph = model.graph
    steps = mechanism_steps(model, mechanism)
    mech = _Box(
        str(mechanism),
        _wrap(model.label(mechanism), 40),
        _page(model, mechanism),
        w=max(BOX_W, 40 * CHAR_W + 2 * PAD),
        fill="#fdf1d6",
    )
    step_boxes = [_Box(str(s), _wrap(model.label(s)), _page(model, s)) for s in steps]
    targets = []
    for prop in (NGNS.mechanismOf, NGNS.results):
        for obj in sorted(graph.objects(mechanism, prop), key=str):
            if isinstance(obj, URIRef):
                targets.append(
                    (
                        model.label(prop),
                        _Box(str(obj), _wrap(model.label(obj)), _page(model, obj), fill="#e9f6ec"),
                    )
                )
    gap, margin = 60, 20
    count = max(len(step_boxes), len(targets), 1)
    width = margin * 2 + count * (BOX_W + gap) - gap
    width = max(width, mech.w + 2 * margin)
    mech.x, mech.y = (width - mech.w) / 2, margin
    row_y = mech.y + mech.h + 60
    step_h = max((b.h for b in step_boxes), default=0)
    for i, box in enumerate(step_boxes):
        box.x, box.y = margin + i * (BOX_W + gap), row_y + (step_h - box.h) / 2
    target_y = row_y + step_h + 70
    target_w = len(targets) * (BOX_W + gap) - gap
    for i, (_, box) in enumerate(targets):
        box.x, box.y = (width - target_w) / 2 + i * (BOX_W + gap), target_y
    height = (
        (target_y + max((b.h for _, b in targets), default=0) + margin)
        if targets
        else (row_y + step_h + margin)
    )
    body = []
    labels = []
    for box in step_boxes:
        x1, y1 = mech.x + mech.w / 2, mech.y + mech.h
        x2, y2 = box.x + box.w / 2, box.y
        body.append(
            f'<path class="edge sub" d="M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}" '
            'marker-end="url(#MARKER)"/>'
        )
    if step_boxes:
        labels.append(_label_svg(mech.x + mech.w / 2, mech.y + mech.h + 22, "has step"))
    nexts = {(str(a), str(b)) for a in steps for b in graph.objects(a, NGNS.nextStep)}
    for a, b in zip(step_boxes, step_boxes[1:], strict=False):
        if (a.key, b.key) in nexts:
            path, mx, my = _curve(a, b)
            body.append(path)
            labels.append(_label_svg(mx, my - 12, "next step"))
    for i, (text, box) in enumerate(targets):
        x1, y1 = mech.x + mech.w / 2, mech.y + mech.h
        x2, y2 = box.x + box.w / 2, box.y
        c = 80 + 20 * i
        body.append(
            f'<path class="edge" d="M{x1:.1f},{y1:.1f} '
            f"C{x1:.1f},{y1 + c:.1f} {x2:.1f},{y2 - c:.1f} "
            f'{x2:.1f},{y2:.1f}" marker-end="url(#MARKER)"/>'
        )
        labels.append(_label_svg(x2, y2 - 10, text))
    body.append(_box_svg(mech, root))
    body.extend(_box_svg(b, root) for b in step_boxes)
    body.extend(_box_svg(b, root) for _, b in targets)
    body.extend(labels)
    return _frame(
        f"mechanism-{local_name(str(mechanism))}",
        width,
        height,
        f"Mechanism: {model.label(mechanism)}",
        body,
    )


def _page(model: SiteModel, iri: URIRef) -> str:
    entity = model.entity_by_iri.get(iri)
    return entity.page if entity else "entities.html"
