"""SHACL validation: the shapes, pyshacl-turbo / pySHACL, and the report.

``validate`` (the entry point and report formats), ``turbo`` (pyshacl-turbo hand-over),
``setsparql`` (SHACL-SPARQL constraints run once for all focus nodes).
"""
