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
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

from nervegraph.errors import NervegraphError, QueryError
from nervegraph.rdf import QUERY_ENGINES, VALIDATION_ENGINES


class PathType(click.Path):
    """``click.Path`` giving a ``pathlib.Path``; pathlib is imported when a value comes.

    (``click.Path(path_type=Path)`` needs pathlib when the commands are declared, which
    is a tenth of what ``nervegraph --help`` costs.)
    """

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        """Check the value as click.Path does, then make it a ``pathlib.Path``."""
        from pathlib import Path

        return Path(super().convert(value, param, ctx))


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])

#: ``validate --format`` (``nervegraph.shacl.validate.REPORT_FORMATS``, kept here so that
#: ``--help`` does not import rdflib; tests/test_startup.py checks they agree)
REPORT_FORMATS = ("text", "json", "turtle", "github", "junit")


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
        return click.argument(
            "paths", nargs=-1, metavar="[PATH]...", type=PathType()
        )(func)

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


def timeout_option(default: float = 30.0, help_text: str | None = None) -> Callable[[F], F]:
    """Return a ``--timeout SECONDS`` option (default: for requests to a server)."""
    return click.option(
        "--timeout",
        "timeout",
        metavar="SECONDS",
        type=click.FloatRange(min=0, min_open=True),
        default=default,
        show_default=True,
        help=help_text or "Seconds to wait for each request to the server.",
    )


@contextlib.contextmanager
def _deadline(seconds: float | None, what: str, grace: float = 0.0) -> Any:
    """Bound a block (reading the input included): at the deadline, say so and exit 2.

    A watchdog thread, not a signal: Oxigraph's queries and expat's parsing are native
    calls that a Python signal handler cannot interrupt, and a forked child per call
    costs more than the work it guards. Nothing is half-written: output files are
    written after the block, atomically. ``grace`` delays the watchdog so that a more
    specific deadline inside the block (SHACL validation's own) can speak first.
    """
    if seconds is None:
        yield
        return
    import os
    import threading

    def expire() -> None:
        message = f"{what} timed out: did not finish within {seconds:g} s (--timeout)"
        sys.stderr.write(f"error: {message}\n")
        sys.stderr.flush()
        os._exit(EXIT_ERROR)

    timer = threading.Timer(seconds + grace, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _fail(message: str) -> None:
    """Print ``error: message`` (bounded, one line) and exit 2."""
    from nervegraph.errors import bounded

    click.echo(f"error: {bounded(message, 500 - len('error: '))}", err=True)
    sys.exit(EXIT_ERROR)


def examples(*lines: str) -> str:
    """An ``epilog`` for ``--help``: the lines under ``Examples:``, kept as written."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def handle_errors(func: F) -> F:
    """Turn every failure of a command into ``error: <message>`` on stderr and exit code 2.

    NervegraphError carries its own words; an OSError (an unreadable input, stdout
    closed) names its file; anything else is a bug in nervegraph or a library under it
    and is still one bounded line with exit 2, never a traceback (``-vv`` logs it).
    click's own usage errors pass through (they exit 2 with click's message).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except NervegraphError as exc:
            _fail(str(exc))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}")
        except RecursionError:
            _fail("the input is nested too deeply to process")
        except MemoryError:
            _fail("out of memory")
        except Exception as exc:  # noqa: BLE001 - the last line of defence, see docstring
            import logging

            logging.getLogger("nervegraph.cli").debug("unexpected error", exc_info=True)
            _fail(f"unexpected {type(exc).__name__}: {exc}")

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", package_name="nervegraph", prog_name="nervegraph")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option(
    "--project",
    "project_dir",
    metavar="DIR",
    type=PathType(),
    help="Work on this project (a directory with nervegraph.toml or a pyproject.toml with "
    "[tool.nervegraph]). Default: $NERVEGRAPH_PROJECT, else the project the current "
    "directory is in, else the bundled graph.",
)
@click.pass_context
def main(ctx: click.Context, verbose: int, project_dir: Path | None) -> None:
    """Nervegraph: a medical article as an RDF knowledge graph, checked by SHACL.

    Every command works on the project it is run in (see --project): its ontology,
    data/, queries/ and sources/, with the bundled vocabulary, shapes and queries where
    the project has none; outside any project, on the bundled graph.
    """
    import logging  # here: `nervegraph --help` does not need it (7 ms)

    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # rdflib warns "does not look like a valid URI" before our own error says where the
    # IRI is (nervegraph.rdf.guards): noise on the command line.
    logging.getLogger("rdflib.term").addFilter(
        lambda record: "does not look like a valid URI" not in record.getMessage()
    )
    from nervegraph import resources

    # The project is chosen once, here, and pinned for this command run only
    # (resources.using_project: a context variable plus $NERVEGRAPH_PROJECT, both
    # restored when the command's context closes); nothing is set at import.
    try:
        project = (
            resources.project_at(project_dir)
            if project_dir is not None
            else resources.current_project()
        )
    except NervegraphError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    ctx.with_resource(resources.using_project(project))
    log = logging.getLogger("nervegraph")
    if log.isEnabledFor(logging.INFO):
        log.info(resources.describe(project))


