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

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, SH, SKOS, BNode, Literal, URIRef
from rdflib.term import Node

from nervegraph import resources
from nervegraph.errors import InputError, NervegraphError
from nervegraph.rdf import guards as limits
from nervegraph.rdf import offline as _offline
from nervegraph.rdf.engines import check_validation_engine, triple_count
from nervegraph.rdf.load import load_graph, new_graph, parse_file
from nervegraph.shacl.turbo import pyshacl_all
from nervegraph.vocab import bind_prefixes

log = logging.getLogger(__name__)

REPORT_FORMATS = ("text", "json", "turtle")
_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, as plain strings.

    IRIs are given in full; literals by their lexical form; blank nodes as ``_:id``.
    ``severity`` is ``"Violation"``, ``"Warning"`` or ``"Info"``.
    """

    focus_node: str
    focus_label: str | None
    result_path: str | None
    value: str | None
    message: str
    severity: str
    source_constraint_component: str
    source_shape: str | None

    def sort_key(self) -> tuple[str, ...]:
        """Return the key that orders violations deterministically."""
        return (
            self.focus_node,
            self.result_path or "",
            self.source_constraint_component,
            self.source_shape or "",
            self.value or "",
            self.message,
            str(_SEVERITY_ORDER.get(self.severity, 9)),
        )


@dataclass
class ValidationResult:
    """The outcome of :func:`validate_graph`."""

    conforms: bool
    violations: list[Violation]
    report_graph: rdflib.Graph
    report_text: str
    triples_checked: int = 0
    shape_count: int = 0
    shapes_graph: rdflib.Graph | None = field(default=None, repr=False)


GraphInput = rdflib.Graph | Iterable[str | Path] | None


def load_shapes(shapes: GraphInput = None) -> rdflib.Graph:
    """Return the shapes graph: ``shapes`` itself, the files it names, or the bundled one.

    Raises:
        InputError: no shapes file is bundled, or a shapes file is missing/malformed.
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
    return graph


