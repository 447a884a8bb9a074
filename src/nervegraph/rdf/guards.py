"""Resource limits for hostile input: strict pre-parse, sizes, nesting, regexes, deadlines.

rdflib is a forgiving and sometimes fragile parser (measured on rdflib 7.6): its Turtle
parser overflows the Python stack on lists ~300 deep or blank nodes ~200 deep, its
N-Triples parser is quadratic in a literal's length, it accepts IRIs with spaces and
lone surrogates, and expat expands internal XML entities. Before rdflib sees a file,
:func:`precheck` therefore

1. refuses NUL bytes in text formats;
2. for RDF/XML, refuses external, parameter and nested entities and any entity
   expansion larger than :attr:`Limits.max_entity_expansion` characters;
3. parses the file with pyoxigraph's strict, iterative (Rust) parser, which reports a
   line and column for any syntax error;
4. refuses any literal or IRI longer than :attr:`Limits.max_term_chars` characters;
5. refuses list / blank-node / JSON nesting deeper than :attr:`Limits.max_depth`.

It also holds :func:`catastrophic_patterns` (SHACL ``sh:pattern`` regexes that take
exponential time) and :func:`call_with_timeout` (run a computation in a forked child and
stop it at a deadline: a thread cannot be stopped, and a runaway regex holds the GIL).

The limits are module-wide defaults, overridable with the environment variables
``NERVEGRAPH_MAX_TERM_CHARS``, ``NERVEGRAPH_MAX_DEPTH`` and
``NERVEGRAPH_MAX_ENTITY_EXPANSION``, or with :func:`set_limits`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from nervegraph.errors import DeadlineExceeded, InputError, NervegraphError

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """Input limits; every one is checked before rdflib parses a file.

    Attributes:
        max_term_chars: longest literal or IRI accepted, in characters.
        max_depth: deepest nesting of Turtle/TriG lists and ``[ ]`` blank nodes, or of
            JSON-LD objects/arrays.
        max_entity_expansion: most characters RDF/XML internal entities may expand to
            in total.
    """

    max_term_chars: int = 1_000_000
    max_depth: int = 64
    max_entity_expansion: int = 1_000_000


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not an integer", name, raw)
        return default
    return value if value > 0 else default


_limits = Limits(
    max_term_chars=_env_int("NERVEGRAPH_MAX_TERM_CHARS", Limits.max_term_chars),
    max_depth=_env_int("NERVEGRAPH_MAX_DEPTH", Limits.max_depth),
    max_entity_expansion=_env_int("NERVEGRAPH_MAX_ENTITY_EXPANSION", Limits.max_entity_expansion),
)


def get_limits() -> Limits:
    """Return the limits in force."""
    return _limits


def set_limits(**changes: int) -> Limits:
    """Change limits for this process (e.g. ``set_limits(max_depth=128)``); return the old."""
    global _limits
    old = _limits
    _limits = replace(_limits, **changes)
    return old


# ------------------------------------------------------------------ positions


def position(raw: bytes, offset: int) -> tuple[int, int]:
    """Return the 1-based (line, column) of byte ``offset`` (column in characters)."""
    offset = max(0, min(offset, len(raw)))
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


# ------------------------------------------------------------------ pre-check


def check_text_bytes(path: Path, raw: bytes) -> None:
    """Refuse NUL bytes: no RDF text format needs them, and they hide truncation bugs."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = position(raw, nul)
        raise InputError(path, "NUL byte in a text file", line=line, column=column)


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s>]+)\s+(SYSTEM|PUBLIC|\"[^\"]*\"|'[^']*')")
_ENTITY_ANY = re.compile(rb"<!ENTITY\b")


