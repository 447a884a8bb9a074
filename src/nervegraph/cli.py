"""The ``nervegraph`` command line: a thin shell over the library.

Exit codes (also in the README):

====  =====================================================================
0     success: the graph conforms / the files are canonical
1     the check ran and failed: SHACL violations / non-canonical files
2     error: bad input (missing, empty or malformed file), bad usage, a bad query
      parameter, a SPARQL syntax error (line:column)
====  =====================================================================

Shared options are defined once below (``format_option``, ``paths_argument``,
``engine_option``) so the commands added later (``query``, ``export``, ``serve``,
``load``) look alike.

Start-up: this module imports only click and nervegraph's light modules; every command
imports what it needs (rdflib, pySHACL, pyoxigraph) inside its function, so
``nervegraph --help`` and ``nervegraph queries`` never load rdflib or pySHACL
(``tests/test_startup.py``).
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from nervegraph.errors import NervegraphError, QueryError
from nervegraph.rdf.engines import QUERY_ENGINES, VALIDATION_ENGINES

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])

#: ``validate --format`` (``nervegraph.shacl.validate.REPORT_FORMATS``, kept here so that
#: ``--help`` does not import rdflib; tests/test_startup.py checks they agree)
REPORT_FORMATS = ("text", "json", "turtle")


def format_option(*choices: str, default: str | None = None) -> Callable[[F], F]:
    """Return a ``--format/-f`` option limited to ``choices`` (first one is the default)."""
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(choices),
        default=default or choices[0],
        show_default=True,
        help="Output format.",
    )


def paths_argument(help_text: str) -> Callable[[F], F]:
    """Return a ``PATH ...`` argument (any number; existence is checked by the library)."""

    def decorate(func: F) -> F:
        func.__doc__ = (func.__doc__ or "") + f"\n\n    PATH: {help_text}"
        return click.argument("paths", nargs=-1, type=click.Path(path_type=Path))(func)

    return decorate


def engine_option(*choices: str) -> Callable[[F], F]:
    """Return an ``--engine`` option limited to ``choices`` (the first is the default).

    ``query``: ``oxigraph`` (default) or ``rdflib``; ``validate``: ``turbo``
    (pyshacl-turbo, default) or ``pyshacl``. See :mod:`nervegraph.rdf.engines`.
    """
    return click.option(
        "--engine",
        "engine",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Engine that does the work (the default is the fast one; both give the same answers).",
    )


def endpoint_option(required: bool = False, help_text: str | None = None) -> Callable[[F], F]:
    """Return an ``--endpoint URL`` option naming a SPARQL server (query or base URL)."""
    return click.option(
        "--endpoint",
        "endpoint",
        metavar="URL",
        required=required,
        help=help_text or "SPARQL endpoint URL, e.g. http://127.0.0.1:7878/query.",
    )


def timeout_option(default: float = 30.0) -> Callable[[F], F]:
    """Return a ``--timeout SECONDS`` option for requests to a server."""
    return click.option(
        "--timeout",
        "timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=default,
        show_default=True,
        help="Seconds to wait for each request to the server.",
    )


@contextlib.contextmanager
def _deadline(seconds: float | None, what: str) -> Any:
    """Bound a block (reading the input included): at the deadline, say so and exit 2.

    A watchdog thread, not a signal: Oxigraph's queries and expat's parsing are native
    calls that a Python signal handler cannot interrupt, and a forked child per call
    costs more than the work it guards. Nothing is half-written: output files are
    written after the block, atomically.
    """
    if seconds is None:
        yield
        return
    import os
    import threading

    def expire() -> None:
        sys.stderr.write(f"error: {what} did not finish within {seconds:g} s (--timeout)\n")
        sys.stderr.flush()
        os._exit(EXIT_ERROR)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def handle_errors(func: F) -> F:
    """Turn NervegraphError into ``error: <message>`` on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NervegraphError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", package_name="nervegraph", prog_name="nervegraph")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Nervegraph: a medical article as an RDF knowledge graph, checked by SHACL."""
    import logging  # here: `nervegraph --help` does not need it (7 ms)

    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # rdflib warns "does not look like a valid URI" before our own error says where the
    # IRI is (nervegraph.rdf.guards): noise on the command line.
    logging.getLogger("rdflib.term").addFilter(
        lambda record: "does not look like a valid URI" not in record.getMessage()
    )


