"""Query-plan lint (not timed): no stored query makes rdflib join a cross product.

The lint replays what rdflib's evaluator (``rdflib/plugins/sparql/evaluate.py``) does
with a query's algebra at run time, tracking which variables are bound when each part
runs:

- ``evalPart`` sorts the triple patterns of a BGP again when it starts, by the number
  of variables still unbound *in the current context* (a stable sort, so the order
  rdflib wrote down at translate time only breaks ties), and ``evalBGP`` then nests
  the patterns in that order. All patterns with one unbound variable go first, joined
  or not: ``?x a ng:Cause`` and ``?s rdf:predicate ng:causes`` make a cross product.
- A join of two parts is *lazy* (the right part runs once per row of the left, with
  its variables bound) only when neither part contains a join (``analyse`` in
  ``algebra.py``); otherwise both parts run on their own and ``_join`` compares every
  pair of rows. MINUS always compares every pair.
- OPTIONAL runs its pattern once per row with the row's variables bound; FILTER
  (NOT) EXISTS runs its pattern once per row with the filtered pattern's variables.
- A property path with ``?`` or ``*`` whose two ends are unbound reads every triple
  of the graph (``MulPath._all_fwd_paths``).

A pattern that shares no variable with what is bound before it is a cross product.
It costs time only when both sides grow with the data, so it is allowed when the rows
before it are few (one row, VALUES, ontology or single-node lookups) or the pattern
itself reads few triples (ontology terms, or a constant subject, or a constant object
that is not a class or a property).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import BNode, URIRef, Variable

from conftest import query_names
from nervegraph.queries.catalogue import StoredQuery

# Predicates of the ontology: few triples, whatever the size of the data.
_SCHEMA = {RDFS.subPropertyOf, RDFS.subClassOf, RDFS.domain, RDFS.range, OWL.inverseOf}
# Predicates whose constant object is a class or a property: one triple per instance.
_EXTENT = {RDF.type, RDF.predicate}
# Parts that pass their rows through (with the variables they bind).
_PASS = {"Project", "Distinct", "Reduced", "OrderBy", "Slice", "Group", "Graph"}
_QUERY = {"SelectQuery", "ConstructQuery", "AskQuery", "DescribeQuery"}


def _variables(triple: tuple[Any, ...]) -> set[Any]:
    return {t for t in triple if isinstance(t, Variable | BNode)}


def _predicates(path: Any) -> Iterator[Any]:
    if isinstance(path, MulPath):
        yield from _predicates(path.path)
    elif isinstance(path, InvPath):
        yield from _predicates(path.arg)
    elif isinstance(path, SequencePath | AlternativePath):
        for arg in path.args:
            yield from _predicates(arg)
    else:
        yield path


def _reads_every_triple(path: Any) -> bool:
    """``?`` or ``*`` anywhere in the path: with both ends unbound, every node."""
    if isinstance(path, MulPath):
        return path.zero or _reads_every_triple(path.path)
    if isinstance(path, InvPath):
        return _reads_every_triple(path.arg)
    if isinstance(path, SequencePath | AlternativePath):
        return any(_reads_every_triple(arg) for arg in path.args)
    return False


def _few(triple: tuple[Any, ...], known: set[Any]) -> bool:
    """Whether the pattern reads few triples, however large the data."""
    subject, predicate, obj = triple
    if all(p in _SCHEMA for p in _predicates(predicate)):
        return True
    if isinstance(subject, URIRef) or subject in known:
        return True  # the triples of one node
    return isinstance(obj, URIRef) and predicate not in _EXTENT


def _n3(term: Any) -> str:
    return term.n3() if hasattr(term, "n3") else str(term)


@dataclass
class _Replay:
    """Replays rdflib's evaluation of an algebra tree and collects the costly joins."""

    problems: list[str] = field(default_factory=list)

    def run(self, node: Any, bound: frozenset[Any], few: bool) -> tuple[frozenset[Any], bool]:
        """Visit ``node`` run with ``bound`` variables set, once per row of ``few`` rows.

        Returns the variables its rows may bind and whether they are few.
        """
        name = node.name
        if name == "BGP":
            return self._bgp(node.triples, bound, few)
        if name == "Join":
            return self._join(node, bound, few)
        if name == "LeftJoin":
            left, left_few = self.run(node.p1, bound, few)
            right, right_few = self.run(node.p2, bound | left, left_few)
            self._exists(node.expr, bound | left | right, left_few)
            return left | right, left_few and right_few
        if name == "Filter":
            rows, rows_few = self.run(node.p, bound, few)
            scope = rows | (bound & (node._vars or set()))
            if node.get("no_isolated_scope"):
                scope |= bound
            self._exists(node.expr, scope, rows_few)
            return rows, rows_few
        if name == "Extend":
            rows, rows_few = self.run(node.p, bound, few)
            self._exists(node.expr, rows | bound, rows_few)
            return rows | {node.var}, rows_few
        if name == "Union":
            left, left_few = self.run(node.p1, bound, few)
            right, right_few = self.run(node.p2, bound, few)
            return left | right, left_few and right_few
        if name == "Minus":
            left, left_few = self.run(node.p1, bound, few)
            _, right_few = self.run(node.p2, bound, few)
            if not (left_few or right_few):
                self.problems.append("MINUS compares every pair of rows")
            return left, left_few
        if name == "ToMultiSet":
            if node.p.name == "values":
                names = {Variable(k) for row in node.p.res for k in row}
                return bound | names, few
            return self.run(node.p, bound, few)
        if name == "AggregateJoin":
            self.run(node.p, bound, few)
            out = {agg.res for agg in node.A}
            out |= {e for e in node.p.expr or [] if isinstance(e, Variable)}
            return frozenset(out), False
        if name == "Project":
            rows, rows_few = self.run(node.p, bound, few)
            return rows & set(node.PV), rows_few
        if name in _PASS or name in _QUERY:
            return self.run(node.p, bound, few)
        raise AssertionError(f"the lint does not know the algebra node {name}")

    def _bgp(
        self, triples: list[Any], bound: frozenset[Any], few: bool
    ) -> tuple[frozenset[Any], bool]:
        # evalPart: a stable sort by the variables unbound when the BGP starts.
        order = sorted(triples, key=lambda t: len(_variables(t) - bound))
        known = set(bound)
        for triple in order:
            names = _variables(triple)
            text = " ".join(_n3(t) for t in triple)
            pattern_few = _few(triple, known)
            if names and not names & known and not few and not pattern_few:
                self.problems.append(f"cross product: {text}")
            if isinstance(triple[1], Path) and _reads_every_triple(triple[1]):
                if len(names - known) == 2 and not {triple[0], triple[2]} & known:
                    self.problems.append(f"path with both ends unbound: {text}")
            few = few and pattern_few
            known |= names
        return frozenset(known), few

    def _join(self, node: Any, bound: frozenset[Any], few: bool) -> tuple[frozenset[Any], bool]:
        for one, other in ((node.p1, node.p2), (node.p2, node.p1)):
            if one.name == "BGP" and not one.triples:
                return self.run(other, bound, few)  # EXISTS graphs keep these joins
        left, left_few = self.run(node.p1, bound, few)
        if node.lazy:
            right, right_few = self.run(node.p2, bound | left, left_few)
            return left | right, right_few
        right, right_few = self.run(node.p2, bound, few)
        if not (left_few or right_few):
            self.problems.append(
                f"eager join ({node.p1.name} x {node.p2.name}) compares every pair of rows"
            )
        return left | right, left_few and right_few

    def _exists(self, expr: Any, scope: frozenset[Any], few: bool) -> None:
        stack = [expr]
        while stack:
            item = stack.pop()
            if isinstance(item, CompValue):
                if item.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                    # translateExists sets .graph as an attribute; the item keeps the parse
                    self.run(item.graph, scope, few)
                    continue
                stack.extend(v for k, v in item.items() if k != "_vars")
            elif isinstance(item, list | tuple):
                stack.extend(item)