def check_xml_entities(path: Path, raw: bytes, limits: Limits | None = None) -> None:
    """Refuse RDF/XML entity tricks: external, parameter or nested entities and bombs.

    Plain internal entities such as Protégé's ``<!ENTITY owl "http://…#">`` are kept;
    their total expansion (references × value length) is capped.

    Raises:
        InputError: naming the entity and its line.
    """
    if not _DOCTYPE.search(raw):
        return
    limits = limits or _limits
    values: dict[bytes, int] = {}
    declared = list(_ENTITY.finditer(raw))
    if len(declared) != len(_ENTITY_ANY.findall(raw)):
        offset = next(
            m.start()
            for m in _ENTITY_ANY.finditer(raw)
            if not any(d.start() == m.start() for d in declared)
        )
        line, column = position(raw, offset)
        raise InputError(path, "malformed <!ENTITY> declaration", line=line, column=column)
    for match in declared:
        line, column = position(raw, match.start())
        name, kind = match.group(2), match.group(3)
        if match.group(1):
            raise InputError(
                path, "XML parameter entities are not accepted", line=line, column=column
            )
        if kind in (b"SYSTEM", b"PUBLIC"):
            raise InputError(
                path,
                f"external XML entity {name.decode(errors='replace')!r} is not accepted "
                "(it would read another file or URL)",
                line=line,
                column=column,
            )
        value = kind[1:-1]
        if b"&" in value and re.search(rb"&[^#\s;]+;", value):
            raise InputError(
                path,
                f"XML entity {name.decode(errors='replace')!r} refers to another entity; "
                "nested entities are not accepted (entity expansion bomb)",
                line=line,
                column=column,
            )
        values[name] = len(value)
    total = 0
    for name, size in values.items():
        total += size * raw.count(b"&" + name + b";")
    if total > limits.max_entity_expansion:
        doctype = _DOCTYPE.search(raw)
        line, column = position(raw, doctype.start() if doctype else 0)
        raise InputError(
            path,
            f"XML entities would expand to {total:,} characters, more than the limit "
            f"of {limits.max_entity_expansion:,} (max_entity_expansion)",
            line=line,
            column=column,
        )


#: rdflib parser name -> pyoxigraph format name
_OX_FORMATS = {
    "turtle": "TURTLE",
    "nt": "N_TRIPLES",
    "nquads": "N_QUADS",
    "trig": "TRIG",
    "xml": "RDF_XML",
}


def strict_parse(
    path: Path, raw: bytes, fmt: str, base_iri: str, limits: Limits | None = None
) -> None:
    """Parse ``raw`` with pyoxigraph (strict RDF 1.1) and check term sizes.

    Raises:
        InputError: a syntax error (with pyoxigraph's line and column) or a literal/IRI
            longer than :attr:`Limits.max_term_chars`.
    """
    name = _OX_FORMATS.get(fmt)
    if name is None:
        return
    if fmt == "xml" and re.match(rb"\s*<\?xml[^>]*encoding=[\"'](?!utf-?8)", raw, re.I):
        return  # pyoxigraph reads UTF-8 only; expat decodes the declared encoding
    import pyoxigraph

    limits = limits or _limits
    big: str | None = None
    try:
        for quad in pyoxigraph.parse(
            raw, format=getattr(pyoxigraph.RdfFormat, name), base_iri=base_iri
        ):
            for term in (quad.subject, quad.predicate, quad.object):
                value = getattr(term, "value", None)
                if isinstance(value, str) and len(value) > limits.max_term_chars:
                    big = value
                    break
            if big is not None:
                break
    except SyntaxError as exc:
        message = str(exc)
        message = re.sub(r"^Parser error [^:]*: ", "", message)
        if message.lower().startswith("unexpected end of file"):
            message = "unexpected end of file: what starts here is never closed"
        message = re.sub(r" \(line \d+\)$", "", message)
        line = exc.lineno if isinstance(exc.lineno, int) else None
        column = exc.offset if isinstance(exc.offset, int) and line is not None else None
        if line is None:  # the RDF/XML parser names the culprit but not where it is
            line, column = _locate(raw, message)
        raise InputError(path, message or "syntax error", line=line, column=column) from None
    except (ValueError, OSError) as exc:  # e.g. an I/O error inside the XML reader
        raise InputError(path, str(exc) or type(exc).__name__) from None
    if big is not None:
        head = big[:64].encode("utf-8")
        found = raw.find(head)
        line, column = position(raw, found) if found >= 0 else (None, None)
        raise InputError(
            path,
            f"a literal or IRI of {len(big):,} characters exceeds the limit of "
            f"{limits.max_term_chars:,} (max_term_chars)",
            line=line,
            column=column,
        )


