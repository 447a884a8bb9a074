"""Name the rule behind each SHACL result and word it for a person.

A *rule* is what a report groups results by and what a user looks up in the shapes
file:

* a shape with an IRI is named by its CURIE (``ngsh:EntityLabel``);
* a blank-node property shape by the shape that holds it and its path
  (``ngsh:EvidenceShape / ng:quote``; nested: ``ngsh:A / ng:p / ng:q``);
* a SHACL-SPARQL constraint by its own IRI (``ngsh:StatedRelationIsBacked``), or, when
  it is a blank node, by its shape and ``sh:sparql`` (numbered when there are several).

The message of a result is the shape's ``sh:message`` as pySHACL filled it in. A shape
without one gets a sentence generated from the constraint component and its parameter
(``has 0 values of ng:quote; at least 1 required``), never pySHACL's generic wording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import rdflib
from rdflib import RDF, SH, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from nervegraph.vocab import curie

#: how a blank-node shape hangs off its parent, in the order a name prefers them
_PARENT_LINKS = (SH.property, SH.node, SH.qualifiedValueShape, SH["not"])
_LIST_LINKS = (SH["and"], SH["or"], SH.xone)
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
#: predicates of a shape that are not constraint parameters
_NOT_PARAMETERS = {
    *_TARGETS,
    SH.property,
    SH.sparql,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.path,
    SH.defaultValue,
    SH.declare,
    SH.prefixes,
    SH.ignoredProperties,
    SH.qualifiedValueShapesDisjoint,
    SH.flags,
}
_NODE_KINDS = {
    SH.IRI: "an IRI",
    SH.BlankNode: "a blank node",
    SH.Literal: "a literal",
    SH.BlankNodeOrIRI: "an IRI or a blank node",
    SH.BlankNodeOrLiteral: "a blank node or a literal",
    SH.IRIOrLiteral: "an IRI or a literal",
}


def show(term: Node | None) -> str:
    """Render a term for a sentence: IRIs as CURIEs, literals quoted, blank nodes ``_:id``."""
    if term is None:
        return "?"
    if isinstance(term, URIRef):
        return curie(str(term))
    if isinstance(term, Literal):
        return f'"{term}"' + (f"@{term.language}" if term.language else "")
    return f"_:{term}"


def path_text(
    graph: rdflib.Graph, path: Node | None, render: Callable[[URIRef], str] = str
) -> str | None:
    """Render a SHACL property path: an IRI, or ``^p``, ``p/q``, ``(p|q)``, ``p*`` ...

    ``render`` turns each IRI into text (``str`` for full IRIs, :func:`show` for CURIEs).
    """
    if path is None:
        return None
    if isinstance(path, URIRef):
        return render(path)
    if (path, RDF.first, None) in graph:
        return "/".join(path_text(graph, i, render) or "?" for i in Collection(graph, path))
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(path_text(graph, inner, render))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        items = Collection(graph, alternatives)
        return "(" + "|".join(path_text(graph, i, render) or "?" for i in items) + ")"
    return f"_:{path}"


@dataclass(frozen=True)
class Wording:
    """What a person reads about one result: the rule, the message, the rule's words."""

    rule: str
    message: str
    #: the rule in general (its ``sh:message`` template, or a generated requirement)
    requirement: str


