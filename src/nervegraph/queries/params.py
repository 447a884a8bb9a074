"""Parameter values: a person's word, an IRI or a CURIE turned into one instance's IRI.

Every look-up is a SPARQL query run by :class:`~nervegraph.queries.source.Source` with the
value *bound* (never written into the text), so both engines resolve alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from nervegraph.errors import ParameterError, QueryError
from nervegraph.queries.catalogue import QueryParam, listed
from nervegraph.queries.source import Source
from nervegraph.vocab import PREFIXES

#: Hook for external CURIEs (``MESH:D009408``): upper-cased prefix -> namespace IRI. A
#: value ``MESH:D009408`` then selects the instance mapped to
#: ``<http://id.nlm.nih.gov/mesh/D009408>``. Extend it when mappings use other schemes.
CURIE_EXPANSIONS: dict[str, str] = {
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "MSH": "http://id.nlm.nih.gov/mesh/",
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "ICD10CM": "http://purl.bioontology.org/ontology/ICD10CM/",
}
#: the namespaces of external terminologies (values there are codes, not our entities)
_EXTERNAL = frozenset(CURIE_EXPANSIONS.values())

_RESOURCE = PREFIXES["rdfs"] + "Resource"
_CONCEPT = PREFIXES["skos"] + "Concept"
_OWL_CLASS = PREFIXES["owl"] + "Class"
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*):([^\s:/][^\s]*)$")
#: SKOS mapping properties by strength, for resolving an external code to an instance
_MATCH_TIERS = (("exactMatch",), ("closeMatch",), ("broadMatch", "narrowMatch"), ("relatedMatch",))

# The instances a parameter accepts; ?_cls / ?_scheme are bound, and projected because
# Oxigraph substitutes only projected variables.
_MEMBERS = {
    "class": "?node rdf:type/rdfs:subClassOf* ?_cls .",
    "owl-class": "{ ?node rdf:type/rdfs:subClassOf* ?_cls } UNION { ?node rdf:type rdfs:Class }",
    "scheme": "?node skos:inScheme ?_cls .",
    "resource": "?node skos:prefLabel ?any .",
}
_LABELS = (
    "OPTIONAL { VALUES (?rank ?prop) { (1 skos:prefLabel) (2 rdfs:label) (3 skos:altLabel) } "
    "?node ?prop ?label FILTER(isLiteral(?label)) }"
)


def _expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    if prefix not in PREFIXES:
        raise QueryError(f"unknown prefix {prefix!r} in {curie!r}")
    return PREFIXES[prefix] + local


def _kind(param: QueryParam) -> tuple[str, str]:
    """Which membership pattern applies, and the IRI bound to ``?_cls``."""
    cls = _expand(param.cls)
    if cls == _RESOURCE:
        return "resource", cls
    if cls == _CONCEPT and param.scheme:
        return "scheme", _expand(param.scheme)
    return ("owl-class" if cls == _OWL_CLASS else "class"), cls


def _node(iri: str):  # noqa: ANN202 - a pyoxigraph.NamedNode
    import pyoxigraph

    return pyoxigraph.NamedNode(iri)


def candidates(source: Source, param: QueryParam) -> dict[str, list[str]]:
    """Return IRI -> labels (preferred first) of every instance ``param`` accepts.

    For ``rdfs:Resource`` any node with a ``skos:prefLabel`` qualifies; for
    ``skos:Concept`` with a ``scheme`` the concepts ``skos:inScheme`` it; otherwise the
    instances of the class or its subclasses.
    """
    kind, cls = _kind(param)
    bound = {} if kind == "resource" else {"_cls": _node(cls)}
    text = (
        f"SELECT ?node ?rank ?label ?_cls WHERE {{ {_MEMBERS[kind]} FILTER(isIRI(?node)) "
        f"{_LABELS} }}"
    )
    ranked: dict[str, set[tuple[int, str]]] = {}
    for node, rank, label, _ in source.select(text, bound):
        labels = ranked.setdefault(node.value, set())
        if label is not None:
            labels.add((int(rank.value), label.value))
    found = {}
    for iri in sorted(ranked):
        ordered = [text for _, text in sorted(ranked[iri])]
        found[iri] = list(dict.fromkeys(ordered))
    return found


def is_candidate(source: Source, param: QueryParam, iri: str) -> bool:
    """Whether ``iri`` is an instance ``param`` accepts (index look-ups, not a scan)."""
    kind, cls = _kind(param)
    pattern = _MEMBERS[kind].replace("?node", "?_node")
    bound = {"_node": _node(iri)} | ({} if kind == "resource" else {"_cls": _node(cls)})
    return bool(source.select(f"SELECT ?_node ?_cls WHERE {{ {pattern} }} LIMIT 1", bound))


def _mapped(source: Source, code: str) -> list[str]:
    """The instances mapped to an external ``code``: the strongest SKOS match wins."""
    for tier in _MATCH_TIERS:
        values = " ".join(f"skos:{p}" for p in tier)
        text = f"SELECT DISTINCT ?s ?_code WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?_code }}"
        hits = sorted(row[0].value for row in source.select(text, {"_code": _node(code)}))
        if hits:
            return hits
    return []


def _codes(source: Source, namespace: str) -> list[str]:
    """The codes of one terminology that some entity is mapped to, as CURIEs."""
    from nervegraph.vocab import curie

    text = (
        "SELECT DISTINCT ?code ?_ns WHERE { VALUES ?p { skos:exactMatch skos:closeMatch "
        "skos:broadMatch skos:narrowMatch skos:relatedMatch } ?s ?p ?code "
        "FILTER(isIRI(?code) && STRSTARTS(STR(?code), STR(?_ns))) }"
    )
    rows = source.select(text, {"_ns": _node(namespace)})
    return sorted(curie(row[0].value) for row in rows)


def _class_name(param: QueryParam) -> str:
    if param.scheme:
        return f"concept of {param.scheme}"
    if param.cls == "rdfs:Resource":
        return "entity"
    return param.cls.partition(":")[2] or param.cls


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def accepted(found: dict[str, list[str]]) -> list[str]:
    """The preferred label (else the IRI) of each instance in ``found``, sorted, once each."""
    return sorted({(labels or [iri])[0] for iri, labels in found.items()}, key=str.casefold)


def _curie_namespace(prefix: str) -> str | None:
    """Namespace of a CURIE prefix: prefixes.py (exact, then any case), then the hook."""
    if prefix in PREFIXES:
        return PREFIXES[prefix]
    folded = {p.casefold(): iri for p, iri in PREFIXES.items()}
    return folded.get(prefix.casefold()) or CURIE_EXPANSIONS.get(prefix.upper())


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def _as_iri(name: str, text: str) -> str | None:
    """The IRI a value names as an IRI or CURIE (checked by pyoxigraph), else ``None``."""
    iri = None
    if re.match(r"^(https?|urn|file):", text, re.IGNORECASE):
        iri = text
    else:
        match = _CURIE.match(text.strip())
        namespace = _curie_namespace(match.group(1)) if match else None
        if match and namespace is not None:
            iri = namespace + match.group(2)
    if iri is not None:
        try:
            _node(iri)
        except ValueError as exc:
            raise ParameterError(
                name, f"parameter {name!r}: {text[:200]!r} is not a valid IRI ({exc})"
            ) from None
    return iri


def resolve(source: Source, param: QueryParam, value: str) -> str:
    """Return the IRI of the one instance of ``param``'s class that ``value`` names.

    Args:
        source: the data the query will run on.
        param: the parameter.
        value: a label or synonym (case-insensitive), the slug of an IRI, a full IRI, a
            CURIE with a prefix of ``prefixes.py``, or an external code (``MESH:D…``,
            see :data:`CURIE_EXPANSIONS`) that an instance is mapped to.

    Raises:
        ParameterError: the value names nothing, names something that is not an
            instance of the class, names several instances, or is a malformed IRI.
    """
    text, what, name = str(value), _class_name(param), param.name

    def not_found(reason: str, names: list[str] | None = None) -> ParameterError:
        if names is None:
            names = accepted(candidates(source, param))
        return ParameterError(name, f"parameter {name!r}: {reason}; accepted: {listed(names)}")

    def one(hits: list[str]) -> str:
        if len(hits) > 1:
            names = ", ".join(hits)
            raise ParameterError(name, f"parameter {name!r}: {text!r} is ambiguous: {names}")
        return hits[0]

    iri = _as_iri(name, text)
    if iri is not None:
        if is_candidate(source, param, iri):
            return iri
        hits = [h for h in _mapped(source, iri) if is_candidate(source, param, h)]
        if hits:
            return one(hits)
        namespace = next((ns for ns in _EXTERNAL if iri.startswith(ns)), None)
        if namespace is not None:  # a code: list the codes of that terminology
            reason = f"no {what} is mapped to {text!r}"
            raise not_found(reason, _codes(source, namespace) or ["(none)"])
        raise not_found(f"{text!r} is not {_a(what)}")
    wanted = _normalise(text)
    found = candidates(source, param)
    hits = [iri for iri, labels in found.items() if wanted in map(_normalise, labels)]
    if not hits:  # a slug such as "herniated-disc": the local name of the IRI
        hits = [iri for iri in found if re.split(r"[/#]", iri)[-1].casefold() == wanted]
    if hits:
        return one(hits)
    raise not_found(f"no {what} matches {text!r}", accepted(found))


def resolve_all(
    source: Source | None, params: tuple[QueryParam, ...], given: Mapping[str, str], query_name: str
) -> dict[str, str]:
    """Return variable -> IRI for the given values of a query's parameters.

    Raises:
        ParameterError: an unknown or missing required parameter, or a bad value.
    """
    declared = {p.name: p for p in params}
    for key in given:
        if key not in declared:
            known = ", ".join(declared) or "none"
            raise ParameterError(
                key, f"unknown parameter {key!r} for {query_name} (parameters: {known})"
            )
    for param in params:
        if param.required and param.name not in given:
            raise ParameterError(
                param.name, f"parameter {param.name!r} is required by {query_name}"
            )
    if not given:
        return {}
    assert source is not None, "values to resolve need the data"
    return {declared[k].variable: resolve(source, declared[k], v) for k, v in given.items()}


__all__ = ["CURIE_EXPANSIONS", "accepted", "candidates", "is_candidate", "resolve", "resolve_all"]