def count_shapes(shapes_graph: rdflib.Graph) -> int:
    """Return how many node and property shapes ``shapes_graph`` declares or uses."""
    found: set[Node] = set()
    for cls in (SH.NodeShape, SH.PropertyShape):
        found.update(shapes_graph.subjects(RDF.type, cls))
    found.update(shapes_graph.objects(None, SH.property))
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
        InputError: a data or shapes file is missing, empty or malformed.
        NervegraphError: pySHACL refused the shapes (e.g. an invalid SPARQL constraint),
            a shape is unsafe (catastrophic ``sh:pattern``, SPARQL reading remote data).
        DeadlineExceeded: validation took longer than ``timeout``.
    """
    engine = check_validation_engine(engine)
    if isinstance(data, rdflib.Graph):
        data_graph = data
    else:
        data_graph = load_graph(data, engine="oxigraph" if engine == "turbo" else "rdflib")
    shapes_graph = load_shapes(shapes)
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
    violations = sorted(
        (
            _violation(report_graph, node, data_graph)
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
        shape_count=count_shapes(shapes_graph),
        shapes_graph=shapes_graph,
    )


def validate_and_format(
    paths: list[str | Path] | None = None,
    *,
    include_ontology: bool = True,
    shapes: list[str | Path] | None = None,
    timeout: float | None = None,
    engine: str | None = None,
    fmt: str = "text",
    started: float | None = None,
) -> tuple[bool, str]:
    """Answer ``nervegraph validate``: load, validate, and render the report.

    ``started`` (a :func:`time.monotonic` value) makes ``timeout`` count from then, so
    reading the files counts against it too.

    Returns:
        ``(conforms, report text in fmt)``.

    Raises:
        InputError, NervegraphError, DeadlineExceeded: as :func:`validate_graph`.
    """
    engine = check_validation_engine(engine)
    data = None
    if paths:
        store = "oxigraph" if engine == "turbo" else "rdflib"
        data = load_graph(paths, include_ontology=include_ontology, engine=store)
    if timeout is not None and started is not None:
        # the command's deadline counts from its start: validation gets what is left
        timeout = max(0.01, timeout - (time.monotonic() - started))
    result = validate_graph(data, shapes=shapes, timeout=timeout, engine=engine)
    return result.conforms, format_report(result, fmt)


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


def _path_text(graph: rdflib.Graph, path: Node | None) -> str | None:
    """Render a SHACL property path: an IRI, or ``^p``, ``p/q``, ``p|q``, ``p*`` ..."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)
    if (path, RDF.first, None) in graph:
        return "/".join(_path_text(graph, item) or "?" for item in rdflib.Collection(graph, path))
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(_path_text(graph, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        items = rdflib.Collection(graph, alternatives)
        return "(" + "|".join(_path_text(graph, item) or "?" for item in items) + ")"
    return _term_text(path)


def _label(data: rdflib.Graph, node: Node) -> str | None:
    for predicate in (SKOS.prefLabel, RDFS.label):
        labels = sorted(data.objects(node, predicate), key=_label_rank)
        if labels:
            return str(labels[0])
    return None


def _label_rank(term: Node) -> tuple[int, str]:
    language = term.language if isinstance(term, Literal) else None
    return (0 if language == "en" else 1 if language is None else 2, str(term))


def _local_name(term: Node | None) -> str:
    text = str(term) if term is not None else ""
    return text.rsplit("#", 1)[-1]


def _violation(report: rdflib.Graph, result: Node, data: rdflib.Graph) -> Violation:
    focus = report.value(result, SH.focusNode)
    messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
    return Violation(
        focus_node=_term_text(focus) or "",
        focus_label=_label(data, focus) if focus is not None else None,
        result_path=_path_text(report, report.value(result, SH.resultPath)),
        value=_term_text(report.value(result, SH.value)),
        message="; ".join(messages),
        severity=_local_name(report.value(result, SH.resultSeverity)),
        source_constraint_component=_term_text(report.value(result, SH.sourceConstraintComponent))
        or "",
        source_shape=_term_text(report.value(result, SH.sourceShape)),
    )


def violation_dict(violation: Violation) -> dict[str, str | None]:
    """Return the JSON form of one violation (keys as in ``nervegraph validate --format json``)."""
    return {
        "focus_node": violation.focus_node,
        "focus_label": violation.focus_label,
        "path": violation.result_path,
        "value": violation.value,
        "message": violation.message,
        "severity": violation.severity,
        "constraint_component": violation.source_constraint_component,
        "shape": violation.source_shape,
    }


def format_report(result: ValidationResult, fmt: str = "text") -> str:
    """Render a validation result.

    Args:
        result: what :func:`validate_graph` returned.
        fmt: ``"text"`` (one block per violation), ``"json"``
            (``{"conforms": bool, "violations": [...]}``) or ``"turtle"`` (the SHACL
            validation report graph).

    Raises:
        ValueError: ``fmt`` is not one of :data:`REPORT_FORMATS`.
    """
    if fmt == "json":
        document = {
            "conforms": result.conforms,
            "violations": [violation_dict(v) for v in result.violations],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "turtle":
        return result.report_graph.serialize(format="longturtle")
    if fmt != "text":
        raise ValueError(f"unknown report format {fmt!r}; expected one of {REPORT_FORMATS}")
    return _text_report(result)


def _text_report(result: ValidationResult) -> str:
    lines: list[str] = []
    for violation in result.violations:
        focus = f"<{violation.focus_node}>"
        if violation.focus_label:
            focus += f' "{violation.focus_label}"'
        lines.append(f"{violation.severity}: {focus}")
        if violation.result_path:
            lines.append(f"    path:    {violation.result_path}")
        if violation.value is not None:
            lines.append(f"    value:   {violation.value}")
        lines.append(f"    message: {violation.message}")
        lines.append(
            f"    shape:   {violation.source_shape or '-'}"
            f" ({_local_name(violation.source_constraint_component)})"
        )
    failing = sum(1 for v in result.violations if v.severity == "Violation")
    others = len(result.violations) - failing
    if result.conforms:
        summary = (
            f"conforms: {result.triples_checked} triples checked against "
            f"{result.shape_count} shapes"
        )
    else:
        summary = (
            f"does not conform: {failing} violation(s) in {result.triples_checked} triples "
            f"checked against {result.shape_count} shapes"
        )
    if others:
        summary += f" ({others} warning/info result(s))"
    lines.append(summary)
    return "\n".join(lines) + "\n"


__all__ = [
    "REPORT_FORMATS",
    "ValidationResult",
    "check_shapes_safe",
    "Violation",
    "count_shapes",
    "format_report",
    "load_shapes",
    "validate_and_format",
    "validate_graph",
    "violation_dict",
]
