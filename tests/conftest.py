"""Shared fixtures for the nervegraph test suite."""

from __future__ import annotations

import functools
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import rdflib

from nervegraph.interchange.server import Server, start_server
from nervegraph.queries.catalogue import StoredQuery, list_queries
from nervegraph.rdf.load import load_graph

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = REPO_ROOT / "tests" / "data"
QUERY_DIR = REPO_ROOT / "queries"
SOURCE_NAME = "pinched-nerve-muscle-spasms.txt"


def query_names(folder: str = "") -> list[str]:
    """Catalogue names of the checkout's stored queries, from file names alone.

    For ``parametrize``: collection reads no file and parses nothing. Tests get the
    parsed query from the ``catalogue`` fixture; ``test_queries.py`` checks that these
    names are exactly the catalogue's (an installed wheel ships the same queries).
    """
    root = QUERY_DIR / folder if folder else QUERY_DIR
    return sorted(
        p.relative_to(QUERY_DIR).with_suffix("").as_posix() for p in root.rglob("*.rq")
    )


def source_path() -> Path:
    """Where the source article is: $NERVEGRAPH_SOURCE, else ../shared/source/ of the repo."""
    override = os.environ.get("NERVEGRAPH_SOURCE")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "source" / SOURCE_NAME


@pytest.fixture(autouse=True)
def _no_store_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Hide ``nervegraph load``'s environment defaults and ``$NERVEGRAPH_PROJECT``.

    ``NERVEGRAPH_STORE_URL``/``_USER``/``_PASSWORD``/``_UPDATE_URL``/``_TOKEN`` set in the
    shell would send the Oxigraph tests' loads elsewhere; a test that wants them sets
    them itself. Load journals go to a temporary directory, not ~/.local/state.
    """
    for name in (
        "NERVEGRAPH_STORE_URL",
        "NERVEGRAPH_STORE_USER",
        "NERVEGRAPH_STORE_PASSWORD",
        "NERVEGRAPH_UPDATE_URL",
        "NERVEGRAPH_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    # A project named in the shell would replace this checkout's graph in every test.
    monkeypatch.delenv("NERVEGRAPH_PROJECT", raising=False)
    monkeypatch.setenv("NERVEGRAPH_JOURNAL_DIR", str(tmp_path_factory.mktemp("journals")))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout (tests always run from a checkout)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def test_data() -> Path:
    """``tests/data``: the small fixtures the tests own."""
    return TEST_DATA


@pytest.fixture(scope="session")
def source_file() -> Path:
    """Path of the source article; skips the test when it is absent."""
    path = source_path()
    if not path.is_file():
        pytest.skip(
            f"source article not found at {path} "
            "(set NERVEGRAPH_SOURCE or put it under ../shared/source/)"
        )
    return path


@pytest.fixture(scope="session")
def source_text(source_file: Path) -> str:
    """The source article's text (UTF-8); skips the test when the file is absent."""
    return source_file.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def local_graph() -> rdflib.Graph:
    """The bundled graph, loaded once per session (do not modify it)."""
    return load_graph()


@pytest.fixture(scope="session")
def fixture_report() -> Callable[[Path], object]:
    """``validate_graph(load_graph([path]))`` (default engine), once per fixture file.

    test_shapes.py checks each fixture's report against its header and test_engines.py
    compares it with pySHACL's: both read the same report (do not modify it).
    """
    from nervegraph.shacl.validate import validate_graph

    @functools.cache
    def report(path: Path) -> object:
        return validate_graph(load_graph([path]))

    return report


@pytest.fixture(scope="session")
def catalogue() -> dict[str, StoredQuery]:
    """The stored queries by name, read once per session (each parses its SPARQL once)."""
    return {query.name: query for query in list_queries()}


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A writable Oxigraph server on a free 127.0.0.1 port holding the bundled graph.

    Started once per session with a temporary store, stopped at the end; shared by
    test_server.py, test_injection.py and test_concurrency.py.
    """
    location = tmp_path_factory.mktemp("oxigraph-store")
    with start_server(
        host="127.0.0.1", port=0, location=location, writable=True, timeout_s=60
    ) as server:
        yield server


def drop_graph(server: Server, graph_iri: str) -> None:
    """Remove a named graph a test added to the shared server (HTTP DELETE)."""
    url = f"{server.store_url}?graph={urllib.parse.quote(graph_iri, safe='')}"
    request = urllib.request.Request(  # noqa: S310 - 127.0.0.1
        url, method="DELETE", headers=server.auth_headers()
    )
    try:
        urllib.request.urlopen(request, timeout=30).close()  # noqa: S310
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise
