"""nervegraph: a medical article as an RDF knowledge graph, checked by SHACL.

The public API::

    from nervegraph import load_graph, validate_graph

    result = validate_graph(load_graph())
    print(result.conforms)

The names are imported on first use (PEP 562 ``__getattr__``), so ``import nervegraph``
and ``nervegraph --help`` do not pay for rdflib and pySHACL.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from .errors import InputError, NervegraphError, ParameterError, QueryError

if TYPE_CHECKING:  # pragma: no cover
    from .graph import load_graph
    from .validate import ValidationResult, Violation, format_report, validate_graph

if "rdflib" in sys.modules:  # rdflib is loaded anyway: keep it off the network now
    from . import _offline  # noqa: F401

#: public name -> module that defines it
_LAZY = {
    "load_graph": "graph",
    "ValidationResult": "validate",
    "Violation": "validate",
    "format_report": "validate",
    "validate_graph": "validate",
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
    "ValidationResult",
    "Violation",
    "__version__",
    "format_report",
    "load_graph",
    "validate_graph",
]
