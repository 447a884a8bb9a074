"""SHACL-SPARQL constraints run once for all focus nodes ("set-based").

SHACL (5.3) evaluates a SPARQL-based constraint once per focus node, with ``$this``
pre-bound. For a constraint of the form below, running the SELECT once with ``$this``
free and keeping the solutions whose ``$this`` is a focus node gives the same solutions:

* it belongs to a node shape that is used only through its own targets
  (``sh:targetClass``, ``sh:targetNode``, ``sh:targetSubjectsOf``,
  ``sh:targetObjectsOf``), never through ``sh:node``/``sh:property``/logical
  constraints of another shape, which would evaluate it for other value nodes;
* its SELECT binds ``$this`` in a required triple pattern of its top-level group (not
  only inside an OPTIONAL or a UNION branch), so every solution binds ``$this``;
* nothing in it reads ``$this`` from outside its own group (:func:`set_safe`): no
  FILTER or BIND nested in a group that does not bind it, no sub-select, MINUS,
  VALUES, aggregate, LIMIT/OFFSET, named graph or ``$shapesGraph``/``$currentShape``;
* it is not scope-dependent (:func:`nervegraph.rdf.sparql.scope_dependent_filters`): those
  go to pySHACL (:mod:`nervegraph.shacl.turbo`), whose answers are the reference.

Per focus node that is one query each (13,000 at 100 articles, ~130 µs apiece); the
set-based form is one query for the whole graph (``ngsh:StatedRelationIsBacked``:
2.6 s -> 0.08 s at 100 articles). The results are the same (focus node, path, value,
component, severity, messages) as pySHACL's and pyshacl-turbo's: ``tests/test_engines.py``
compares them on every shape fixture and on the bundled graph, ``tests/test_setsparql.py``
on shapes built to tell the two evaluations apart. Constraints of any other form stay
with pyshacl-turbo.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import rdflib
from rdflib import OWL, RDF, RDFS, SH, BNode, Literal, URIRef
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

from nervegraph.errors import NervegraphError
from nervegraph.rdf.sparql import (
    constraint_query,
    expression_variables,
    parse_algebra,
    pattern_variables,
    scope_dependent_filters,
    walk,
)

log = logging.getLogger(__name__)

#: target predicates whose focus nodes :meth:`_Focus.of` computes
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
#: algebra operators whose answer for one focus node is not a slice of the global answer
_UNSAFE_OPERATORS = frozenset(
    {
        "Minus",
        "Slice",
        "Group",
        "AggregateJoin",
        "ToMultiSet",
        "values",
        "Graph",
        "ServiceGraphPattern",
        "SubSelect",
    }
)
#: operators over one pattern ``p`` whose solutions bind what ``p``'s solutions bind
_ONE_PATTERN = frozenset(
    {"Filter", "Extend", "Project", "Distinct", "Reduced", "OrderBy", "SelectQuery"}
)
_SHAPE_VARIABLES = frozenset({"shapesGraph", "currentShape"})
#: SHACL instances of ?t (pyoxigraph binds ?t only when it is projected)
_INSTANCES = (
    "SELECT DISTINCT ?x ?t WHERE { ?x <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/"
    "<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?t }"
)
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class SetConstraint:
    """A SHACL-SPARQL constraint of a node shape that runs once for all focus nodes."""

    shape: Node
    constraint: Node
    query: str
    severity: Node
    messages: tuple[Literal, ...]
    targets: tuple[tuple[Node, Node], ...] = field(default=())


# ---------------------------------------------------------------- which constraints


def _required(node: Any) -> set[str]:
    """Variables every solution of ``node`` binds through a triple pattern."""
    if not isinstance(node, CompValue):
        return set()
    if node.name == "BGP":
        return pattern_variables(node)
    if node.name == "Join":
        return _required(node.get("p1")) | _required(node.get("p2"))
    if node.name == "LeftJoin":
        return _required(node.get("p1"))
    if node.name == "Union":
        return _required(node.get("p1")) & _required(node.get("p2"))
    if node.name in _ONE_PATTERN:
        return _required(node.get("p"))
    return set()


def set_safe(query_text: str) -> bool:
    """Return whether ``query_text`` may run once with ``$this`` free (see the module).

    Raises:
        Exception: ``query_text`` does not parse (the caller decides).
    """
    algebra = parse_algebra(query_text)
    if algebra.name != "SelectQuery" or "this" not in {str(v) for v in algebra.get("PV", [])}:
        return False
    if scope_dependent_filters(query_text):  # pySHACL runs it (turbo.hand_overs)
        return False
    projects = 0
    for node in walk(algebra):
        if isinstance(node, Variable) and str(node) in _SHAPE_VARIABLES:
            return False
        if not isinstance(node, CompValue):
            continue
        if node.name in _UNSAFE_OPERATORS:
            return False
        if node.name == "Project":
            projects += 1
        # An expression nested in a group that does not bind $this would see it unbound
        # here but bound (pre-bound) in per-focus evaluation.
        if node.name in ("Filter", "Extend") and node.get("p") is not None:
            reads = expression_variables(node.get("expr"))
            if "this" in reads and "this" not in pattern_variables(node.get("p")):
                return False
    return projects == 1 and "this" in _required(algebra)


def _deactivated(shapes: rdflib.Graph, node: Node) -> bool:
    return any(
        isinstance(v, Literal) and v.toPython() is True
        for v in shapes.objects(node, SH.deactivated)
    )


def _only_own_targets(shapes: rdflib.Graph, shape: Node) -> bool:
    """The shape is a node shape reached only through the targets we can compute."""
    if (shape, SH.path, None) in shapes or (None, None, shape) in shapes:
        return False
    if (shape, SH.target, None) in shapes:
        return False
    types = set(shapes.objects(shape, RDF.type))
    return not types & {RDFS.Class, OWL.Class}


def set_constraints(shapes: rdflib.Graph) -> list[SetConstraint]:
    """Return the SHACL-SPARQL constraints of ``shapes`` that can run set-based."""
    found = []
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql)):
        query = constraint_query(shapes, constraint)
        if query is None or _deactivated(shapes, shape) or _deactivated(shapes, constraint):
            continue
        if not _only_own_targets(shapes, shape):
            continue
        try:
            if not set_safe(query):
                continue
        except Exception:  # noqa: BLE001 - the SHACL engine reports a bad query itself
            continue
        messages = tuple(
            m
            for node in (constraint, shape)
            for m in sorted(shapes.objects(node, SH.message))
            if isinstance(m, Literal)
        )
        targets = tuple(sorted((p, o) for p in _TARGETS for o in shapes.objects(shape, p)))
        found.append(
            SetConstraint(
                shape=shape,
                constraint=constraint,
                query=query,
                severity=shapes.value(shape, SH.severity) or SH.Violation,
                messages=messages,
                targets=targets,
            )
        )
    return found


# ---------------------------------------------------------------- running them


class _Focus:
    """Lazily computed focus-node sets per shape, from the data store."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.cache: dict[Node, set[Node]] = {}

    def _objects(self, query: str, term: Node) -> set[Node]:
        import pyoxigraph

        from nervegraph.rdf.engines import to_oxigraph as to_ox
        from nervegraph.rdf.engines import to_rdflib as from_ox

        rows = self.store.query(query, substitutions={pyoxigraph.Variable("t"): to_ox(term)})
        return {from_ox(row[0]) for row in rows}

    def of(self, item: SetConstraint) -> set[Node]:
        if item.shape in self.cache:
            return self.cache[item.shape]
        nodes: set[Node] = set()
        for predicate, value in item.targets:
            if predicate == SH.targetNode:
                nodes.add(value)
            elif predicate == SH.targetClass:
                nodes |= self._objects(_INSTANCES, value)
            elif predicate == SH.targetSubjectsOf:
                nodes |= self._objects("SELECT DISTINCT ?x ?t WHERE { ?x ?t ?o }", value)
            elif predicate == SH.targetObjectsOf:
                nodes |= self._objects("SELECT DISTINCT ?x ?t WHERE { ?s ?t ?x }", value)
        self.cache[item.shape] = nodes
        return nodes