@main.command()
@paths_argument("data files or directories; default: the bundled graph.")
@click.option(
    "--shapes",
    "shapes",
    multiple=True,
    type=click.Path(path_type=Path),
    help="SHACL shapes file (repeatable); default: the bundled ontology/shapes.ttl.",
)
@click.option(
    "--ontology/--no-ontology",
    "with_ontology",
    default=True,
    show_default=True,
    help="Read the bundled ontology together with the given PATHs.",
)
@format_option(*REPORT_FORMATS)
@click.option(
    "--timeout",
    "timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    help="Seconds SHACL validation may run before it is stopped (exit 2).",
)
@engine_option(*VALIDATION_ENGINES)
@handle_errors
def validate(
    paths: tuple[Path, ...],
    shapes: tuple[Path, ...],
    with_ontology: bool,
    fmt: str,
    timeout: float,
    engine: str,
) -> None:
    """Validate the graph against the SHACL shapes.

    Given PATHs are read together with the bundled ontology (unless --no-ontology).
    Exit 0 when the graph conforms, 1 on violations, 2 on an error.
    """
    from nervegraph.shacl.validate import validate_and_format

    conforms, text = validate_and_format(
        list(paths) or None,
        include_ontology=with_ontology,
        shapes=list(shapes) or None,
        timeout=timeout,
        engine=engine,
        fmt=fmt,
    )
    click.echo(text, nl=False)
    sys.exit(EXIT_OK if conforms else EXIT_FAILED)


@main.command()
@paths_argument("Turtle files or directories; default: ontology/ and data/.")
@click.option("--fix", is_flag=True, help="Rewrite non-canonical files in place (atomically).")
@handle_errors
def lint(paths: tuple[Path, ...], fix: bool) -> None:
    """Check that Turtle files are in canonical (longturtle) form.

    Exit 0 when all are canonical (or were fixed), 1 when some are not, 2 on an error.
    """
    from nervegraph.rdf.canonical import FIX_HINT, lint_files

    dirty = lint_files(list(paths) or None, fix=fix)
    if fix:
        for path in dirty:
            click.echo(f"fixed: {path}")
        sys.exit(EXIT_OK)
    if dirty:
        for path in dirty:
            click.echo(f"not canonical: {path}")
        click.echo(f"{len(dirty)} file(s) not canonical; {FIX_HINT}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo("all Turtle files are canonical")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7878, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--location",
    type=click.Path(file_okay=False, path_type=Path),
    help="Store directory (kept); default: a temporary one, removed on exit.",
)
@click.option(
    "--writable",
    is_flag=True,
    help="Allow SPARQL Update and Graph Store writes (with the bearer token it prints).",
)
@click.option(
    "--timeout-s",
    "timeout_s",
    type=click.IntRange(min=1),
    help="Query timeout (seconds): a query still running 1 s later is stopped (503).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the write token from this file, or write a new one there (mode 0600).",
)
@click.option(
    "--i-know-this-is-public",
    "allow_public",
    is_flag=True,
    help="Allow a --host that is not loopback (anyone who reaches it can query it).",
)
@handle_errors
def serve(
    host: str,
    port: int,
    location: Path | None,
    writable: bool,
    timeout_s: int | None,
    token_file: Path | None,
    allow_public: bool,
) -> None:
    """Serve the graph from a local Oxigraph SPARQL server until Ctrl-C.

    Every file (ontology, data, mappings) is a named graph
    https://w3id.org/nervegraph/graph/<stem>; the default graph is their union.
    Requests for another Host, and writes from another Origin, are refused; writes need
    the bearer token printed on start. Exit 2 when the port is in use, the host is not
    loopback without --i-know-this-is-public, or the server cannot start.
    """
    from nervegraph.interchange.guard import is_loopback
    from nervegraph.interchange.server import serve as run_server

    if not is_loopback(host) and allow_public:
        click.echo(
            f"warning: listening on {host}, not loopback: anyone who can reach this machine "
            "can query the store" + (" (writes still need the token)" if writable else ""),
            err=True,
        )

    def ready(server: Any) -> None:
        mode = "read-write" if server.writable else "read-only"
        click.echo(f"SPARQL endpoint: {server.query_url} ({mode}, store {server.location})")
        for item in server.graphs:
            click.echo(f"  graph <{item.graph}>  <- {item.path.name}")
        click.echo(f"Example: {server.example_command()}")
        if server.token:
            click.echo(
                f"Write token (send 'Authorization: Bearer <token>'; "
                f"nervegraph load reads $NERVEGRAPH_TOKEN): {server.token}\n"
                f"  also in {server.token_file} (mode 0600)",
                err=True,
            )
        click.echo("Press Ctrl-C to stop.")

    sys.exit(
        run_server(
            host=host,
            port=port,
            location=location,
            writable=writable,
            timeout_s=timeout_s,
            on_ready=ready,
            token_file=token_file,
            allow_public=allow_public,
        )
    )


