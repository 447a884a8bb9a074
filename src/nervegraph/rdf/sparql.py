"""SPARQL text read by a real parser: its form, whether it reads remote data, its algebra.

Every decision about a query's text (is it a SELECT or a CONSTRUCT? does it call
``SERVICE``?) is taken from rdflib's SPARQL grammar, never from scanning the text: a
scanner disagrees with the engine on escapes, comments and prefixed names, and an
attacker needs only one such disagreement to smuggle a ``SERVICE`` call past it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pyparsing import ParseResults
from rdflib import SH, Graph
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

from nervegraph.errors import QueryError

#: rdflib's pyparsing grammar is not safe to use from several threads at once: the
#: first parse of a query form from 8 threads failed in every one and could leave the
#: grammar broken for the process (tests/test_concurrency.py). Parsing is serialised.
_PARSE_LOCK = threading.Lock()

#: the parse tree's name of each query form
_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}

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

    with _PARSE_LOCK:
        return prepareQuery(query_text).algebra


def parse_tree(text: str) -> Any:
    """Return rdflib's parse tree of the SPARQL query ``text`` (grammar only, no algebra).

    Prefixes are not resolved here, so SHACL-SPARQL bodies (whose prefixes come from
    ``sh:prefixes``) parse too.

    Raises:
        QueryError: ``text`` is not a SPARQL 1.1 query, with line and column.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        with _PARSE_LOCK:
            return parseQuery(text)
    except ParseException as exc:
        try:
            with _PARSE_LOCK:
                parseUpdate(text)
        except Exception:  # noqa: BLE001, S110 - not an update either: report the query error
            pass
        else:
            raise QueryError(
                "this is a SPARQL update (LOAD, INSERT, DELETE, CLEAR, ...); "
                "nervegraph runs queries only"
            ) from None
        raise QueryError(
            f"SPARQL syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - rdflib raises assorted errors on bad input
        raise QueryError(f"invalid SPARQL: {str(exc)[:200]}") from None


def query_form(tree: Any) -> str:
    """Return ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` for a :func:`parse_tree`."""
    return _FORMS[tree[1].name]


def remote_reads(tree: Any) -> list[str]:
    """Return what in a :func:`parse_tree` would read data from elsewhere, or ``[]``.

    ``SERVICE`` (silent or not, IRI or variable), ``FROM`` and ``FROM NAMED``.
    """
    found = set()
    for node in walk(tree):
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                found.add("SERVICE")
            elif node.name == "DatasetClause":
                found.add("FROM NAMED" if "named" in node else "FROM")
    return sorted(found)


def check_offline(query: str | Any) -> Any:
    """Return the parse tree of ``query`` (text or :func:`parse_tree`) if it reads nothing remote.

    Raises:
        QueryError: ``query`` does not parse, or uses SERVICE, FROM or FROM NAMED.
    """
    tree = parse_tree(query) if isinstance(query, str) else query
    reads = remote_reads(tree)
    if reads:
        raise QueryError(
            f"query uses {' and '.join(reads)}, which would read remote or external data; "
            "nervegraph queries run on the local graph only "
            "(pass --allow-network, or allow_network=True, to run it anyway)"
        )
    return tree


def walk(node: Any) -> Iterator[Any]:
    """Yield every value in an rdflib parse or algebra tree, depth first."""
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
        elif isinstance(item, list | tuple | ParseResults):
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
        elif isinstance(item, list | tuple | ParseResults):
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