@main.command(
    epilog=examples(
        "nervegraph validate                        # the project's graph",
        "nervegraph validate data/new-article.ttl   # one file, with the ontology",
        "nervegraph validate --format github data/  # annotations in GitHub Actions",
    )
)
@paths_argument("data files or directories; default: the project's graph.")
@click.option(
    "--shapes",
    "shapes",
    multiple=True,
    type=PathType(),
    help="SHACL shapes file (repeatable); default: the project's ontology/shapes.ttl "
    "(else the bundled one).",
)
@click.option(
    "--ontology/--no-ontology",
    "with_ontology",
    default=True,
    show_default=True,
    help="Read the project's ontology (else the bundled one) together with the given PATHs.",
)
@format_option(*REPORT_FORMATS)
@click.option(
    "--timeout",
    "timeout",
    metavar="SECONDS",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    help="Seconds the whole command (reading the files included) may run before it is "
    "stopped (exit 2).",
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

    Given PATHs are read together with the project's ontology (unless --no-ontology).
    Exit 0 when the graph conforms, 1 on violations, 2 on an error.
    """
    from nervegraph.shacl.validate import report_for, validate_paths

    # The watchdog bounds the whole command (reading the files included): validation
    # itself runs in this process, with no deadline child of its own.
    with _deadline(timeout, "validation", grace=0.5):
        result = validate_paths(
            list(paths) or None,
            include_ontology=with_ontology,
            shapes=list(shapes) or None,
            engine=engine,
        )
        text = report_for(result, fmt, list(paths) or None, include_ontology=with_ontology)
    click.echo(text, nl=False)
    sys.exit(EXIT_OK if result.conforms else EXIT_FAILED)


@main.command(
    epilog=examples(
        "nervegraph lint                 # the project's ontology/ and data/",
        "nervegraph lint --fix           # rewrite what is not canonical",
        "nervegraph lint data/new.ttl",
    )
)
@paths_argument("Turtle files or directories; default: the project's ontology/ and data/.")
@click.option("--fix", is_flag=True, help="Rewrite non-canonical files in place (atomically).")
@handle_errors
def lint(paths: tuple[Path, ...], fix: bool) -> None:
    """Check that Turtle files are in canonical (longturtle) form.

    Exit 0 when all are canonical (or were fixed), 1 when some are not, 2 on an error.
    """
    from nervegraph import resources
    from nervegraph.rdf.canonical import FIX_HINT, expand_turtle_paths, lint_files

    files = expand_turtle_paths(paths) if paths else resources.lint_targets()
    dirty = lint_files(files, fix=fix)
    if fix:
        for path in dirty:
            click.echo(f"rewrote {path} in canonical form")
        if dirty:
            click.echo(f"rewrote {len(dirty)} of {len(files)} Turtle file(s)")
        else:
            click.echo(f"all {len(files)} Turtle file(s) are canonical; nothing rewritten")
        sys.exit(EXIT_OK)
    if dirty:
        for path in dirty:
            click.echo(f"not canonical: {path}")
        click.echo(f"{len(dirty)} of {len(files)} file(s) not canonical; {FIX_HINT}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"all {len(files)} Turtle file(s) are canonical")


@main.command(
    epilog=examples(
        "nervegraph serve                                   # read-only, temporary store",
        "nervegraph serve --port 7879 --location ./store --writable",
    )
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7878, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--location",
    type=PathType(file_okay=False),
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
    type=PathType(dir_okay=False),
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
    started: list[str] = []

    def ready(server: Any) -> None:
        mode = "read-write" if server.writable else "read-only"
        click.echo(f"SPARQL endpoint: {server.query_url} ({mode}, store {server.location})")
        click.echo(f"Graph Store:     {server.store_url}")
        if server.writable:
            click.echo(f"SPARQL Update:   {server.update_url}")
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
        click.echo("Press Ctrl-C (or send SIGTERM) to stop the server.")
        started.append(server.base_url)

    code = run_server(
        host=host,
        port=port,
        location=location,
        writable=writable,
        timeout_s=timeout_s,
        on_ready=ready,
        token_file=token_file,
        allow_public=allow_public,
    )
    if started:
        click.echo(f"stopped the server at {started[0]}", err=True)
    sys.exit(code)


@main.command(
    epilog=examples(
        "nervegraph load --endpoint http://127.0.0.1:7878",
        "nervegraph load --endpoint http://127.0.0.1:7878 --graph https://example.org/g "
        "--data more.ttl",
    )
)
@endpoint_option(required=True, help_text="The store: its base URL or /query URL.")
@click.option("--graph", "graph", metavar="IRI", help="Load everything into this named graph.")
@click.option(
    "--data",
    "data",
    multiple=True,
    type=PathType(),
    help="File or directory to load (repeatable); default: the project's graph.",
)
@click.option(
    "--token",
    metavar="TOKEN",
    help="Bearer token for a 'nervegraph serve --writable' server; default $NERVEGRAPH_TOKEN.",
)
@click.option(
    "--journal",
    type=PathType(dir_okay=False),
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


@main.command(
    epilog=examples(
        "nervegraph export -f ttl -o nervegraph.ttl",
        "nervegraph export -f trig -o nervegraph.trig   # one named graph per file",
        "nervegraph export -f kgx -o kgx/               # kgx/nodes.tsv, kgx/edges.tsv",
        "nervegraph export -f void                      # VoID to stdout",
    )
)
@paths_argument("files or directories to export; default: the project's graph.")
@format_option("ttl", "nt", "nq", "trig", "jsonld", "xml", "kgx", "void")
@click.option(
    "--output",
    "-o",
    type=PathType(),
    help="File to write (atomically); a directory for kgx. Default (or -): stdout.",
)
@click.option(
    "--timeout",
    "timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    help="Seconds the whole command (reading the files included) may run (exit 2).",
)
@handle_errors
def export(paths: tuple[Path, ...], fmt: str, output: Path | None, timeout: float) -> None:
    """Export the graph as RDF (ttl nt nq trig jsonld xml), Biolink KGX TSV or VoID.

    nq and trig keep one named graph per source file. Exit 2 on an error.
    """
    from nervegraph.interchange.export import export_graph, export_summary
    from nervegraph.rdf.files import write_output

    if output is not None and str(output) == "-":
        output = None
    with _deadline(timeout, "export"):
        text = export_graph(fmt, output, paths=list(paths) or None)
    if text is not None:
        write_output(None, text if text.endswith("\n") else text + "\n")
    elif output is not None:  # say what was written, on stderr (stdout stays clean)
        click.echo(export_summary(fmt, output, paths=list(paths) or None), err=True)


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


def _width() -> int | None:
    """The terminal's width for tables: when stdout is a terminal or $COLUMNS is set."""
    import os
    import shutil

    if sys.stdout.isatty() or "COLUMNS" in os.environ:
        return shutil.get_terminal_size().columns
    return None


@main.command(
    "queries",
    epilog=examples(
        "nervegraph queries                      # the catalogue",
        "nervegraph queries causes-by-region     # one query: parameters, values, SPARQL",
        "nervegraph queries --tag qc",
    ),
)
@click.argument("name", required=False)
@click.option("--tag", help="Only queries with this tag (case-insensitive).")
@format_option("table", "json", "markdown")
@handle_errors
def queries_command(name: str | None, tag: str | None, fmt: str) -> None:
    """List the stored queries (name, parameters, tags, summary), or show one in full.

    With NAME: its description, parameters with the values they accept, and its SPARQL.
    --format markdown prints docs/queries.md
    (nervegraph queries --format markdown > docs/queries.md).
    """
    from nervegraph.queries import catalogue

    if name is not None:
        from nervegraph.queries.run import accepted_values

        query = catalogue.find_query(name)
        click.echo(catalogue.describe_query(query, accepted_values(query)), nl=False)
        return
    found = catalogue.filter_by_tag(catalogue.list_queries(), tag)
    if fmt == "markdown":
        click.echo(catalogue.catalogue_markdown(found), nl=False)
    elif fmt == "json":
        import json

        click.echo(json.dumps(catalogue.catalogue_rows(found), indent=2, ensure_ascii=False))
    else:
        click.echo(catalogue.catalogue_text(found, _width()), nl=False)


@main.command(
    "query",
    epilog=examples(
        "nervegraph query causes-by-region --param region=lumbar",
        'nervegraph query mechanism-steps -p mechanism="disrupted ion flow leading to spasm" '
        "-f csv",
        "nervegraph query entity-neighbourhood -p entity=nge:herniated-disc   # Turtle",
        "echo 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' | nervegraph query -",
        "nervegraph query symptoms --endpoint http://127.0.0.1:7878",
    ),
)
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
    type=PathType(dir_okay=False),
    help="File to write (atomically). Default: stdout.",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=PathType(),
    help="RDF file or directory to query (repeatable), read with the project's ontology; "
    "default: the project's graph.",
)
@endpoint_option(
    help_text="Run on this SPARQL server instead of the local graph: its query URL or "
    "its base URL (http://127.0.0.1:7878 means http://127.0.0.1:7878/query). Parameters "
    "are resolved locally and sent as RDF terms."
)
@timeout_option(
    help_text="Seconds the whole command may take, reading the data included, locally "
    "or with --endpoint; then exit 2."
)
@click.option(
    "--allow-network",
    is_flag=True,
    help="Let a local query use SERVICE, LOAD or FROM <IRI> (refused by default).",
)
@click.option(
    "--iris",
    is_flag=True,
    help="Table: show IRIs as CURIEs (what --param accepts) instead of labels.",
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
    iris: bool,
    engine: str,
) -> None:
    """Run a stored query (by name), a .rq file, or SPARQL from stdin (-).

    Formats: table (labels, aligned; the default for SELECT/ASK), csv/tsv/json/xml (W3C
    SPARQL 1.1 results), turtle (the default for CONSTRUCT)/nt/jsonld/xml. Exit 2 on a bad
    parameter, a SPARQL syntax error (line:column) or a bad input file.
    """
    from nervegraph.queries.run import result_format, run_query
    from nervegraph.rdf.files import write_output
    from nervegraph.rdf.load import load_graph

    values = _parse_params(params)
    source: str | Path = query
    from pathlib import Path

    with _deadline(timeout, "the query"):  # reading standard input included
        if query == "-":
            source = _read_stdin_query()
        elif query.endswith(".rq") or Path(query).is_file():
            source = Path(query)
        if endpoint:
            from nervegraph.queries.remote import run_stored_remote

            graph = load_graph(list(data) or None, engine=engine)
            result = run_stored_remote(source, endpoint, graph, timeout=timeout, **values)
        else:
            result = run_query(
                source,
                paths=list(data) or None,
                engine=engine,
                allow_network=allow_network,
                **values,
            )
        chosen = result_format(fmt, result.query_type)
        text = result.table(_width(), iris) if chosen == "table" else result.serialize(chosen)
    write_output(output, text)