class RuleBook:
    """Names and words results against one shapes graph (and the data, for counts)."""

    def __init__(self, shapes: rdflib.Graph, data: rdflib.Graph | None = None) -> None:
        self.shapes = shapes
        self.data = data
        self._names: dict[Node, str] = {}
        self._requirements: dict[str, set[str]] = {}

    # -- names ---------------------------------------------------------------------------

    def shape_name(self, shape: Node | None) -> str:
        """Return the display name of ``shape`` (see the module docstring)."""
        if shape is None:
            return "-"
        if shape not in self._names:
            self._names[shape] = "…"  # a cycle of blank shapes names itself "…"
            self._names[shape] = self._compute_name(shape)
        return self._names[shape]

    def _compute_name(self, shape: Node) -> str:
        if isinstance(shape, URIRef):
            return curie(str(shape))
        path = path_text(self.shapes, self.shapes.value(shape, SH.path), show)
        parent = self._parent(shape)
        if parent is None:
            return f"[ sh:path {path} ]" if path else f"_:{shape}"
        owner, link = parent
        tail = path if path and link == SH.property else show(link)
        return f"{self.shape_name(owner)} / {tail}"

    def _parent(self, shape: Node) -> tuple[Node, Node] | None:
        found: list[tuple[str, Node, Node]] = []
        for link in _PARENT_LINKS:
            for owner in self.shapes.subjects(link, shape):
                found.append((self._sort_key(owner), owner, link))
        for cell in self.shapes.subjects(RDF.first, shape):
            head = cell
            while (prev := self.shapes.value(predicate=RDF.rest, object=head)) is not None:
                head = prev
            for link in _LIST_LINKS:
                for owner in self.shapes.subjects(link, head):
                    found.append((self._sort_key(owner), owner, link))
        if not found:
            return None
        _, owner, link = min(found, key=lambda item: item[0])
        return owner, link

    @staticmethod
    def _sort_key(node: Node) -> str:
        return ("0" if isinstance(node, URIRef) else "1") + str(node)

    def rule_name(self, shape: Node | None, constraint: Node | None, component: Node | None) -> str:
        """Return the rule a result of ``component`` at ``shape`` belongs to."""
        if component == SH.SPARQLConstraintComponent and constraint is not None:
            if isinstance(constraint, URIRef):
                return curie(str(constraint))
            base = f"{self.shape_name(shape)} / sh:sparql"
            blanks = sorted(
                (c for c in self.shapes.objects(shape, SH.sparql) if isinstance(c, BNode)),
                key=self._constraint_key,
            )
            if len(blanks) > 1 and constraint in blanks:
                return f"{base} #{blanks.index(constraint) + 1}"
            return base
        return self.shape_name(shape)

    def _constraint_key(self, constraint: Node) -> tuple[str, str]:
        return (
            str(self.shapes.value(constraint, SH.message) or ""),
            str(self.shapes.value(constraint, SH.select) or ""),
        )

    def rules(self) -> list[str]:
        """Return every rule checked directly against the data (targeted shapes), sorted."""
        found: set[str] = set()
        targeted = {s for t in _TARGETS for s in self.shapes.subjects(t, None)}
        for shape in targeted:
            if self._has_parameters(shape):
                found.add(self.shape_name(shape))
            for prop in self.shapes.objects(shape, SH.property):
                found.add(self.shape_name(prop))
            for constraint in self.shapes.objects(shape, SH.sparql):
                found.add(self.rule_name(shape, constraint, SH.SPARQLConstraintComponent))
        return sorted(found)

    def _has_parameters(self, shape: Node) -> bool:
        return any(
            str(p).startswith(str(SH)) and p not in _NOT_PARAMETERS
            for p in self.shapes.predicates(shape, None)
        )

    # -- words ---------------------------------------------------------------------------

    def describe(self) -> dict[str, str]:
        """Return rule -> what it asks, for every rule :meth:`word` has worded a result of.

        A rule is its ``sh:message`` template; a rule without one joins the generated
        requirements of its components (``skos:prefLabel: at least 1 required, at most 1
        allowed``).
        """
        described = {}
        for rule, found in sorted(self._requirements.items()):
            texts = sorted(found)
            heads = {t.partition(": ")[0] for t in texts}
            if len(texts) > 1 and len(heads) == 1 and all(": " in t for t in texts):
                head = heads.pop()
                texts = [f"{head}: " + ", ".join(t.partition(": ")[2] for t in texts)]
            described[rule] = "; ".join(texts)
        return described

    def declared_message(self, shape: Node | None, constraint: Node | None) -> str | None:
        """Return the ``sh:message`` (as written, placeholders kept) that words a result."""
        for node in (constraint, shape):
            if node is None:
                continue
            messages = sorted(self.shapes.objects(node, SH.message), key=_message_rank)
            if messages:
                return str(messages[0])
        return None

    def word(
        self,
        *,
        shape: Node | None,
        constraint: Node | None,
        component: Node | None,
        focus: Node | None,
        path: Node | None,
        value: Node | None,
        reported: list[str],
    ) -> Wording:
        """Return rule, message and requirement for one result.

        ``reported`` are the result's ``sh:resultMessage`` texts; they are the message
        when the shape declares an ``sh:message`` (pySHACL filled in its placeholders).
        """
        rule = self.rule_name(shape, constraint, component)
        declared = self.declared_message(shape, constraint)
        if declared is not None:
            message = "; ".join(reported) if reported else declared
            wording = Wording(rule, message, declared)
        else:
            message, requirement = self._generated(shape, component, focus, path, value)
            wording = Wording(rule, message, requirement)
        self._requirements.setdefault(rule, set()).add(wording.requirement)
        return wording

    def _generated(
        self,
        shape: Node | None,
        component: Node | None,
        focus: Node | None,
        path: Node | None,
        value: Node | None,
    ) -> tuple[str, str]:
        """Return (message, requirement) for a shape without ``sh:message``."""
        shapes = self.shapes
        name = _component_name(component)
        p = path_text(shapes, path, show) if path is not None else None
        of = f" of {p}" if p else ""
        subject = f"{p} value {show(value)}" if p else "the node"

        def param(predicate: Node) -> Node | None:
            return shapes.value(shape, predicate) if shape is not None else None

        if name in ("MinCount", "MaxCount"):
            limit = param(SH.minCount if name == "MinCount" else SH.maxCount)
            n = self._count(focus, path)
            has = f"has {_values(n)}{of}" if n is not None else None
            if name == "MinCount":
                req = f"at least {limit} required"
                has = has or f"has fewer than {_values(_int(limit))}{of}"
            else:
                req = f"at most {limit} allowed"
                has = has or f"has more than {_values(_int(limit))}{of}"
            return f"{has}; {req}", f"{p or 'the node'}: {req}"
        simple = {
            "Class": ("is not an instance of {}", SH["class"], "must be an instance of {}"),
            "Datatype": ("is not of datatype {}", SH.datatype, "must be of datatype {}"),
            "Pattern": ("does not match the pattern {}", SH.pattern, "must match {}"),
            "MinLength": ("is shorter than {} characters", SH.minLength, "at least {} characters"),
            "MaxLength": ("is longer than {} characters", SH.maxLength, "at most {} characters"),
            "MinInclusive": ("is less than {}", SH.minInclusive, "at least {}"),
            "MaxInclusive": ("is greater than {}", SH.maxInclusive, "at most {}"),
            "MinExclusive": ("is not greater than {}", SH.minExclusive, "greater than {}"),
            "MaxExclusive": ("is not less than {}", SH.maxExclusive, "less than {}"),
            "Node": ("does not conform to {}", SH.node, "must conform to {}"),
            "Equals": ("differs from the values of {}", SH.equals, "equal to the values of {}"),
            "Disjoint": ("is also a value of {}", SH.disjoint, "disjoint from {}"),
            "LessThan": ("is not less than the values of {}", SH.lessThan, "less than {}"),
            "LessThanOrEquals": (
                "is greater than a value of {}",
                SH.lessThanOrEquals,
                "at most the values of {}",
            ),
        }
        if name in simple:
            observed, predicate, required = simple[name]
            argument = param(predicate)
            shown = self.shape_name(argument) if name == "Node" else _show_param(argument)
            req = required.format(shown)
            return f"{subject} {observed.format(shown)}", f"{p or 'the node'}: {req}"
        if name == "NodeKind":
            kind = _NODE_KINDS.get(param(SH.nodeKind), show(param(SH.nodeKind)))
            return f"{subject} is not {kind}", f"{p or 'the node'}: must be {kind}"
        if name == "HasValue":
            wanted = show(param(SH.hasValue))
            if p:
                return f"has no value {wanted}{of}", f"{p}: must include {wanted}"
            return f"the node is not {wanted}", f"the node must be {wanted}"
        if name in ("In", "LanguageIn"):
            predicate = SH["in"] if name == "In" else SH.languageIn
            head = param(predicate)
            items = list(Collection(shapes, head)) if head is not None else []
            listed = ", ".join(show(i) if name == "In" else str(i) for i in items)
            what = "one of" if name == "In" else "a language tag of"
            observed = "is not" if name == "In" else "does not have"
            return f"{subject} {observed} {what} {listed}", f"{p or 'the node'}: {what} {listed}"
        if name == "UniqueLang":
            req = "at most one value per language"
            return f"has several values{of} in one language; {req}", f"{p}: {req}"
        if name == "Closed":
            return (
                f"has {p} {show(value)}, a property the closed shape does not allow",
                "only the properties the shape declares",
            )
        if name in ("Not", "And", "Or", "Xone"):
            link = {"Not": SH["not"], "And": SH["and"], "Or": SH["or"], "Xone": SH.xone}[name]
            argument = param(link)
            if name == "Not":
                shown = self.shape_name(argument)
                return f"{subject} conforms to {shown}", f"must not conform to {shown}"
            members = list(Collection(shapes, argument)) if argument is not None else []
            shown = ", ".join(self.shape_name(m) for m in members)
            how = {"And": "all of", "Or": "at least one of", "Xone": "exactly one of"}[name]
            return f"{subject} does not conform to {how} {shown}", f"must conform to {how} {shown}"
        if name in ("QualifiedMinCount", "QualifiedMaxCount"):
            limit = param(
                SH.qualifiedMinCount if name == "QualifiedMinCount" else SH.qualifiedMaxCount
            )
            qualified = self.shape_name(param(SH.qualifiedValueShape))
            bound = "at least" if name == "QualifiedMinCount" else "at most"
            req = f"{bound} {limit} values{of} conforming to {qualified}"
            return f"does not have {req}", req
        if name == "SPARQL":
            found = f" {show(value)}" if value is not None else ""
            return (
                f"the SPARQL constraint selected{found}{of}",
                "the SPARQL constraint selects nothing",
            )
        parameters = (
            ", ".join(
                f"{show(pred)} {show(obj)}"
                for pred, obj in sorted(shapes.predicate_objects(shape))
                if str(pred).startswith(str(SH)) and pred not in _NOT_PARAMETERS
            )
            if shape is not None
            else ""
        )
        comp = show(component)
        return (
            f"{subject} violates {comp}" + (f" ({parameters})" if parameters else ""),
            f"{comp}" + (f" ({parameters})" if parameters else ""),
        )

    def _count(self, focus: Node | None, path: Node | None) -> int | None:
        """Count the values of a simple path (an IRI or ``^IRI``) in the data, if known."""
        if self.data is None or focus is None or path is None:
            return None
        if isinstance(path, URIRef):
            return len(set(self.data.objects(focus, path)))
        inverse = self.shapes.value(path, SH.inversePath)
        if isinstance(inverse, URIRef):
            return len(set(self.data.subjects(inverse, focus)))
        return None


def _message_rank(term: Node) -> tuple[int, str]:
    language = term.language if isinstance(term, Literal) else None
    return (0 if language == "en" else 1 if language is None else 2, str(term))


def _component_name(component: Node | None) -> str:
    text = str(component or "")
    return text.rsplit("#", 1)[-1].removesuffix("ConstraintComponent")


def _int(term: Node | None) -> int | None:
    try:
        return int(str(term))
    except ValueError:
        return None


def _values(n: int | None) -> str:
    if n is None:
        return "? values"
    return f"{n} value" if n == 1 else f"{n} values"


def _show_param(term: Node | None) -> str:
    """A parameter in a sentence: numbers and patterns bare, terms as CURIEs."""
    return str(term) if isinstance(term, Literal) else show(term)
