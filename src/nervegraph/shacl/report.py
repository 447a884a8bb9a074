"""Render a :class:`~nervegraph.shacl.results.ValidationResult` for people and for CI.

* ``text``: one block per result (focus node and label, rule, path, value, message),
  a summary by rule (``3 × ngsh:EvidenceShape / ng:quote: …``), then one summary line.
* ``json``: ``{"conforms": bool, "violations": [{…, "rule"}]}``.
* ``turtle``: the SHACL validation report graph.
* ``github``: one GitHub Actions workflow command per result,
  ``::error file=PATH,line=N,title=RULE::message`` (``::warning`` for ``sh:Warning``,
  ``::notice`` for ``sh:Info``), escaped as the Actions toolkit escapes them
  (``%``, CR, LF in the message; also ``:`` and ``,`` in properties).
* ``junit``: JUnit XML: one ``<testsuite>`` per data file, one ``<testcase>`` per rule,
  one ``<failure>`` per violation; warnings and info go to the test case's
  ``<system-out>``. Results whose focus node is in no given file (a blank node, a
  node only the bundled ontology mentions) go to a suite named ``(no file)``.

``github`` and ``junit`` take ``positions``: focus node IRI -> file and line
(:func:`nervegraph.rdf.positions.locate`).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from nervegraph.rdf.positions import Position
from nervegraph.shacl.results import ValidationResult, Violation, violation_dict
from nervegraph.vocab import curie

REPORT_FORMATS = ("text", "json", "turtle", "github", "junit")
#: the formats that point at files and lines
POSITIONED_FORMATS = ("github", "junit")
_COMMANDS = {"Violation": "error", "Warning": "warning", "Info": "notice"}
NO_FILE = "(no file)"


def format_report(
    result: ValidationResult,
    fmt: str = "text",
    *,
    positions: Mapping[str, Position] | None = None,
    files: Sequence[Path] = (),
) -> str:
    """Render a validation result.

    Args:
        result: what :func:`~nervegraph.shacl.validate.validate_graph` returned.
        fmt: one of :data:`REPORT_FORMATS`.
        positions: for ``github`` and ``junit``: where each focus node is (file, line);
            a node missing from it is reported without a file.
        files: for ``junit``: the data files, one test suite each (files holding a
            located focus node get a suite too).

    Raises:
        ValueError: ``fmt`` is not one of :data:`REPORT_FORMATS`.
    """
    positions = positions or {}
    if fmt == "json":
        document = {
            "conforms": result.conforms,
            "violations": [violation_dict(v) for v in result.violations],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "turtle":
        return result.report_graph.serialize(format="longturtle")
    if fmt == "text":
        return _text_report(result)
    if fmt == "github":
        return _github_report(result, positions)
    if fmt == "junit":
        return _junit_report(result, positions, files)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {REPORT_FORMATS}")


def _text_report(result: ValidationResult) -> str:
    lines: list[str] = []
    for violation in result.violations:
        focus = f"<{violation.focus_node}>"
        if violation.focus_label:
            focus += f' "{violation.focus_label}"'
        lines.append(f"{violation.severity}: {focus}")
        lines.append(
            f"    rule:    {violation.rule or violation.source_shape or '-'}"
            f" ({_local_name(violation.source_constraint_component)})"
        )
        if violation.result_path:
            lines.append(f"    path:    {_curie_path(violation.result_path)}")
        if violation.value is not None:
            lines.append(f"    value:   {violation.value}")
        lines.append(f"    message: {violation.message}")
    if result.violations:
        lines.append("by rule:")
        lines.extend(f"    {line}" for line in summary_by_rule(result))
    lines.append(_summary_line(result))
    return "\n".join(lines) + "\n"


def summary_by_rule(result: ValidationResult) -> list[str]:
    """Return ``N × RULE: what the rule asks`` lines, most frequent first."""
    counts = Counter(v.rule for v in result.violations)
    severities: dict[str, set[str]] = defaultdict(set)
    messages: dict[str, set[str]] = defaultdict(set)
    for v in result.violations:
        severities[v.rule].add(v.severity)
        messages[v.rule].add(v.message)
    lines = []
    for rule, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        text = result.rule_texts.get(rule)
        if text is None:
            text = "; ".join(sorted(messages[rule]))
        kinds = severities[rule] - {"Violation"}
        note = f" ({', '.join(sorted(kinds))})" if kinds else ""
        lines.append(f"{count} × {rule}: {text}{note}")
    return lines


def _summary_line(result: ValidationResult) -> str:
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
    return summary


def _local_name(term: str | None) -> str:
    return (term or "").rsplit("#", 1)[-1]


def _curie_path(path: str) -> str:
    """Shorten a path that is one IRI to a CURIE; leave complex paths (``^p``, ``p/q``) whole."""
    if path.startswith(("http://", "https://")) and path.count("://") == 1 and "|" not in path:
        return curie(path)
    return path


def _focus_text(violation: Violation) -> str:
    focus = curie(violation.focus_node) if "://" in violation.focus_node else violation.focus_node
    if violation.focus_label:
        focus += f' "{violation.focus_label}"'
    return focus


def _detail(violation: Violation) -> str:
    """One line: focus node, path and value, then the message."""
    parts = [_focus_text(violation)]
    if violation.result_path:
        parts.append(_curie_path(violation.result_path))
    if violation.value is not None:
        value = violation.value
        parts.append(curie(value) if "://" in value and " " not in value else f'"{value}"')
    return f"{' '.join(parts)}: {violation.message}"


# -- GitHub Actions ---------------------------------------------------------------------


def escape_data(text: str) -> str:
    """Escape a workflow command's message (``%``, CR, LF), as ``@actions/core`` does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def display_path(path: Path) -> str:
    """A file as CI tools want it: relative to the working directory when below it."""
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path.as_posix() if not path.is_absolute() else str(path)
    return relative.as_posix() if path.is_absolute() else path.as_posix()


