"""nervegraph: a medical article as an RDF knowledge graph, checked by SHACL.

The public API::

    from nervegraph import load_graph, run_query, validate_graph

    graph = load_graph()                       # an rdflib.Graph
    print(validate_graph(graph).conforms)
    for row in run_query("causes-by-region", graph, region="lumbar").rows:
        print(row["cause"])

The layers, lowest first: :mod:`nervegraph.vocab` and :mod:`nervegraph.errors`;
:mod:`nervegraph.rdf` (files, guards, engines); :mod:`nervegraph.queries` and
:mod:`nervegraph.shacl`; :mod:`nervegraph.interchange` and :mod:`nervegraph.mappings`;
:mod:`nervegraph.cli`. A layer imports only from layers below it.

Names are imported on first use (PEP 562 ``__getattr__``), so ``import nervegraph``
loads neither rdflib nor pySHACL, and changes no global state.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nervegraph.errors import InputError, NervegraphError, ParameterError, QueryError

if TYPE_CHECKING:  # pragma: no cover
    from nervegraph.interchange.export import export_graph
    from nervegraph.queries.catalogue import StoredQuery, find_query, list_queries
    from nervegraph.queries.results import QueryResult
    from nervegraph.queries.run import run_query
    from nervegraph.rdf.load import load_graph
    from nervegraph.shacl.validate import ValidationResult, Violation, format_report, validate_graph

#: public name -> module that defines it
_LAZY = {
    "QueryResult": "queries.results",
    "StoredQuery": "queries.catalogue",
    "ValidationResult": "shacl.validate",
    "Violation": "shacl.validate",
    "export_graph": "interchange.export",
    "find_query": "queries.catalogue",
    "format_report": "shacl.validate",
    "list_queries": "queries.catalogue",
    "load_graph": "rdf.load",
    "run_query": "queries.run",
    "validate_graph": "shacl.validate",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (and ``__version__`` from the metadata)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("nervegraph")
        except PackageNotFoundError:  # running from a checkout without an install
            value = "0+unknown"
    elif name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "InputError",
    "NervegraphError",
    "ParameterError",
    "QueryError",
    "QueryResult",
    "StoredQuery",
    "ValidationResult",
    "Violation",
    "__version__",
    "export_graph",
    "find_query",
    "format_report",
    "list_queries",
    "load_graph",
    "run_query",
    "validate_graph",
]
