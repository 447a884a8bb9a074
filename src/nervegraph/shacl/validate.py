"""Validate a graph against the SHACL shapes with pySHACL.

Choices, so nobody has to guess:

* ``inference="none"``: the data states its types explicitly; RDFS/OWL inference would
  hide missing ``rdf:type`` triples that the shapes are meant to catch.
* ``advanced=True``: the shapes use SHACL-SPARQL constraints (e.g. "every sub-property of
  ``ng:statedRelation`` is backed by a statement"). Those look up ``rdfs:subPropertyOf``
  in the *data* graph, which is why :func:`nervegraph.rdf.load.load_graph` puts the ontology
  into the graph it returns.
* ``do_owl_imports=False`` and the offline guard (:func:`nervegraph.rdf.offline.offline`):
  validation never fetches an ``owl:imports`` or runs a ``SERVICE``; shapes whose
  SPARQL would read remote data, or whose ``sh:pattern`` can backtrack exponentially
  (``(a+)+``), are refused before pySHACL runs (:mod:`nervegraph.rdf.guards`).
* ``timeout``: validation can run in a forked child killed at the deadline
  (:func:`nervegraph.rdf.guards.call_with_timeout`); the CLI's ``--timeout`` sets it.
* ``allow_warnings=True``: results of severity ``sh:Warning`` and ``sh:Info`` are listed
  in :attr:`ValidationResult.violations` but do not make ``conforms`` false, exactly as
  pySHACL decides with that flag. Only ``sh:Violation`` fails validation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import rdflib
from rdflib import RDF, SH, BNode
from rdflib.term import Node

from nervegraph import progress, resources
from nervegraph.errors import InputError, NervegraphError
from nervegraph.rdf import guards as limits
from nervegraph.rdf import offline as _offline
from nervegraph.rdf.engines import check_validation_engine, triple_count
from nervegraph.rdf.load import expand_paths, load_graph, new_graph, parse_file
from nervegraph.rdf.positions import locate
from nervegraph.shacl.report import POSITIONED_FORMATS, REPORT_FORMATS, format_report
from nervegraph.shacl.results import ValidationResult, Violation, violation_dict
from nervegraph.shacl.rules import RuleBook, path_text
from nervegraph.shacl.turbo import pyshacl_all
from nervegraph.vocab import bind_prefixes, preferred_label

log = logging.getLogger(__name__)

GraphInput = rdflib.Graph | Iterable[str | Path] | None


def load_shapes(shapes: GraphInput = None) -> rdflib.Graph:
    """Return the shapes graph: ``shapes`` itself, the files it names, or the bundled one.

    Raises:
        InputError: no shapes file is bundled, a shapes file is missing/malformed, or
            the files hold no shape at all (a data file given as ``--shapes``).
    """
    if isinstance(shapes, rdflib.Graph):
        return shapes
    files = [Path(p) for p in shapes] if shapes is not None else resources.shape_files()
    if not files:
        missing = resources.bundled_dir("ontology") / resources.SHAPES_FILE_NAME
        raise InputError(missing, "no SHACL shapes file found")
    graph = new_graph()
    for path in files:
        graph += parse_file(path)
    if count_shapes(graph) == 0:
        others = ", ".join(str(p) for p in files[1:])
        where = (
            f"the {len(graph)} triples of it and {others}"
            if others
            else f"its {len(graph)} triples"
        )
        raise InputError(
            files[0],
            f"no SHACL shapes found (no sh:NodeShape, sh:PropertyShape, target or sh:path "
            f"in {where}: is it a data file?)",
        )
    return graph


#: predicates whose subject is a shape (SHACL 1.0 section 2.1: targets, sh:path)
_SHAPE_SUBJECT_PREDICATES = (
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.path,
)


def count_shapes(shapes_graph: rdflib.Graph) -> int:
    """Return how many node and property shapes ``shapes_graph`` declares or uses.

    A shape is an instance of ``sh:NodeShape``/``sh:PropertyShape``, a value of
    ``sh:property`` or ``sh:node``, or the subject of a target or of ``sh:path``.
    """
    found: set[Node] = set()
    for cls in (SH.NodeShape, SH.PropertyShape):
        found.update(shapes_graph.subjects(RDF.type, cls))
    for predicate in (SH.property, SH.node):
        found.update(shapes_graph.objects(None, predicate))
    for predicate in _SHAPE_SUBJECT_PREDICATES:
        found.update(shapes_graph.subjects(predicate, None))
    return len(found)


def validate_graph(
    data: GraphInput = None,
    *,
    shapes: GraphInput = None,
    allow_warnings: bool = True,
    timeout: float | None = None,
    engine: str | None = None,
) -> ValidationResult:
    """Validate ``data`` against SHACL ``shapes``.

    Args:
        data: a graph, RDF files/directories (loaded with :func:`load_graph`, ontology
            included), or ``None`` for the bundled graph.
        shapes: a shapes graph, shapes files, or ``None`` for ``ontology/shapes.ttl``.
        allow_warnings: when true (the default), ``sh:Warning``/``sh:Info`` results are
            reported but do not break conformance.
        timeout: seconds pySHACL may run; ``None`` (the default) means no limit.
        engine: ``"turbo"`` (the default): pyshacl-turbo, with SHACL-SPARQL
            constraints run once for all focus nodes where that gives the same results
            (:mod:`nervegraph.shacl.setsparql`) and constraints whose answer depends on
            rdflib's SPARQL scoping handed to pySHACL (:mod:`nervegraph.shacl.turbo`);
            ``"pyshacl"``: pySHACL alone. Both report the same focus nodes, paths,
            components, values and severities.

    Returns:
        A :class:`ValidationResult` whose violations are sorted by focus node, path,
        constraint component, shape, value and message.

    Raises:
        InputError: a data or shapes file is missing, empty or malformed, or the
            shapes files declare no shape.
        NervegraphError: pySHACL refused the shapes (e.g. an invalid SPARQL constraint),
            a shapes graph holds no shape, a shape is unsafe (catastrophic
            ``sh:pattern``, SPARQL reading remote data).
        DeadlineExceeded: validation took longer than ``timeout``.
    """
    engine = check_validation_engine(engine)
    if isinstance(data, rdflib.Graph):
        data_graph = data
    else:
        data_graph = load_graph(data, engine="oxigraph" if engine == "turbo" else "rdflib")
    shapes_graph = load_shapes(shapes)
    shape_count = count_shapes(shapes_graph)
    if shape_count == 0:  # files were checked by load_shapes; this is a Graph argument
        raise NervegraphError(
            "no SHACL shapes found in the shapes graph: validating against it checks nothing"
        )
    check_shapes_safe(shapes_graph)
    triples = triple_count(data_graph)
    log.info("validating %d triples with %s", triples, engine)
    if timeout is None:
        conforms, report_graph, report_text = _run_pyshacl(
            data_graph, shapes_graph, allow_warnings, engine
        )
    else:

        def in_child() -> tuple[bool, list[tuple[Node, Node, Node]], str]:
            ok, graph, text = _run_pyshacl(data_graph, shapes_graph, allow_warnings, engine)
            return ok, list(graph), text  # pickled terms keep their blank node ids

        conforms, report_triples, report_text = limits.call_with_timeout(
            in_child, timeout, what="SHACL validation"
        )
        report_graph = new_graph()
        for triple in report_triples:
            report_graph.add(triple)
    bind_prefixes(report_graph)
    book = RuleBook(shapes_graph, data_graph)
    violations = sorted(
        (
            _violation(report_graph, node, data_graph, book)
            for node in report_graph.subjects(RDF.type, SH.ValidationResult)
        ),
        key=Violation.sort_key,
    )
    return ValidationResult(
        conforms=bool(conforms),
        violations=violations,
        report_graph=report_graph,
        report_text=str(report_text),
        triples_checked=triples,
        shape_count=shape_count,
        shapes_graph=shapes_graph,
        rules=book.rules(),
        rule_texts=book.describe(),
    )


def validate_paths(
    paths: list[str | Path] | None = None,
    *,
    include_ontology: bool = True,
    shapes: list[str | Path] | None = None,
    timeout: float | None = None,
    engine: str | None = None,
) -> ValidationResult:
    """Load ``paths`` (default: the project's graph) for ``engine`` and validate them.

    What ``nervegraph validate`` runs; :func:`report_for` renders its value.

    Raises:
        InputError, NervegraphError, DeadlineExceeded: as :func:`validate_graph`.
    """
    engine = check_validation_engine(engine)
    data = None
    if paths:
        store = "oxigraph" if engine == "turbo" else "rdflib"
        data = load_graph(paths, include_ontology=include_ontology, engine=store)
    what = f"validating {triple_count(data):,} triples" if data is not None else "validating"
    with progress.status(what):
        return validate_graph(data, shapes=shapes, timeout=timeout, engine=engine)


def report_for(
    result: ValidationResult,
    fmt: str = "text",
    paths: list[str | Path] | None = None,
    *,
    include_ontology: bool = True,
) -> str:
    """Render ``result`` in ``fmt``; ``github`` and ``junit`` name the file and line.

    For those two, each focus node is located in the files read (the given ones first,
    then the ontology; without ``paths``, the project's graph files) by
    :func:`nervegraph.rdf.positions.locate`.
    """
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {REPORT_FORMATS}")
    if fmt not in POSITIONED_FORMATS:
        return format_report(result, fmt)
    files = _files_read(paths, include_ontology)
    data_files = expand_paths(paths) if paths else files
    positions = locate(files, (v.focus_node for v in result.violations))
    return format_report(result, fmt, positions=positions, files=data_files)


def _files_read(paths: list[str | Path] | None, include_ontology: bool) -> list[Path]:
    """The files :func:`load_graph` read, the given ones first."""
    if not paths:
        return resources.default_graph_files()
    files = expand_paths(paths)
    if include_ontology:
        shapes = set(resources.shape_files())
        files += [p for p in resources.ontology_files() if p not in shapes]
    return files


def check_shapes_safe(shapes_graph: rdflib.Graph) -> None:
    """Refuse shapes that could hang validation or reach the network.

    Raises:
        NervegraphError: a ``sh:pattern`` with nested quantifiers (``(a+)+``) or that does
            not compile, or a SHACL-SPARQL constraint using SERVICE, LOAD or FROM.
    """
    bad = limits.catastrophic_patterns(shapes_graph)
    if bad:
        shape, pattern, reason = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise NervegraphError(
            f"unsafe SHACL shape {shape}: sh:pattern {pattern!r}: {reason}{more}; "
            "rewrite it without nested quantifiers"
        )
    remote = limits.network_constraints(shapes_graph)
    if remote:
        node, message = remote[0]
        raise NervegraphError(
            f"unsafe SHACL constraint {node}: {message}; "
            "nervegraph validates offline, so shapes may not read remote data"
        )


def _run_pyshacl(
    data_graph: rdflib.Graph,
    shapes_graph: rdflib.Graph,
    allow_warnings: bool,
    engine: str = "pyshacl",
) -> tuple[bool, rdflib.Graph, str]:
    """Run pySHACL (or pyshacl-turbo) offline; return (conforms, report graph, text)."""
    try:
        with _offline.offline(what="SHACL validation"):
            if engine == "turbo":
                from nervegraph.shacl.turbo import validate_turbo

                conforms, report_graph, report_text = validate_turbo(
                    data_graph, shapes_graph, allow_warnings
                )
                return _checked(conforms, report_graph, report_text)
            conforms, report_graph, report_text = pyshacl_all(
                data_graph, shapes_graph, allow_warnings
            )
    except NervegraphError:
        raise
    except RecursionError:
        raise NervegraphError("SHACL validation failed: shapes nested too deeply") from None
    except Exception as exc:  # pySHACL raises several unrelated types for bad shapes
        raise NervegraphError(f"SHACL validation failed: {exc}") from None
    return _checked(conforms, report_graph, report_text)


def _checked(
    conforms: object, report_graph: object, text: object
) -> tuple[bool, rdflib.Graph, str]:
    if not isinstance(report_graph, rdflib.Graph):  # pySHACL's ValidationFailure
        raise NervegraphError(f"SHACL validation failed: {report_graph}")
    return bool(conforms), report_graph, str(text)


def _term_text(term: Node | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _local_name(term: Node | None) -> str:
    text = str(term) if term is not None else ""
    return text.rsplit("#", 1)[-1]


def _violation(report: rdflib.Graph, result: Node, data: rdflib.Graph, book: RuleBook) -> Violation:
    focus = report.value(result, SH.focusNode)
    shape = report.value(result, SH.sourceShape)
    component = report.value(result, SH.sourceConstraintComponent)
    path = report.value(result, SH.resultPath)
    value = report.value(result, SH.value)
    wording = book.word(
        shape=shape,
        constraint=report.value(result, SH.sourceConstraint),
        component=component,
        focus=focus,
        path=path,
        value=value,
        reported=sorted(str(m) for m in report.objects(result, SH.resultMessage)),
    )
    return Violation(
        focus_node=_term_text(focus) or "",
        focus_label=preferred_label(data, focus),
        result_path=path_text(report, path),
        value=_term_text(value),
        message=wording.message,
        severity=_local_name(report.value(result, SH.resultSeverity)),
        source_constraint_component=_term_text(component) or "",
        source_shape=_term_text(shape),
        rule=wording.rule,
    )


__all__ = [
    "REPORT_FORMATS",
    "ValidationResult",
    "check_shapes_safe",
    "Violation",
    "count_shapes",
    "format_report",
    "load_shapes",
    "report_for",
    "validate_paths",
    "validate_graph",
    "violation_dict",
]
