"""Reading and writing RDF: files with positions, input guards, canonical Turtle, engines.

``load`` (files into one rdflib graph), ``guards`` (limits and deadlines for hostile
input), ``offline`` (no network), ``canonical`` (the Turtle lint), ``files`` (atomic
writes), ``engines`` (Oxigraph / rdflib stores), ``sparql`` (SPARQL algebra helpers).
"""