def _read_stdin_query() -> str:
    """Return the SPARQL on standard input, read as UTF-8 whatever the locale says."""
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise QueryError(f"<stdin>:{line}:{column}: not valid UTF-8 ({exc.reason})") from None
    if not text.strip():
        raise QueryError("no SPARQL on standard input (query -)")
    return text


@main.command(
    "mappings",
    epilog=examples(
        "nervegraph mappings                      # coverage per terminology",
        "nervegraph mappings --check              # verify every row first (CI)",
        "nervegraph mappings --format markdown    # the table in docs/mappings.md",
    ),
)
@click.option(
    "--check",
    is_flag=True,
    help="First verify every row against the installed terminology packages "
    "(exit 1 listing the mismatches).",
)
@format_option("table", "markdown", "json")
@handle_errors
def mappings_command(check: bool, fmt: str) -> None:
    """Cross-references to MeSH, HP and ICD-10-CM (data/mappings/nervegraph.sssom.tsv).

    Prints coverage per terminology: entities mapped, verified, unverified. With
    --check, exit 1 listing every id that is unknown to the shipped terminology or whose
    label differs from the recorded one (as path:line: kind: message); exit 2 naming the
    install command when a terminology package is missing.
    """
    from nervegraph.mappings.sssom import (
        check_mappings,
        format_coverage,
        format_problems,
        mapping_coverage,
    )
    from nervegraph.mappings.terminology import TerminologyBackendMissing
    from nervegraph.rdf.load import load_graph

    graph = load_graph()
    problems = None
    if check:
        try:
            problems = check_mappings(graph=graph)
        except TerminologyBackendMissing as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        if problems:
            click.echo(format_problems(problems), nl=False)
            click.echo(f"{len(problems)} mapping problem(s)", err=True)
            sys.exit(EXIT_FAILED)
    rows, unmapped = mapping_coverage(graph=graph, problems=problems)
    click.echo(format_coverage(rows, unmapped, fmt, _width()), nl=False)


