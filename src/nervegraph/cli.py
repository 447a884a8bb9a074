"""The ``nervegraph`` command line: a thin shell over the library.

Exit codes (also in the README):

====  =====================================================================
0     success: the graph conforms / the files are canonical
1     the check ran and failed: SHACL violations / non-canonical files
2     error: bad input (missing, empty or malformed file), bad usage
====  =====================================================================

Shared options are defined once below (``format_option``, ``paths_argument``) so the
commands added later (``query``, ``export``, ``serve``, ``load``) look alike.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import NervegraphError
from .graph import load_graph
from .lint import FIX_HINT, lint_files
from .validate import REPORT_FORMATS, format_report, validate_graph

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])


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
@click.version_option(__version__, "--version", prog_name="nervegraph")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Nervegraph: a medical article as an RDF knowledge graph, checked by SHACL."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


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
@handle_errors
def validate(
    paths: tuple[Path, ...], shapes: tuple[Path, ...], with_ontology: bool, fmt: str
) -> None:
    """Validate the graph against the SHACL shapes.

    Given PATHs are read together with the bundled ontology (unless --no-ontology).
    Exit 0 when the graph conforms, 1 on violations, 2 on an error.
    """
    data = load_graph(list(paths), include_ontology=with_ontology) if paths else None
    result = validate_graph(data, shapes=list(shapes) or None)
    click.echo(format_report(result, fmt), nl=False)
    sys.exit(EXIT_OK if result.conforms else EXIT_FAILED)


@main.command()
@paths_argument("Turtle files or directories; default: ontology/ and data/.")
@click.option("--fix", is_flag=True, help="Rewrite non-canonical files in place (atomically).")
@handle_errors
def lint(paths: tuple[Path, ...], fix: bool) -> None:
    """Check that Turtle files are in canonical (longturtle) form.

    Exit 0 when all are canonical (or were fixed), 1 when some are not, 2 on an error.
    """
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


if __name__ == "__main__":  # pragma: no cover
    main()
