"""SHACL validation with pyshacl-turbo, and where it must hand over to pySHACL.

pyshacl-turbo runs SHACL (SHACL-SPARQL included) in Rust on Oxigraph and returns the
same (focus node, path, constraint component, value, severity) results as pySHACL
(``tests/test_engines.py``); its messages are worded differently. Data and shapes are
both handed over as pyoxigraph stores: with one side in rdflib, literals compare
differently (``sh:in`` then reports false violations).

One difference is not turbo's to fix. pySHACL evaluates a SHACL-SPARQL query with
rdflib, which feeds the bindings of the enclosing pattern into the branches of a
``UNION`` (and into nested groups), so a ``FILTER`` there sees variables bound outside
its group. SPARQL's own semantics (Oxigraph's) evaluate the group bottom-up, where those
variables are unbound. A constraint whose result depends on that is *scope-dependent*
(:func:`scope_dependent_filters`), e.g. ``FILTER NOT EXISTS { ?value a ?range }`` inside
a UNION branch that does not bind ``?value``. Such constraints are run by pySHACL,
everything else by turbo, and the two reports are merged, so the results stay those of
pySHACL. The bundled shapes have none (a test keeps it so): each FILTER sits in the
group that binds its variables, which is also what makes it correct on every engine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import rdflib
from rdflib import RDF, SH, URIRef
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

from .engine import oxigraph_store

log = logging.getLogger(__name__)

#: SHACL-SPARQL variables bound before the query runs (SHACL 5.3.1 pre-binding)
PRE_BOUND = frozenset({"this", "shapesGraph", "currentShape"})
#: predicates a reduced shape keeps when only its scope-dependent constraints run
_SHAPE_KEEP = {
    RDF.type,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
    SH.deactivated,
    SH.severity,
}


@dataclass(frozen=True)
class HandOver:
    """A SHACL-SPARQL constraint that pySHACL runs instead of pyshacl-turbo.

    Attributes:
        shape: the shape that has the constraint (``sh:sparql``).
        constraint: the ``sh:SPARQLConstraint`` node.
        variables: the variables its FILTER reads from outside its group.
    """

    shape: Node
    constraint: Node
    variables: tuple[str, ...]


def _walk(node: Any) -> Iterator[Any]:
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


def _variables(node: Any, skip: set[int] | None = None) -> set[str]:
    """Return the names of the variables in triple patterns under ``node``."""
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


def _expression_variables(expr: Any) -> set[str]:
    found = {str(v) for v in _walk(expr) if isinstance(v, Variable)}
    return found | _variables(expr)


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
    from rdflib.plugins.sparql import prepareQuery

    algebra = prepareQuery(query_text).algebra
    problems: set[str] = set()
    for node in _walk(algebra):
        if not (isinstance(node, CompValue) and node.name == "Filter"):
            continue
        expr, inner = node.get("expr"), node.get("p")
        reads = _expression_variables(expr) - PRE_BOUND
        local = reads - _variables(inner) if inner is not None else reads
        if not local:
            continue
        skip = {id(x) for x in _walk(expr)} | {id(node)}
        elsewhere = _variables(algebra, skip=skip)
        # the filter's own group, if it binds them, would be found via ``inner``
        problems |= local & elsewhere
    return tuple(sorted(problems))


def _prefixes(shapes: rdflib.Graph, constraint: Node) -> str:
    lines = []
    for declarer in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(declarer, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(lines) + "\n"


def hand_overs(shapes: rdflib.Graph) -> list[HandOver]:
    """Return the SHACL-SPARQL constraints of ``shapes`` that pySHACL must run."""
    found = []
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql)):
        select = shapes.value(constraint, SH.select)
        if select is None:
            continue
        try:
            variables = scope_dependent_filters(_prefixes(shapes, constraint) + str(select))
        except Exception:  # noqa: BLE001 - pySHACL will report a bad query itself
            log.debug("cannot parse the SPARQL of %s", constraint)
            continue
        if variables:
            found.append(HandOver(shape, constraint, variables))
    return found


def to_store(graph: rdflib.Graph) -> Any:
    """Return ``graph`` as a pyoxigraph store (its own store when it already is one)."""
    import pyoxigraph

    store = oxigraph_store(graph)
    if store is not None:
        return store
    from oxrdflib._converter import to_ox

    store = pyoxigraph.Store()
    default = pyoxigraph.DefaultGraph()
    # term by term, so blank nodes keep their ids (reports name shapes by them)
    store.extend(
        pyoxigraph.Quad(to_ox(s), to_ox(p), to_ox(o), default) for s, p, o in graph
    )
    return store


def _memory_copy(graph: rdflib.Graph) -> rdflib.Graph:
    if oxigraph_store(graph) is None:
        return graph
    from .engine import plain_literal

    copy = rdflib.Graph(bind_namespaces="none")
    for s, p, o in graph:
        copy.add((s, p, plain_literal(o)))
    return copy


def validate_turbo(
    data_graph: rdflib.Graph, shapes_graph: rdflib.Graph, allow_warnings: bool
) -> tuple[bool, rdflib.Graph, str]:
    """Validate with pyshacl-turbo, handing scope-dependent constraints to pySHACL.

    Returns:
        ``(conforms, report graph, report text)`` as pySHACL's ``validate`` does.

    Raises:
        Exception: whatever the engines raise; :mod:`nervegraph.validate` words it.
    """
    import pyshacl_turbo

    handed = hand_overs(shapes_graph)
    if any(not isinstance(h.shape, URIRef) for h in handed):
        # pySHACL's use_shapes names shapes by IRI: a blank-node owner cannot be
        # singled out, so pySHACL validates everything.
        log.info("a scope-dependent constraint on a blank-node shape: pySHACL validates")
        return pyshacl_all(data_graph, shapes_graph, allow_warnings)
    turbo_shapes = shapes_graph
    if handed:
        turbo_shapes = rdflib.Graph(bind_namespaces="none")
        turbo_shapes += shapes_graph
        for item in handed:
            turbo_shapes.remove((item.shape, SH.sparql, item.constraint))
    options = {
        "inference": "none",
        "advanced": True,
        "allow_warnings": allow_warnings,
        "allow_infos": allow_warnings,
        "do_owl_imports": False,
    }
    conforms, report, text = pyshacl_turbo.validate(
        to_store(data_graph), shacl_graph=to_store(turbo_shapes), **options
    )
    if not isinstance(report, rdflib.Graph):  # turbo's ValidationFailure
        return bool(conforms), report, str(text)
    if not handed:
        return bool(conforms), report, str(text)
    names = ", ".join(f"{h.constraint} ({' '.join('?' + v for v in h.variables)})" for h in handed)
    log.info("pySHACL runs the scope-dependent constraint(s) %s", names)
    ok, extra, extra_text = _run_handed(data_graph, shapes_graph, handed, options)
    merged = rdflib.Graph(bind_namespaces="none")
    merged += report
    report_node = merged.value(predicate=RDF.type, object=SH.ValidationReport)
    for triple in extra:
        if triple[1] == SH.result and report_node is not None:
            merged.add((report_node, SH.result, triple[2]))
        elif not (triple[1] == RDF.type and triple[2] == SH.ValidationReport) and not (
            triple[0] != report_node and triple[1] == SH.conforms
        ):
            merged.add(triple)
    all_ok = bool(conforms) and bool(ok)
    if report_node is not None:
        merged.set((report_node, SH.conforms, rdflib.Literal(all_ok)))
    return all_ok, merged, str(text) + str(extra_text)


def pyshacl_all(
    data_graph: rdflib.Graph, shapes_graph: rdflib.Graph, allow_warnings: bool
) -> tuple[bool, rdflib.Graph, str]:
    """Run pySHACL with nervegraph's settings (no inference, SHACL-SPARQL, no imports).

    The data goes to rdflib's memory store first: pySHACL needs it there.
    """
    import pyshacl

    conforms, report, text = pyshacl.validate(
        _memory_copy(data_graph),
        shacl_graph=shapes_graph,
        inference="none",
        advanced=True,
        allow_warnings=allow_warnings,
        allow_infos=allow_warnings,
        inplace=False,
        do_owl_imports=False,
    )
    return bool(conforms), report, str(text)


def _run_handed(
    data_graph: rdflib.Graph,
    shapes_graph: rdflib.Graph,
    handed: list[HandOver],
    options: dict[str, Any],
) -> tuple[bool, rdflib.Graph, str]:
    """Run only the handed-over constraints with pySHACL."""
    import pyshacl

    owners = {h.shape for h in handed}
    keep = {(h.shape, h.constraint) for h in handed}
    reduced = rdflib.Graph(bind_namespaces="none")
    for s, p, o in shapes_graph:
        if s in owners and p not in _SHAPE_KEEP and (s, o) not in keep:
            continue
        reduced.add((s, p, o))
    conforms, report, text = pyshacl.validate(
        _memory_copy(data_graph),
        shacl_graph=reduced,
        inplace=False,
        use_shapes=sorted(str(s) for s in owners),
        **options,
    )
    return bool(conforms), report, str(text)


__all__ = ["HandOver", "PRE_BOUND", "hand_overs", "scope_dependent_filters", "validate_turbo"]