# ---------------------------------------------------------------- documentation site


@main.command(
    "docs",
    epilog=examples(
        "nervegraph docs                 # writes site/ here",
        "nervegraph docs -o /tmp/ng-site --source-dir ../shared/source",
    ),
)
@click.option(
    "--output",
    "-o",
    type=PathType(file_okay=False),
    default="site",
    show_default=True,
    help="Site directory: new, empty, or a site nervegraph wrote before.",
)
@click.option(
    "--source-dir",
    "--sources",
    "sources",
    multiple=True,
    type=PathType(file_okay=False),
    help="Directory searched first for each article's ng:sourceFile (repeatable); then "
    "the project's sources/ and ../shared/source of the checkout.",
)
@handle_errors
def docs_command(output: Path, sources: tuple[Path, ...]) -> None:
    """Build the static documentation site of the graph (offline HTML + SVG, no JavaScript).

    Open OUTPUT/index.html in a browser. Exit 2 when OUTPUT is a non-empty directory that
    nervegraph did not write.
    """
    from nervegraph.site import build_site
    from nervegraph.sources.text import default_source_dirs

    report = build_site(output, source_dirs=[*sources, *default_source_dirs()])
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"wrote {len(report.files)} files ({report.entities} entity pages, "
        f"{report.queries} query pages) to {report.output}; open {report.output / 'index.html'}"
    )


