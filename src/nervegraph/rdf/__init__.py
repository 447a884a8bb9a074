"""Reading and writing RDF: files with positions, input guards, canonical Turtle, engines.

``load`` (files into one rdflib graph), ``guards`` (limits and deadlines for hostile
input), ``offline`` (no network), ``canonical`` (the Turtle lint), ``files`` (atomic
writes), ``engines`` (Oxigraph / rdflib stores), ``sparql`` (SPARQL algebra helpers).
"""

#: query/load engines (:mod:`nervegraph.rdf.engines`); the first is the default. Here, not
#: in engines.py, so that ``nervegraph --help`` can offer them without importing it.
QUERY_ENGINES: tuple[str, ...] = ("oxigraph", "rdflib")
#: SHACL engines; the first is the default
VALIDATION_ENGINES: tuple[str, ...] = ("turbo", "pyshacl")
