"""Getting the graph out: exports, named-graph datasets, triple stores and the server.

``export`` (RDF formats, KGX, VoID), ``dataset`` (one named graph per file), ``gsp``
(Graph Store Protocol loads), ``server`` (a real Oxigraph server).
"""