# ---------------------------------------------------------------- release


@main.command(
    "release",
    epilog=examples(
        "nervegraph release -o dist     # dist/nervegraph-<version>/",
        "cd dist/nervegraph-<version> && sha256sum -c SHA256SUMS",
    ),
)
@click.option(
    "--output",
    "-o",
    type=PathType(file_okay=False),
    default=".",
    show_default=True,
    help="Directory in which the folder nervegraph-<version>/ is written.",
)
@handle_errors
def release_command(output: Path) -> None:
    """Write a release folder: every dump, void.ttl (VoID/DCAT), the site, SHA256SUMS.

    Exit 2 when the folder exists, is not empty and was not written by nervegraph.
    """
    from nervegraph.site import build_release

    report = build_release(output)
    click.echo(
        f"wrote release {report.version} ({report.triples} triples, {len(report.files)} files) "
        f"to {report.folder}; verify with: cd {report.folder} && sha256sum -c SHA256SUMS"
    )


@main.command(
    "check-sources",
    epilog=examples(
        "nervegraph check-sources",
        "nervegraph check-sources data/new.ttl --source-dir ~/articles --min-coverage 0",
    ),
)
@paths_argument("data files or directories; default: the project's data/.")
@click.option(
    "--source-dir",
    "source_dirs",
    multiple=True,
    type=PathType(file_okay=False),
    help="Directory searched first for each article's ng:sourceFile (repeatable); then "
    "the project's sources/ and beside the data file.",
)
@click.option(
    "--min-coverage",
    metavar="PERCENT",
    type=click.FloatRange(0, 100),
    default=95.0,
    show_default=True,
    help="Minimum percentage of fact-stating sentences cited by a quote.",
)
@format_option("text", "json")
@handle_errors
def check_sources_command(
    paths: tuple[Path, ...], source_dirs: tuple[Path, ...], min_coverage: float, fmt: str
) -> None:
    """Check quotes, hashes, coverage and hedges against the source articles' texts.

    Exit 1 on a SHA-256 mismatch, a heading or quote not found verbatim in its section,
    coverage below --min-coverage, or a quoted hedge word the statement does not carry;
    exit 2 on bad input or when no article's text is found.
    """
    from nervegraph import resources
    from nervegraph.sources.check import check_sources

    result = check_sources(
        list(paths) or resources.data_files(),
        source_dirs=(*source_dirs, *resources.source_dirs()),  # then the project's sources/
        min_coverage=min_coverage,
    )
    click.echo(result.render(fmt), nl=False)
    if not result.ok:
        sys.exit(EXIT_FAILED)