@main.command()
@endpoint_option(required=True, help_text="The store: its base URL or /query URL.")
@click.option("--graph", "graph", metavar="IRI", help="Load everything into this named graph.")
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="File or directory to load (repeatable); default: the bundled graph.",
)
@click.option(
    "--token",
    metavar="TOKEN",
    help="Bearer token for a 'nervegraph serve --writable' server; default $NERVEGRAPH_TOKEN.",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Journal file of this store's loads (default under $XDG_STATE_HOME/nervegraph).",
)
@timeout_option(60.0)
@handle_errors
def load(
    endpoint: str,
    graph: str | None,
    data: tuple[Path, ...],
    token: str | None,
    journal: Path | None,
    timeout: float,
) -> None:
    """Load the graph into a store over the SPARQL 1.1 Graph Store Protocol.

    All or nothing: every graph is uploaded (HTTP PUT) into a staging graph, then one
    SPARQL Update moves them all into place, so the store holds all the old graphs or
    all the new ones. Loading twice gives the same triples. A timed-out request is not
    re-sent. Prints the triple counts read back from the store. Exit 2 on an error.
    """
    from nervegraph.interchange.gsp import format_load_report, load_into_store

    report = load_into_store(
        endpoint,
        graph=graph,
        data=list(data) or None,
        timeout=timeout,
        token=token,
        journal=journal,
    )
    if report.recovered:
        click.echo(f"note: {report.recovered}", err=True)
    click.echo(format_load_report(report), nl=False)


