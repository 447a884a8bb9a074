"""SHACL validation with pyshacl-turbo, set-based SHACL-SPARQL, and the pySHACL hand-over.

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

SHACL-SPARQL constraints that may run once for all focus nodes instead of once per focus
node (:mod:`nervegraph.shacl.setsparql`; all of the bundled ones) are taken out of the shapes
turbo gets and run on the same Oxigraph store, and their results are merged too.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import rdflib
from rdflib import RDF, SH, URIRef
from rdflib.term import Node

from nervegraph.rdf.engines import oxigraph_store
from nervegraph.rdf.sparql import PRE_BOUND, constraint_query, scope_dependent_filters
from nervegraph.shacl.setsparql import run_set_constraints, set_constraints

log = logging.getLogger(__name__)

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


def hand_overs(shapes: rdflib.Graph) -> list[HandOver]:
    """Return the SHACL-SPARQL constraints of ``shapes`` that pySHACL must run."""
    found = []
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql)):
        query = constraint_query(shapes, constraint)
        if query is None:
            continue
        try:
            variables = scope_dependent_filters(query)
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
    from nervegraph.rdf.engines import to_oxigraph as to_ox

    store = pyoxigraph.Store()
    default = pyoxigraph.DefaultGraph()
    # term by term, so blank nodes keep their ids (reports name shapes by them)
    store.extend(pyoxigraph.Quad(to_ox(s), to_ox(p), to_ox(o), default) for s, p, o in graph)
    return store


def _memory_copy(graph: rdflib.Graph) -> rdflib.Graph:
    if oxigraph_store(graph) is None:
        return graph
    from nervegraph.rdf.engines import plain_literal

    copy = rdflib.Graph(bind_namespaces="none")
    for s, p, o in graph:
        copy.add((s, p, plain_literal(o)))
    return copy


def validate_turbo(
    data_graph: rdflib.Graph, shapes_graph: rdflib.Graph, allow_warnings: bool
) -> tuple[bool, rdflib.Graph, str]:
    """Validate with pyshacl-turbo, set-based SHACL-SPARQL and, where needed, pySHACL.

    Returns:
        ``(conforms, report graph, report text)`` as pySHACL's ``validate`` does.

    Raises:
        Exception: whatever the engines raise; :mod:`nervegraph.shacl.validate` words it.
    """
    import pyshacl_turbo

    handed = hand_overs(shapes_graph)
    if any(not isinstance(h.shape, URIRef) for h in handed):
        # pySHACL's use_shapes names shapes by IRI: a blank-node owner cannot be
        # singled out, so pySHACL validates everything.
        log.info("a scope-dependent constraint on a blank-node shape: pySHACL validates")
        return pyshacl_all(data_graph, shapes_graph, allow_warnings)
    set_based = set_constraints(shapes_graph)
    removed = [(h.shape, h.constraint) for h in handed]
    removed += [(c.shape, c.constraint) for c in set_based]
    turbo_shapes = shapes_graph
    if removed:
        turbo_shapes = rdflib.Graph(bind_namespaces="none")
        turbo_shapes += shapes_graph
        for shape, constraint in removed:
            turbo_shapes.remove((shape, SH.sparql, constraint))
    options = {
        "inference": "none",
        "advanced": True,
        "allow_warnings": allow_warnings,
        "allow_infos": allow_warnings,
        "do_owl_imports": False,
    }
    data_store = to_store(data_graph)
    turbo_store = to_store(turbo_shapes)
    extra: list[tuple[Node, Node, Node]] = []  # result descriptions to merge
    results: list[Node] = []  # the result nodes among them that the report lists
    set_ok = True
    # turbo (Rust) and Oxigraph both release the GIL while they work, so turbo runs in a
    # thread while the set-based queries run here: on two cores the set-based part costs
    # no wall time. Both only read the data store.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyshacl-turbo") as pool:
        turbo = pool.submit(pyshacl_turbo.validate, data_store, shacl_graph=turbo_store, **options)
        if set_based:
            set_ok, triples = run_set_constraints(data_store, set_based, allow_warnings)
            extra += triples
            results += [s for s, p, o in triples if p == RDF.type and o == SH.ValidationResult]
        conforms, report, text = turbo.result()
    if not isinstance(report, rdflib.Graph):  # turbo's ValidationFailure
        return bool(conforms), report, str(text)
    conforms = bool(conforms) and set_ok
    if handed:
        names = ", ".join(
            f"{h.constraint} ({' '.join('?' + v for v in h.variables)})" for h in handed
        )
        log.info("pySHACL runs the scope-dependent constraint(s) %s", names)
        ok, handed_report, handed_text = _run_handed(data_graph, shapes_graph, handed, options)
        conforms, text = bool(conforms) and ok, str(text) + str(handed_text)
        top = handed_report.value(predicate=RDF.type, object=SH.ValidationReport)
        extra += [t for t in handed_report if t[0] != top]
        results += list(handed_report.objects(top, SH.result))
    if not results:
        return bool(conforms), report, str(text)
    return bool(conforms), _merged(report, extra, results, bool(conforms)), str(text)


def _merged(
    report: rdflib.Graph,
    extra: list[tuple[Node, Node, Node]],
    results: list[Node],
    conforms: bool,
) -> rdflib.Graph:
    """Return ``report`` plus the ``extra`` triples, listing ``results`` as its results.

    ``sh:conforms`` is set to ``conforms``.
    """
    merged = rdflib.Graph(bind_namespaces="none")
    merged += report
    node = merged.value(predicate=RDF.type, object=SH.ValidationReport)
    if node is None:
        node = rdflib.BNode()
        merged.add((node, RDF.type, SH.ValidationReport))
    for triple in extra:
        merged.add(triple)
    for result in results:
        merged.add((node, SH.result, result))
    merged.set((node, SH.conforms, rdflib.Literal(conforms)))
    return merged


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