# ---------------------------------------------------------------- new source


@main.command(
    "new-source",
    epilog=examples(
        "nervegraph new-source article.txt",
        "nervegraph new-source ~/Downloads/sciatica.txt --slug sciatica --title \"Sciatica\"",
    ),
)
@click.argument("text_file", type=PathType())
@click.option("--slug", help="ngsrc:SLUG and data/SLUG.ttl; default: from the file name.")
@click.option("--title", help="dcterms:title; default: the text's first line.")
@click.option(
    "--language", default="en", show_default=True, help="dcterms:language and the title's tag."
)
@handle_errors
def new_source_command(text_file: Path, slug: str | None, title: str | None, language: str) -> None:
    """Scaffold a new source article from its plain-text file into the project.

    Writes data/SLUG.ttl (the ng:SourceArticle with the text's SHA-256 and one
    ng:Section per heading, canonical Turtle that validates) and copies TEXT_FILE into
    the project's sources/. A heading is a line standing alone as a paragraph that does
    not end with . , ; or : (a question only in Title Case); the first line is the
    title. Exit 2 when data/SLUG.ttl exists (never overwritten) or outside a project.
    """
    from nervegraph.sources.scaffold import new_source

    report = new_source(text_file, slug=slug, title=title, language=language)
    click.echo(f"wrote {report.data_file}: {len(report.sections)} sections of <{report.article}>")
    where = "copied to" if report.copied else "already in"
    click.echo(f"text {where} {report.text_file} (sha256 {report.sha256})")
    for iri, heading in report.sections:
        click.echo(f"  {iri.rsplit('/', 1)[-1]}  {heading}")
    click.echo(
        "next: add statements whose evidence names these sections (ng:section), then "
        "nervegraph lint && nervegraph validate && nervegraph check-sources"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
