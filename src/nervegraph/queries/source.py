"""The data a query runs on, behind one interface: a pyoxigraph store or an rdflib graph.

Oxigraph is the default engine (measured: ``benchmarks/results/perf.md``); rdflib's own
SPARQL engine is the reference the equivalence tests compare it with. Both answer the
same SPARQL text with the same bindings, and both hand back pyoxigraph terms, so the
code above this module (parameters, results, formats) has one path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nervegraph.errors import QueryError
from nervegraph.rdf.engines import oxigraph_store, to_oxigraph, to_rdflib
from nervegraph.vocab import PREFIXES


class Source:
    """A pyoxigraph store (Oxigraph engine) or an rdflib graph (rdflib engine).

    Args:
        data: a ``pyoxigraph.Store``, or an ``rdflib.Graph`` (one that
            :func:`nervegraph.rdf.engines.new_oxigraph_graph` made runs on its store).
    """

    def __init__(self, data: Any) -> None:
        store = data if type(data).__module__.startswith("pyoxigraph") else oxigraph_store(data)
        self.store = store
        self.graph = None if store is not None else data

    @property
    def engine(self) -> str:
        """``"oxigraph"`` or ``"rdflib"``."""
        return "oxigraph" if self.store is not None else "rdflib"

    def select(self, text: str, bindings: Mapping[str, Any] | None = None) -> list[tuple]:
        """Run a SELECT and return its rows as tuples of pyoxigraph terms (``None``: unbound).

        Args:
            text: the query; prefixes of :data:`nervegraph.vocab.PREFIXES` are known.
            bindings: variable -> pyoxigraph term. Oxigraph substitutes only projected
                variables (SEP-0007), so a bound variable must be in the projection.
        """
        bindings = bindings or {}
        if self.store is not None:
            import pyoxigraph

            substitutions = {pyoxigraph.Variable(k): v for k, v in bindings.items()}
            answer = self.store.query(text, prefixes=PREFIXES, substitutions=substitutions)
            return [tuple(solution) for solution in answer]
        init = {k: to_rdflib(v) for k, v in bindings.items()}
        answer = self.graph.query(text, initNs=PREFIXES, initBindings=init)
        return [tuple(None if t is None else to_oxigraph(t) for t in row) for row in answer]

    def literals(self, iri: str, properties: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """Return ``(property, text, language)`` of the literal values of ``iri``'s properties."""
        import pyoxigraph

        found = []
        for prop in properties:
            if self.store is not None:
                node, pred = pyoxigraph.NamedNode(iri), pyoxigraph.NamedNode(prop)
                values = [q.object for q in self.store.quads_for_pattern(node, pred, None, None)]
            else:
                from rdflib import URIRef

                values = [to_oxigraph(o) for o in self.graph.objects(URIRef(iri), URIRef(prop))]
            found += [
                (prop, v.value, v.language or "")
                for v in values
                if isinstance(v, pyoxigraph.Literal)
            ]
        return found

    def answer(self, text: str, algebra: Any, bindings: Mapping[str, Any]) -> Any:
        """Run a query: ``bool`` (ASK), ``(vars, rows)`` (SELECT) or a list of triples.

        Args:
            text: the SPARQL text, parameters already in a VALUES clause (Oxigraph).
            algebra: a callable returning rdflib's prepared query (rdflib engine only).
            bindings: variable -> pyoxigraph term, bound by rdflib's ``initBindings``.

        Raises:
            QueryError: the engine refused or failed the query.
        """
        import pyoxigraph

        try:
            if self.store is not None:
                answer = self.store.query(text, prefixes=PREFIXES)
                if isinstance(answer, pyoxigraph.QueryBoolean):
                    return bool(answer)
                if isinstance(answer, pyoxigraph.QuerySolutions):
                    names = [v.value for v in answer.variables]
                    return names, [tuple(solution) for solution in answer]
                return list(answer)
            init = {k: to_rdflib(v) for k, v in bindings.items()}
            result = self.graph.query(algebra(), initBindings=init)
            if result.type == "ASK":
                return bool(result.askAnswer)
            if result.type == "SELECT":
                names = [str(v) for v in result.vars or []]
                rows = [tuple(None if t is None else to_oxigraph(t) for t in row) for row in result]
                return names, rows
            return [pyoxigraph.Triple(*map(to_oxigraph, triple)) for triple in result]
        except (SyntaxError, ValueError, OSError, RuntimeError, TypeError, KeyError) as exc:
            raise QueryError(f"query failed: {str(exc)[:300]}") from None
        except Exception as exc:  # noqa: BLE001 - rdflib's evaluator raises assorted errors
            raise QueryError(f"query failed: {type(exc).__name__}: {str(exc)[:300]}") from None


__all__ = ["Source"]
