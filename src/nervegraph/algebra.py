"""Reading SHACL-SPARQL queries as rdflib algebra trees (shared by the SHACL engines)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from rdflib import SH, Graph
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

#: SHACL-SPARQL variables bound before the query runs (SHACL 5.3.1 pre-binding)
PRE_BOUND = frozenset({"this", "shapesGraph", "currentShape"})


@lru_cache(maxsize=256)
def parse_algebra(query_text: str) -> CompValue:
    """Return the algebra of ``query_text`` (cached: shapes are re-read per validation).

    Callers must not change the tree they get.

    Raises:
        Exception: ``query_text`` does not parse (the caller decides).
    """
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(query_text).algebra


def walk(node: Any) -> Iterator[Any]:
    """Yield every value in an rdflib algebra tree, depth first."""
    stack = [node]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def pattern_variables(node: Any, skip: set[int] | None = None) -> set[str]:
    """Return the names of the variables in triple patterns under ``node``.

    Subtrees whose ``id()`` is in ``skip`` are not entered.
    """
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if skip and id(item) in skip:
            continue
        if isinstance(item, CompValue) and item.name == "BGP":
            for triple in item.get("triples") or ():
                found.update(str(t) for t in triple if isinstance(t, Variable))
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def expression_variables(expr: Any) -> set[str]:
    """Return the variables an expression reads, those of its EXISTS patterns included."""
    found = {str(v) for v in walk(expr) if isinstance(v, Variable)}
    return found | pattern_variables(expr)


def constraint_query(shapes: Graph, constraint: Node) -> str | None:
    """Return the SELECT of a ``sh:SPARQLConstraint`` with its ``sh:prefixes`` declared."""
    select = shapes.value(constraint, SH.select)
    if select is None:
        return None
    lines = []
    for declarer in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(declarer, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>\n")
    return "".join(lines) + str(select)


def scope_dependent_filters(query_text: str) -> tuple[str, ...]:
    """Return the variables a nested FILTER of ``query_text`` reads from outside its group.

    A FILTER (or FILTER [NOT] EXISTS) inside a UNION branch or nested group that names a
    variable its own group does not bind, while the rest of the query binds it, gives
    different answers on rdflib (which passes the outer binding in) and on
    spec-conformant engines (where the variable is unbound there). Variables that SHACL
    pre-binds (``$this``) are not counted.

    Raises:
        Exception: ``query_text`` does not parse (the caller decides).
    """
    algebra = parse_algebra(query_text)
    problems: set[str] = set()
    for node in walk(algebra):
        if not (isinstance(node, CompValue) and node.name == "Filter"):
            continue
        expr, inner = node.get("expr"), node.get("p")
        reads = expression_variables(expr) - PRE_BOUND
        local = reads - pattern_variables(inner) if inner is not None else reads
        if not local:
            continue
        skip = {id(x) for x in walk(expr)} | {id(node)}
        elsewhere = pattern_variables(algebra, skip=skip)
        # the filter's own group, if it binds them, would be found via ``inner``
        problems |= local & elsewhere
    return tuple(sorted(problems))