@main.command()
@paths_argument("files or directories to export; default: the bundled graph.")
@format_option("ttl", "nt", "nq", "trig", "jsonld", "xml", "kgx", "void")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="File to write (atomically); a directory for kgx. Default: stdout.",
)
@handle_errors
def export(paths: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """Export the graph as RDF (ttl nt nq trig jsonld xml), Biolink KGX TSV or VoID.

    nq and trig keep one named graph per source file. Exit 2 on an error.
    """
    from nervegraph.interchange.export import export_graph

    text = export_graph(fmt, output, paths=list(paths) or None)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


# ---------------------------------------------------------------- stored queries

#: ``--format`` of ``nervegraph query``: table for people, W3C SPARQL results formats for
#: SELECT/ASK (csv tsv json xml), RDF for CONSTRUCT (turtle nt jsonld xml; json = jsonld).
QUERY_FORMATS = ("auto", "table", "csv", "tsv", "json", "xml", "turtle", "nt", "jsonld")


def _parse_params(raw: tuple[str, ...]) -> dict[str, str]:
    """Turn ``KEY=VALUE`` strings into a dict; a malformed one is a usage error (exit 2)."""
    params: dict[str, str] = {}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        if key.strip() in params:
            raise click.BadParameter(
                f"{key.strip()!r} is given twice ({params[key.strip()]!r} and {value!r}); "
                "a parameter takes one value",
                param_hint="--param",
            )
        params[key.strip()] = value
    return params


@main.command("queries")
@click.option("--tag", help="Only queries with this tag (case-insensitive).")
@format_option("table", "json", "markdown")
@handle_errors
def queries_command(tag: str | None, fmt: str) -> None:
    """List the stored queries: name, summary and parameters.

    --format markdown prints docs/queries.md
    (nervegraph queries --format markdown > docs/queries.md).
    """
    from nervegraph.queries.catalogue import (
        catalogue_markdown,
        catalogue_text,
        filter_by_tag,
        list_queries,
    )

    found = filter_by_tag(list_queries(), tag)
    if fmt == "markdown":
        click.echo(catalogue_markdown(found), nl=False)
    elif fmt == "json":
        import json

        from nervegraph.queries.catalogue import catalogue_rows

        click.echo(json.dumps(catalogue_rows(found), indent=2, ensure_ascii=False))
    else:
        click.echo(catalogue_text(found), nl=False)


@main.command("query")
@click.argument("query", metavar="NAME|FILE.rq|-")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Parameter value: a label or synonym, an IRI or a CURIE (repeatable).",
)
@format_option(*QUERY_FORMATS)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (atomically). Default: stdout.",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="RDF file or directory to query (repeatable), read with the bundled ontology; "
    "default: the bundled graph.",
)
@endpoint_option(
    help_text="Run on this SPARQL endpoint instead of the local graph "
    "(parameters are resolved locally and sent as RDF terms)."
)
@timeout_option()
@click.option(
    "--allow-network",
    is_flag=True,
    help="Let a local query use SERVICE, LOAD or FROM <IRI> (refused by default).",
)
@engine_option(*QUERY_ENGINES)
@handle_errors
def query_command(
    query: str,
    params: tuple[str, ...],
    fmt: str,
    output: Path | None,
    data: tuple[Path, ...],
    endpoint: str | None,
    timeout: float,
    allow_network: bool,
    engine: str,
) -> None:
    """Run a stored query (by name), a .rq file, or SPARQL from stdin (-).

    Formats: table (labels, aligned; the default for SELECT/ASK), csv/tsv/json/xml (W3C
    SPARQL 1.1 results), turtle (the default for CONSTRUCT)/nt/jsonld/xml. Exit 2 on a bad
    parameter, a SPARQL syntax error (line:column) or a bad input file.
    """
    from nervegraph.queries.run import result_format, run_query
    from nervegraph.rdf.files import atomic_write_text
    from nervegraph.rdf.load import load_graph

    values = _parse_params(params)
    source: str | Path = query
    if query == "-":
        source = sys.stdin.read()
        if not source.strip():
            raise QueryError("no SPARQL on standard input (query -)")
    elif query.endswith(".rq") or Path(query).is_file():
        source = Path(query)
    with _deadline(timeout, "the query"):
        graph = load_graph(list(data) or None, engine=engine)
        if endpoint:
            from nervegraph.queries.remote import run_stored_remote

            result = run_stored_remote(source, endpoint, graph, timeout=timeout, **values)
        else:
            result = run_query(source, graph, allow_network=allow_network, **values)
        text = result.serialize(result_format(fmt, result.query_type))
    if output is not None:
        atomic_write_text(output, text)
    else:
        click.echo(text, nl=False)


@main.command("mappings")
@click.option(
    "--check",
    is_flag=True,
    help="Verify every row against the installed terminology packages (exit 1 on mismatch).",
)
@format_option("table", "json")
@handle_errors
def mappings_command(check: bool, fmt: str) -> None:
    """Cross-references to MeSH, HP and ICD-10-CM (data/mappings/nervegraph.sssom.tsv).

    Prints coverage per terminology: entities mapped, verified, unverified. With
    --check, exit 1 listing every id that is unknown to the shipped terminology or whose
    label differs from the recorded one; exit 2 when a terminology package is missing.
    """
    from nervegraph.mappings.sssom import (
        check_mappings,
        format_coverage,
        format_problems,
        mapping_coverage,
    )
    from nervegraph.mappings.terminology import TerminologyBackendMissing

    if check:
        try:
            problems = check_mappings()
        except TerminologyBackendMissing as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        if problems:
            click.echo(format_problems(problems), nl=False)
            click.echo(f"{len(problems)} mapping problem(s)", err=True)
            sys.exit(EXIT_FAILED)
    rows, unmapped = mapping_coverage()
    click.echo(format_coverage(rows, unmapped, fmt), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
