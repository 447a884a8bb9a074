"""What validation returns: :class:`Violation` and :class:`ValidationResult`.

Plain data, so the report renderers (:mod:`nervegraph.shacl.report`) and the validator
(:mod:`nervegraph.shacl.validate`) can both use them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import rdflib

_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, as plain strings.

    IRIs are given in full; literals by their lexical form; blank nodes as ``_:id``.
    ``severity`` is ``"Violation"``, ``"Warning"`` or ``"Info"``. ``message`` is the
    shape's ``sh:message`` (placeholders filled in) or, for a shape without one, a
    sentence generated from the constraint (:mod:`nervegraph.shacl.rules`). ``rule``
    names the shape or SPARQL constraint, e.g. ``ngsh:EvidenceShape / ng:quote``.
    """

    focus_node: str
    focus_label: str | None
    result_path: str | None
    value: str | None
    message: str
    severity: str
    source_constraint_component: str
    source_shape: str | None
    rule: str = ""

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
    """The outcome of :func:`nervegraph.shacl.validate.validate_graph`.

    ``rules`` lists every rule checked directly against the data (for a JUnit report's
    test cases); ``rule_texts`` words each rule that has results, in general (its
    ``sh:message`` template or a generated requirement), for the summary by rule.
    """

    conforms: bool
    violations: list[Violation]
    report_graph: rdflib.Graph
    report_text: str
    triples_checked: int = 0
    shape_count: int = 0
    shapes_graph: rdflib.Graph | None = field(default=None, repr=False)
    rules: list[str] = field(default_factory=list)
    rule_texts: dict[str, str] = field(default_factory=dict)


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
        "rule": violation.rule,
    }
