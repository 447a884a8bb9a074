"""nervegraph: a medical article as an RDF knowledge graph, checked by SHACL.

The public API::

    from nervegraph import load_graph, validate_graph

    result = validate_graph(load_graph())
    print(result.conforms)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import _offline  # noqa: F401 - side effect: keeps rdflib off the network
from .errors import InputError, NervegraphError, ParameterError, QueryError
from .graph import load_graph
from .validate import ValidationResult, Violation, format_report, validate_graph

try:
    __version__ = version("nervegraph")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0+unknown"

__all__ = [
    "InputError",
    "NervegraphError",
    "ParameterError",
    "QueryError",
    "ValidationResult",
    "Violation",
    "__version__",
    "format_report",
    "load_graph",
    "validate_graph",
]
