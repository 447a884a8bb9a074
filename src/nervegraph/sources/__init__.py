"""Source articles: their texts, the check of a graph against them, new-source scaffolds.

``text`` (find a text file, normalise, split by headings), ``check`` (hashes, verbatim
quotes, coverage, hedges: ``nervegraph check-sources``), ``scaffold`` (``nervegraph
new-source``).
"""
