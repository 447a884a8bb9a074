"""The stored-query catalogue: ``#+`` headers, finding one query, listings, the docs page.

A stored query is found by its file name (:func:`find_query` reads that one file), and
the catalogue is listed from the YAML headers alone, so neither parses any SPARQL. The
SPARQL of a query is parsed once, when something needs it (:attr:`StoredQuery.tree`).
"""

from __future__ import annotations

import difflib
import functools
import glob
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nervegraph import resources
from nervegraph.errors import QueryError

_PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


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
    text: str

    def param(self, name: str) -> QueryParam | None:
        """Return the parameter called ``name``, or ``None``."""
        return next((p for p in self.params if p.name == name), None)

    @functools.cached_property
    def tree(self) -> object:
        """Rdflib's parse tree of the SPARQL (parsed on first use).

        Raises:
            QueryError: the SPARQL does not parse (line and column).
        """
        from nervegraph.rdf.sparql import parse_tree

        return parse_tree(self.text)

    @functools.cached_property
    def algebra(self) -> object:
        """The query prepared for rdflib's engine, translated once from :attr:`tree`.

        (The translation rewrites the parse tree in place: it must happen only once.)
        """
        from rdflib.plugins.sparql.algebra import translateQuery

        return translateQuery(self.tree)

    @property
    def query_type(self) -> str:
        """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``, from the parse tree."""
        from nervegraph.rdf.sparql import query_form

        return query_form(self.tree)


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


def read_query_file(path: Path, name: str | None = None) -> StoredQuery:
    """Return the stored query in ``path`` from its header (the SPARQL is not parsed yet).

    Raises:
        QueryError: the file is unreadable, empty or its header is malformed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{path}: cannot read query file: {exc}") from None
    if not text.strip():
        raise QueryError(f"{path}: the query file is empty")
    return stored_query(text, name or path.stem, path)


def stored_query(text: str, name: str, path: Path | None = None) -> StoredQuery:
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


def _names(root: Path) -> list[str]:
    """The catalogue names under ``root``: each ``.rq`` path without the suffix."""
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.rq"))


def list_queries(directory: Path | None = None) -> list[StoredQuery]:
    """Return every stored query under ``queries/`` (or ``directory``), sorted by name.

    The name is the path below the directory without ``.rq``, e.g.
    ``examples/causes-by-region``. Only the headers are read; the SPARQL is parsed when
    a query runs (``tests/test_queries.py`` parses every one).

    Raises:
        QueryError: a file is unreadable or has a malformed header.
    """
    root = directory or resources.query_dir()
    return [read_query_file(root / f"{name}.rq", name) for name in _names(root)]


def find_query(name: str, directory: Path | None = None) -> StoredQuery:
    """Return the stored query called ``name`` (full name or unique basename).

    Only that query's file is read: the name is a path below the catalogue directory,
    or a basename one directory down (``causes-by-region`` is
    ``examples/causes-by-region``).

    Raises:
        QueryError: no query or more than one has that name.
    """
    root = directory or resources.query_dir()
    wanted = name.removesuffix(".rq")
    parts = wanted.split("/")
    if wanted and not any(part in ("", ".", "..") for part in parts):
        exact = root / f"{wanted}.rq"
        if exact.is_file():
            return read_query_file(exact, wanted)
        if len(parts) == 1:
            found = sorted(root.glob(f"*/{glob.escape(wanted)}.rq"))
            if len(found) == 1:
                return read_query_file(found[0], f"{found[0].parent.name}/{wanted}")
            if found:
                names = ", ".join(f"{p.parent.name}/{wanted}" for p in found)
                raise QueryError(f"query name {name!r} is ambiguous: {names}")
    names = _names(root)
    close = difflib.get_close_matches(wanted, names, n=3)
    by_base = {n.rsplit("/", 1)[-1]: n for n in names}
    close += [by_base[b] for b in difflib.get_close_matches(wanted, list(by_base), n=3)]
    hint = f"; did you mean: {', '.join(dict.fromkeys(close))}" if close else ""
    raise QueryError(
        f"no stored query named {name!r}{hint} (run 'nervegraph queries' for the list)"
    )


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
