"""The stored-query catalogue without rdflib: ``#+`` headers, listings, the docs page.

:mod:`nervegraph.queries` runs queries and needs rdflib; this half reads only the YAML
headers of ``queries/**/*.rq`` and finds the query form (SELECT, ASK, CONSTRUCT,
DESCRIBE) by scanning tokens, so ``nervegraph queries`` starts without rdflib. Its
names are re-exported by :mod:`nervegraph.queries`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import resources
from .errors import QueryError

_PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class QueryParam:
    """One parameter of a stored query, from its ``#+ params`` header.

    Attributes:
        name: the parameter name; the query uses it as ``?_<name>_iri``.
        description: what the value means.
        cls: CURIE of the class the value must be an instance of (``rdfs:Resource``:
            any labelled entity or concept).
        required: whether the query refuses to run without it.
        scheme: for ``skos:Concept`` parameters, the CURIE of the concept scheme.
    """

    name: str
    description: str
    cls: str
    required: bool = False
    scheme: str | None = None

    @property
    def variable(self) -> str:
        """The SPARQL variable name (without ``?``) that carries the value."""
        return f"_{self.name}_iri"


@dataclass(frozen=True)
class StoredQuery:
    """A query of the catalogue (or an ad-hoc one) with its header."""

    name: str
    path: Path | None
    summary: str
    description: str
    tags: tuple[str, ...]
    params: tuple[QueryParam, ...]
    query_type: str
    text: str

    def param(self, name: str) -> QueryParam | None:
        """Return the parameter called ``name``, or ``None``."""
        return next((p for p in self.params if p.name == name), None)


def _parse_header(text: str, where: str) -> dict[str, Any]:
    lines = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#+"):
            lines.append(stripped[2:].removeprefix(" "))
        elif stripped and not stripped.startswith("#"):
            break
    if not lines:
        return {}
    import yaml  # here: a cold `nervegraph query` reads no header and skips 7 ms

    try:
        header = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as exc:
        raise QueryError(f"{where}: invalid '#+' YAML header: {exc}") from None
    if not isinstance(header, dict):
        raise QueryError(f"{where}: the '#+' header must be a YAML mapping")
    return header


def _params_from_header(header: Mapping[str, Any], where: str) -> tuple[QueryParam, ...]:
    raw = header.get("params") or []
    if not isinstance(raw, list):
        raise QueryError(f"{where}: '#+ params' must be a list")
    params = []
    for item in raw:
        if not isinstance(item, dict) or "name" not in item:
            raise QueryError(f"{where}: each '#+ params' entry needs a name")
        name = str(item["name"])
        if not _PARAM_NAME.match(name):
            raise QueryError(f"{where}: invalid parameter name {name!r}")
        params.append(
            QueryParam(
                name=name,
                description=str(item.get("description", "")).strip(),
                cls=str(item.get("class", "rdfs:Resource")),
                required=bool(item.get("required", False)),
                scheme=str(item["scheme"]) if item.get("scheme") else None,
            )
        )
    return tuple(params)


def _scan(text: str) -> Iterable[tuple[int, str]]:
    """Yield ``(offset, token)`` for words and braces outside strings, IRIs and comments."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in "\"'":
            triple = text[i : i + 3]
            if triple in ('"""', "'''"):
                j = text.find(triple, i + 3)
                i = n if j < 0 else j + 3
            else:
                j = i + 1
                while j < n and text[j] != c and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                i = j + 1
        elif c == "<":
            m = re.match(r'<[^<>"{}|^`\\\x00-\x20]*>', text[i:])
            if m:
                i += m.end()
            else:
                yield i, c
                i += 1
        elif c.isalpha() or c == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_-]*(:[^\s{}()<>;,.]*)?", text[i:])
            assert m is not None
            word = m.group(0)
            yield i, word
            i += len(word)
        elif c in "?$":
            m = re.match(r"[?$][A-Za-z0-9_]+", text[i:])
            i += m.end() if m else 1
        else:
            if c in "{}":
                yield i, c
            i += 1


def query_form(text: str) -> str:
    """Return ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the first form keyword.

    Comments, strings and IRIs are skipped (:func:`_scan`); ``SELECT`` when none is found
    (the text is then not a query, which running it reports).
    """
    for _, token in _scan(text):
        if token.upper() in _FORMS:
            return token.upper()
    return "SELECT"