def _github_report(result: ValidationResult, positions: Mapping[str, Position]) -> str:
    lines = []
    for violation in result.violations:
        props = []
        where = positions.get(violation.focus_node)
        if where is not None:
            props.append(f"file={escape_property(display_path(where.path))}")
            if where.line is not None:
                props.append(f"line={where.line}")
        props.append(f"title={escape_property(violation.rule)}")
        command = _COMMANDS.get(violation.severity, "error")
        lines.append(f"::{command} {','.join(props)}::{escape_data(_detail(violation))}")
    lines.append(_summary_line(result))
    return "\n".join(lines) + "\n"


# -- JUnit XML --------------------------------------------------------------------------

#: characters XML 1.0 does not allow, even escaped (data literals may hold them)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _junit_report(
    result: ValidationResult, positions: Mapping[str, Position], data_files: Sequence[Path]
) -> str:
    by_file: dict[str, list[Violation]] = defaultdict(list)
    files: dict[str, None] = dict.fromkeys(display_path(p) for p in data_files)
    for where in positions.values():
        files.setdefault(display_path(where.path))
    for violation in result.violations:
        where = positions.get(violation.focus_node)
        name = display_path(where.path) if where is not None else NO_FILE
        by_file[name].append(violation)
    suite_names = list(files)
    if by_file.keys() - set(suite_names):
        suite_names.extend(sorted(by_file.keys() - set(suite_names)))
    if not suite_names:
        suite_names = [NO_FILE]
    rules = sorted(set(result.rules) | {v.rule for v in result.violations})

    root = ET.Element("testsuites", name="nervegraph validate")
    total_tests = total_failures = 0
    for suite_name in suite_names:
        suite = ET.SubElement(root, "testsuite", name=suite_name)
        failed = 0
        found = by_file.get(suite_name, [])
        for rule in rules:
            case = ET.SubElement(suite, "testcase", name=rule, classname=suite_name)
            mine = [v for v in found if v.rule == rule]
            out = []
            for violation in mine:
                where = positions.get(violation.focus_node)
                at = ""
                if where is not None:
                    at = display_path(where.path)
                    at += f":{where.line}" if where.line is not None else ""
                    at += ": "
                if violation.severity == "Violation":
                    failure = ET.SubElement(
                        case,
                        "failure",
                        message=_xml_text(violation.message),
                        type=_local_name(violation.source_constraint_component),
                    )
                    failure.text = _xml_text(at + _detail(violation))
                else:
                    out.append(f"{violation.severity}: {at}{_detail(violation)}")
            if out:
                ET.SubElement(case, "system-out").text = _xml_text("\n".join(out))
            if any(v.severity == "Violation" for v in mine):
                failed += 1
        suite.set("tests", str(len(rules)))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += len(rules)
        total_failures += failed
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


__all__ = [
    "NO_FILE",
    "POSITIONED_FORMATS",
    "REPORT_FORMATS",
    "display_path",
    "escape_data",
    "escape_property",
    "format_report",
    "summary_by_rule",
]