def _locate(raw: bytes, message: str) -> tuple[int | None, int | None]:
    """Find where a message's quoted culprit (``'…'``) is in ``raw``, if anywhere."""
    for quoted in re.findall(r"'([^']{3,})'", message):
        found = raw.find(quoted.encode("utf-8"))
        if found >= 0:
            return position(raw, found)
    return None, None


def first_element_line(raw: bytes) -> int:
    """Return the line of the first XML element (the root), or 1."""
    root = re.search(rb"<[A-Za-z_]", raw)
    return position(raw, root.start())[0] if root else 1


_TURTLE_TOKENS = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""'
    rb"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    rb'|"(?:[^"\\\n]|\\.)*"'
    rb"|'(?:[^'\\\n]|\\.)*'"
    rb"|<[^<>\s]*>"
    rb"|#[^\n]*"
    rb"|[\[\]()]",
    re.DOTALL,
)


def check_depth(path: Path, raw: bytes, fmt: str, limits: Limits | None = None) -> None:
    """Refuse Turtle/TriG nesting of ``( )`` and ``[ ]`` deeper than ``max_depth``.

    Strings, IRIs and comments are skipped; on malformed input the count is approximate.
    """
    if fmt not in ("turtle", "trig"):
        return
    limits = limits or _limits
    depth = 0
    for match in _TURTLE_TOKENS.finditer(raw):
        token = match.group(0)
        if token in (b"[", b"("):
            depth += 1
            if depth > limits.max_depth:
                line, column = position(raw, match.start())
                raise InputError(
                    path,
                    "lists or blank nodes nested too deeply: "
                    f"more than {limits.max_depth} levels (max_depth)",
                    line=line,
                    column=column,
                )
        elif token in (b"]", b")"):
            depth -= 1


def check_json_depth(path: Path, raw: bytes, limits: Limits | None = None) -> None:
    """Refuse deep JSON and long JSON strings.

    Nesting deeper than ``max_depth`` is refused before ``json.loads`` recurses; strings
    longer than ``max_term_chars`` before rdflib copies them around.
    """
    limits = limits or _limits
    depth = 0
    for match in re.finditer(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', raw):
        token = match.group(0)
        if token in (b"[", b"{"):
            depth += 1
            if depth > limits.max_depth:
                line, column = position(raw, match.start())
                raise InputError(
                    path,
                    f"JSON nested too deeply: more than {limits.max_depth} levels (max_depth)",
                    line=line,
                    column=column,
                )
        elif token in (b"]", b"}"):
            depth -= 1
        elif len(token) > limits.max_term_chars:
            size = len(token.decode("utf-8", errors="replace")) - 2
            if size > limits.max_term_chars:
                line, column = position(raw, match.start())
                raise InputError(
                    path,
                    f"a string of {size:,} characters exceeds the limit of "
                    f"{limits.max_term_chars:,} (max_term_chars)",
                    line=line,
                    column=column,
                )


def precheck(path: Path, raw: bytes, fmt: str) -> None:
    """Run the checks that need no parser: NUL bytes, XML entities, nesting depth.

    ``fmt`` is an rdflib parser name. :func:`strict_parse` is the other half.
    """
    if fmt != "xml":
        check_text_bytes(path, raw)
    if fmt == "xml":
        check_xml_entities(path, raw)
    elif fmt == "json-ld":
        check_json_depth(path, raw)
    else:
        check_depth(path, raw, fmt)


# ------------------------------------------------------------------ regex lint

#: a group containing an unbounded quantifier, itself quantified without bound:
#: ``(a+)+``, ``(.*)*``, ``(\w+\s?)*``, ``(?:x|y+){2,}``
_NESTED_QUANTIFIER = re.compile(
    r"\((?:\?:)?(?:[^()\\]|\\.)*(?:[+*]|\{\d+,\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\})"
)
#: an alternation of overlapping branches under a star: ``(a|a)*``, ``(a|ab)*``
_OVERLAPPING_ALTERNATION = re.compile(r"\((?:\?:)?([^()|\\]+)\|\1[^()]*\)(?:[+*]|\{\d+,\})")


def pattern_problem(pattern: str) -> str | None:
    r"""Return why ``pattern`` may take exponential time to match, or ``None``.

    Detects nested unbounded quantifiers (``(a+)+``, ``(.*)*``, ``(\w+\s?)*``) and
    quantified alternations whose branches share a prefix (``(a|ab)*``): the shapes of
    catastrophic backtracking. Also refuses patterns that do not compile.
    """
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression ({exc})"
    if _NESTED_QUANTIFIER.search(pattern):
        return "nested unbounded quantifiers (like (a+)+) can take exponential time"
    if _OVERLAPPING_ALTERNATION.search(pattern):
        return "a repeated alternation with overlapping branches can take exponential time"
    return None


def catastrophic_patterns(shapes_graph: Any) -> list[tuple[str, str, str]]:
    """Return ``(shape, pattern, reason)`` for every dangerous ``sh:pattern`` in the shapes."""
    from rdflib import SH

    found = []
    for shape, pattern in shapes_graph.subject_objects(SH.pattern):
        reason = pattern_problem(str(pattern))
        if reason:
            found.append((str(shape), str(pattern), reason))
    return sorted(found)


def network_constraints(shapes_graph: Any) -> list[tuple[str, str]]:
    """Return ``(shape, keyword message)`` for SHACL-SPARQL that would read remote data."""
    from rdflib import SH

    from nervegraph.rdf.sparql import check_offline

    found = []
    for predicate in (SH.select, SH.ask, SH.construct, SH.update):
        for node, text in shapes_graph.subject_objects(predicate):
            try:
                check_offline(str(text))
            except NervegraphError as exc:
                found.append((str(node), str(exc).split(",")[0]))
    return sorted(found)


# ------------------------------------------------------------------ deadlines


def _child(func: Callable[[], Any], conn: Any) -> None:  # pragma: no cover - in the child
    try:
        outcome: tuple[str, Any] = ("ok", func())
    except BaseException as exc:  # noqa: BLE001 - sent to the parent
        outcome = ("error", exc)
    try:
        conn.send_bytes(pickle.dumps(outcome))
    except Exception as exc:  # noqa: BLE001 - unpicklable result or exception
        conn.send_bytes(pickle.dumps(("error", NervegraphError(f"{type(exc).__name__}: {exc}"))))
    finally:
        conn.close()
        os._exit(0)


def call_with_timeout(func: Callable[[], T], timeout: float | None, *, what: str) -> T:
    """Run ``func()`` and return its value, stopping it after ``timeout`` seconds.

    With a timeout the call runs in a forked child process (which inherits the loaded
    graph, so nothing is copied in) and its picklable result is sent back; the child is
    killed at the deadline, so no runaway computation outlives the call. Without
    ``fork`` (Windows) it runs in-process without a deadline.

    Raises:
        DeadlineExceeded: ``func`` did not finish in time.
        Any exception ``func`` raised (re-raised in the caller).
    """
    if timeout is None or "fork" not in multiprocessing.get_all_start_methods():
        return func()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(func, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise DeadlineExceeded(what, timeout)
        try:
            status, value = pickle.loads(receiver.recv_bytes())
        except EOFError:
            raise NervegraphError(f"{what} crashed (exit code {process.exitcode})") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status == "error":
        raise value
    return value  # type: ignore[no-any-return]


__all__ = [
    "Limits",
    "call_with_timeout",
    "catastrophic_patterns",
    "check_depth",
    "check_json_depth",
    "check_text_bytes",
    "check_xml_entities",
    "get_limits",
    "network_constraints",
    "pattern_problem",
    "precheck",
    "set_limits",
    "strict_parse",
]