def read_header(path: Path, name: str) -> StoredQuery:
    """Return the stored query in ``path`` from its header alone (the SPARQL is not parsed).

    Raises:
        QueryError: the file is unreadable or its header is malformed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{path}: cannot read query file: {exc}") from None
    return stored_query(text, name, path, query_form(text))


def stored_query(text: str, name: str, path: Path | None, query_type: str) -> StoredQuery:
    """Build a :class:`StoredQuery` from its text and ``#+`` header.

    Raises:
        QueryError: the header is malformed.
    """
    where = str(path) if path else name
    header = _parse_header(text, where)
    tags = header.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return StoredQuery(
        name=name,
        path=path,
        summary=str(header.get("summary", "")).strip(),
        description=" ".join(str(header.get("description", "")).split()),
        tags=tuple(str(t) for t in tags),
        params=_params_from_header(header, where),
        query_type=query_type,
        text=text,
    )


def render_table(header: list[str], body: list[list[str]]) -> str:
    """Render rows of cell texts as aligned columns with a row count (the ``table`` format)."""
    body = [[" ".join(cell.split()) for cell in row] for row in body]
    widths = [len(h) for h in header]
    for row in body:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out.extend(line(row) for row in body)
    out.append(f"({len(body)} row{'s' if len(body) != 1 else ''})")
    return "\n".join(out) + "\n"


def list_queries(directory: Path | None = None) -> list[StoredQuery]:
    """Return every stored query under ``queries/`` (or ``directory``) from its header.

    Like :func:`nervegraph.queries.list_queries`, sorted by name, but without parsing
    the SPARQL (that one also checks every query parses).

    Raises:
        QueryError: a file is unreadable or has a malformed header.
    """
    root = directory or resources.query_dir()
    if not root.is_dir():
        return []
    return [
        read_header(path, path.relative_to(root).with_suffix("").as_posix())
        for path in sorted(root.rglob("*.rq"))
    ]


def catalogue_markdown(queries: list[StoredQuery] | None = None) -> str:
    """Return ``docs/queries.md``: the catalogue rendered from the query headers.

    Regenerate the file with ``nervegraph queries --format markdown > docs/queries.md``.
    """
    queries = list_queries() if queries is None else queries
    out = [
        "# Stored queries",
        "",
        "<!-- Generated from the '#+' headers of queries/**/*.rq; do not edit. -->",
        "<!-- Regenerate: nervegraph queries --format markdown > docs/queries.md -->",
        "",
        "Run one with `nervegraph query NAME [--param KEY=VALUE ...]`; a parameter value",
        "is a label or synonym (any case), a full IRI or a CURIE such as",
        "`nge:lumbar-spine`. A query run without an optional parameter answers for all.",
        "",
        "| query | type | summary | parameters |",
        "|---|---|---|---|",
    ]
    for q in queries:
        params = ", ".join(f"`{p.name}`{'' if p.required else '?'}" for p in q.params) or "–"
        link = f"[`{q.name}`](#{_anchor(q.name)})"
        out.append(f"| {link} | {q.query_type} | {q.summary} | {params} |")
    for q in queries:
        out += ["", f"## {q.name}", "", f"**{q.summary}** ({q.query_type})", ""]
        if q.description:
            out += [q.description, ""]
        if q.tags:
            out += ["Tags: " + ", ".join(f"`{t}`" for t in q.tags), ""]
        if q.params:
            out += ["| parameter | value: instance of | required | description |"]
            out += ["|---|---|---|---|"]
            for p in q.params:
                cls = f"`{p.cls}` in `{p.scheme}`" if p.scheme else f"`{p.cls}`"
                out.append(
                    f"| `{p.name}` | {cls} | {'yes' if p.required else 'no'} | {p.description} |"
                )
            out.append("")
        out += [f"Source: `queries/{q.name}.rq`"]
    return "\n".join(out) + "\n"


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", name.lower()).replace(" ", "-")


def filter_by_tag(queries: list[StoredQuery], tag: str | None) -> list[StoredQuery]:
    """Return the queries carrying ``tag`` (case-insensitive); all when ``tag`` is None."""
    if not tag:
        return queries
    wanted = tag.casefold()
    return [q for q in queries if wanted in (t.casefold() for t in q.tags)]


def catalogue_text(queries: list[StoredQuery]) -> str:
    """Return the catalogue as an aligned text table: name, parameters, summary."""
    rows = [
        (
            q.name,
            " ".join(f"{p.name}{'' if p.required else '?'}" for p in q.params) or "-",
            q.summary,
        )
        for q in queries
    ]
    header = ("name", "params", "summary")
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(2)]
    lines = [
        f"{r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2]}".rstrip()
        for r in [header, *rows]
    ]
    lines.append(f"({len(rows)} queries; '?' marks an optional parameter)")
    return "\n".join(lines) + "\n"


def catalogue_rows(queries: list[StoredQuery]) -> list[dict[str, Any]]:
    """Return the catalogue as JSON-ready dicts (name, type, summary, tags, params)."""
    return [
        {
            "name": q.name,
            "type": q.query_type,
            "summary": q.summary,
            "description": q.description,
            "tags": list(q.tags),
            "params": [
                {
                    "name": p.name,
                    "class": p.cls,
                    "scheme": p.scheme,
                    "required": p.required,
                    "description": p.description,
                }
                for p in q.params
            ],
        }
        for q in queries
    ]