def _render(message: Literal, row: dict[str, Node]) -> Literal:
    def substitute(match: re.Match[str]) -> str:
        value = row.get(match.group(1))
        return str(value) if value is not None else match.group(0)

    return Literal(_TEMPLATE.sub(substitute, str(message)), lang=message.language)


def run_set_constraints(
    store: Any, constraints: list[SetConstraint], allow_warnings: bool
) -> tuple[bool, list[tuple[Node, Node, Node]]]:
    """Run ``constraints`` on a pyoxigraph ``store``; return (conforms, result triples).

    The triples describe one ``sh:ValidationResult`` blank node per solution whose
    ``$this`` is a focus node of the constraint's shape, as SHACL 5.3.2 words them;
    the caller links them to its report with ``sh:result``.

    Raises:
        NervegraphError: a solution binds ``?failure`` to true (SHACL 5.3.2).
    """
    from nervegraph.rdf.engines import to_rdflib as from_ox

    focus = _Focus(store)
    conforms = True
    triples: list[tuple[Node, Node, Node]] = []
    for item in constraints:
        solutions = store.query(item.query)
        names = [v.value for v in solutions.variables]
        for solution in solutions:
            row = {name: from_ox(solution[name]) for name in names if solution[name] is not None}
            if row.get("failure") == Literal(True):
                raise NervegraphError(
                    f"SHACL-SPARQL constraint {item.constraint} reported a failure"
                )
            this = row.get("this")
            if this is None or this not in focus.of(item):
                continue
            result = BNode()
            triples += [
                (result, RDF.type, SH.ValidationResult),
                (result, SH.focusNode, this),
                (result, SH.value, row.get("value", this)),
                (result, SH.resultSeverity, item.severity),
                (result, SH.sourceConstraint, item.constraint),
                (result, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent),
                (result, SH.sourceShape, item.shape),
            ]
            if "path" in row and isinstance(row["path"], URIRef):
                triples.append((result, SH.resultPath, row["path"]))
            triples += [(result, SH.resultMessage, _render(m, row)) for m in item.messages]
            if item.severity == SH.Violation or not allow_warnings:
                conforms = False
        log.debug("set-based %s: done", item.constraint)
    return conforms, triples


__all__ = ["SetConstraint", "run_set_constraints", "set_constraints", "set_safe"]