def costly_joins(text: str, bound: frozenset[str] = frozenset()) -> list[str]:
    """Return the cross products and pairwise joins rdflib runs for ``text``."""
    replay = _Replay()
    replay.run(prepareQuery(text).algebra, frozenset(Variable(v) for v in bound), True)
    return replay.problems


def query_problems(query: StoredQuery) -> list[str]:
    """The costly joins of a stored query, with its required parameters or all of them.

    A bound parameter changes the order rdflib picks at run time.
    """
    required = frozenset(p.variable for p in query.params if p.required)
    every = frozenset(p.variable for p in query.params)
    found = costly_joins(query.text, required)
    if every != required:
        found += [f"{p} (all parameters given)" for p in costly_joins(query.text, every)]
    return found


PREFIXES = """
PREFIX ng: <https://w3id.org/nervegraph/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # Written down in this order already.
        ("SELECT * WHERE { ?a ng:p ?b . ?b ng:q ?c . ?x a ng:C . }", "cross product"),
        # Written down joined, run as a cross product: both patterns with one unbound
        # variable go first (the bug of the stored queries before).
        (
            "SELECT * WHERE { ?c a ng:Condition ; ng:hasSymptom ?s . ?st rdf:subject ?c ;"
            " rdf:predicate ng:hasSymptom ; rdf:object ?s . }",
            "cross product: ?st",
        ),
        # Per row of the left part, a pattern that ignores the row.
        (
            "SELECT * WHERE { ?l a ng:Level . OPTIONAL { ?l ng:rank ?r . ?o a ng:Level ;"
            " ng:rank ?r . } }",
            "cross product: ?o",
        ),
        ("SELECT * WHERE { ?a ng:p ?b . FILTER EXISTS { ?x a ng:C } }", "cross product"),
        # A join above a join is not lazy: every pair of rows.
        ("SELECT * WHERE { { ?a ng:p ?b . } { ?b ng:q ?c . } { ?c ng:r ?d . } }", "eager join"),
        ("SELECT * WHERE { ?a ng:p ?b . MINUS { ?a ng:q ?c . } }", "MINUS"),
        ("SELECT * WHERE { ?a ng:p?/ng:q ?b . }", "path with both ends unbound"),
    ],
)
def test_lint_finds(text: str, problem: str) -> None:
    found = costly_joins(PREFIXES + text)
    assert any(p.startswith(problem) for p in found), found


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?st rdf:predicate ng:p ; rdf:subject ?c . { ?c a ng:C . } }",
        # Few rows before: one VALUES row, ontology terms, one node's triples.
        "SELECT * WHERE { VALUES ?r { ng:p } ?st rdf:predicate ?r . ?x a ng:C . }",
        "SELECT * WHERE { ?p <http://www.w3.org/2000/01/rdf-schema#subPropertyOf>+ ng:r ."
        " ?s ?p ?o . }",
        "SELECT * WHERE { ?s ng:p ?o . FILTER NOT EXISTS { ?s ng:q ?x . } }",
    ],
)
def test_lint_passes(text: str) -> None:
    assert costly_joins(PREFIXES + text) == []


@pytest.mark.parametrize("name", query_names())
def test_no_costly_join(name: str, catalogue: dict[str, StoredQuery]) -> None:
    assert query_problems(catalogue[name]) == [], name
