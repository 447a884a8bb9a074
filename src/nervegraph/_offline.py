"""Keep rdflib off the network.

Imported for its side effect by ``nervegraph/__init__.py``:

* ``SPARQL_LOAD_GRAPHS = False`` stops rdflib's SPARQL engine from dereferencing the IRI
  of a ``FROM``/``FROM NAMED`` clause or a ``GRAPH`` it does not hold.
* rdflib's JSON-LD parser has no switch to refuse remote ``@context``/``@import``
  documents, so ``graph.load_graph`` scans JSON-LD input itself and rejects any
  context given by IRI (see ``remote_jsonld_contexts``).
* RDF/XML is parsed by expat, which since Python 3.7.1 does not fetch external
  entities (``feature_external_ges`` is off by default); nothing to do there.
"""

from __future__ import annotations

from typing import Any

import rdflib.plugins.sparql

rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False


def remote_jsonld_contexts(document: Any) -> list[str]:
    """Return the IRIs of the contexts a JSON-LD document would fetch.

    Args:
        document: the decoded JSON value.

    Returns:
        Every string value of an ``@context`` (directly or inside a list) and of an
        ``@import``, wherever it appears in the document; ``[]`` for a self-contained one.
    """
    found: list[str] = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("@context", "@import"):
                    values = value if isinstance(value, list) else [value]
                    found.extend(v for v in values if isinstance(v, str))
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found
