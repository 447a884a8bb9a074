"""Stored SPARQL queries: the catalogue read from ``#+`` headers, parameters, running.

``catalogue`` (headers, finding one query by its file, listings), ``run`` (parameters
and local runs on Oxigraph or rdflib), ``remote`` (the same queries against a SPARQL
endpoint over HTTP). The names below are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "QueryParam": "catalogue",
    "StoredQuery": "catalogue",
    "find_query": "catalogue",
    "list_queries": "catalogue",
    "PreparedQuery": "run",
    "QueryResult": "results",
    "bindings_as_values": "run",
    "param_candidates": "run",
    "prepare_query": "run",
    "resolve_param": "run",
    "run_query": "run",
}


def __getattr__(name: str) -> Any:
    """Import a public name of the subpackage on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)


__all__ = sorted(_LAZY)
