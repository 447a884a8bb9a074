"""The graph as an offline documentation site, and as a citable release folder.

``build_site(output)`` writes HTML pages (home, ontology, entities, queries) and SVG diagrams.
``build_release(output)`` writes ``nervegraph-<version>/``: dumps, void.ttl, site, SHA256SUMS.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module that defines it (imported on first use: no rdflib at import time)
_LAZY = {
    "SiteError": "files",
    "SiteReport": "build",
    "build_site": "build",
    "ReleaseReport": "release",
    "build_release": "release",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = sorted(_LAZY)
