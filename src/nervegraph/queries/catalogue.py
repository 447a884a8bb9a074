"""The stored-query catalogue: ``#+`` headers, finding one query, listings, the docs page.

A stored query is found by its file name (:func:`find_query` reads that one file), and
the catalogue is listed from the YAML headers alone, so neither parses any SPARQL. The
SPARQL of a query is parsed once, when something needs it (:attr:`StoredQuery.tree`).
"""

from __future__ import annotations

import functools
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


def fit_widths(
    widths: list[int], width: int | None, keep: frozenset[int] = frozenset(), gap: int = 2
) -> list[int]:
    """Shrink the widest columns until a line fits ``width`` characters (``None``: as is).

    Columns in ``keep`` are never shrunk; the others keep at least 8 characters.
    """
    widths = list(widths)
    if width is None:
        return widths
    while sum(widths) + gap * (len(widths) - 1) > width:
        shrinkable = [i for i in range(len(widths)) if i not in keep and widths[i] > 8]
        if not shrinkable:
            break
        widths[max(shrinkable, key=widths.__getitem__)] -= 1
    return widths


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(
    header: list[str],
    body: list[list[str]],
    width: int | None = None,
    keep: frozenset[int] = frozenset(),
) -> str:
    """Render rows of cell texts as aligned columns with a row count (the ``table`` format).

    Args:
        header: the column names.
        body: the rows of cell texts (whitespace runs shown as one space).
        width: the line length to fit (long cells are cut with ``…``); ``None``: no limit.
            Only this people's format is ever cut: csv, tsv and json keep every value.
        keep: the columns never cut (e.g. the name one must type).
    """
    body = [[" ".join(cell.split()) for cell in row] for row in body]
    widths = [len(h) for h in header]
    for row in body:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    widths = fit_widths(widths, width, keep)

    def line(cells: list[str]) -> str:
        cells = [_cut(c, w).ljust(w) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(cells).rstrip()

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
            import glob

            found = sorted(root.glob(f"*/{glob.escape(wanted)}.rq"))
            if len(found) == 1:
                return read_query_file(found[0], f"{found[0].parent.name}/{wanted}")
            if found:
                names = ", ".join(f"{p.parent.name}/{wanted}" for p in found)
                raise QueryError(f"query name {name!r} is ambiguous: {names}")
    names = _names(root)
    import difflib  # here: only a name that matches nothing needs it

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
    """Return the queries carrying ``tag`` (case-insensitive); all when ``tag`` is None.

    Raises:
        QueryError: no query carries ``tag``; the message names the closest tags.
    """
    if not tag:
        return queries
    wanted = tag.casefold()
    found = [q for q in queries if wanted in (t.casefold() for t in q.tags)]
    if not found:
        tags = sorted({t for q in queries for t in q.tags}, key=str.casefold)
        import difflib

        close = difflib.get_close_matches(wanted, [t.casefold() for t in tags], n=3, cutoff=0.5)
        hint = f"did you mean: {', '.join(close)}? " if close else ""
        raise QueryError(f"no stored query is tagged {tag!r}; {hint}(tags: {', '.join(tags)})")
    return found


def catalogue_text(queries: list[StoredQuery], width: int | None = None) -> str:
    """Return the catalogue as an aligned table: name, parameters, tags, summary.

    Args:
        queries: the queries to list.
        width: the line length to fit (see :func:`render_table`); ``None``: no limit.
    """
    rows = [
        [
            q.name,
            " ".join(f"{p.name}{'' if p.required else '?'}" for p in q.params) or "-",
            ", ".join(q.tags) or "-",
            q.summary,
        ]
        for q in queries
    ]
    table = render_table(["name", "params", "tags", "summary"], rows, width, frozenset({0}))
    lines = table.splitlines()[:-1]  # the row count, said better below
    lines.append(
        f"({len(rows)} queries; '?' marks an optional parameter; "
        "'nervegraph queries NAME' shows one in full)"
    )
    return "\n".join(lines) + "\n"


#: at most this many accepted values are listed (in an error, in ``queries NAME``)
MAX_ACCEPTED_LISTED = 40


def listed(names: list[str]) -> str:
    """``names`` joined by commas, the first :data:`MAX_ACCEPTED_LISTED` and how many more."""
    if len(names) > MAX_ACCEPTED_LISTED:
        more = len(names) - MAX_ACCEPTED_LISTED
        return ", ".join(names[:MAX_ACCEPTED_LISTED]) + f", … and {more} more"
    return ", ".join(names)


def describe_query(query: StoredQuery, accepted: dict[str, list[str]] | None = None) -> str:
    """Return one stored query in full: header, parameters (with accepted values), SPARQL.

    Args:
        query: the query.
        accepted: parameter name -> the values it accepts (preferred labels), if known.
    """
    accepted = accepted or {}
    out = [query.name, "", query.summary]
    if query.description:
        out += ["", query.description]
    if query.tags:
        out += ["", "tags: " + ", ".join(query.tags)]
    for p in query.params:
        kind = f"{p.cls} in {p.scheme}" if p.scheme else p.cls
        needed = "required" if p.required else "optional: without it, all"
        out += [
            "",
            f"parameter {p.name} ({needed}): {p.description or kind}",
            f"  instance of {kind}",
        ]
        values = accepted.get(p.name)
        if values:
            shown = listed(values)
            out.append(f"  accepted: {shown}")
    example = " ".join(f"-p {p.name}=VALUE" for p in query.params if p.required)
    out += ["", f"run: nervegraph query {query.name} {example}".rstrip()]
    if query.path is not None:
        out.append(f"file: {query.path}")
    out += ["", query.text.rstrip()]
    return "\n".join(out) + "\n"


def catalogue_rows(queries: list[StoredQuery]) -> list[dict[str, Any]]:
    """Return the catalogue as JSON-ready dicts (name, summary, tags, params)."""
    return [
        {
            "name": q.name,
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
