"""The article's content, written down by hand from the text, must be in the graph.

Each expectation here was read off the article, not off the graph: the words are the
article's own, the classes what the article says the thing is.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from nervegraph import load_graph
from nervegraph.vocab import NG, NGE, NGQ

# (the article's word for it, the class it must have)
ARTICLE_ENTITIES = [
    ("pinched nerve", "Condition"),
    ("compressive neuropathy", "Condition"),
    ("muscle spasms", "Symptom"),
    ("localized spasms", "Symptom"),
    ("widespread spasms", "Symptom"),
    ("pain", "Symptom"),
    ("numbness", "Symptom"),
    ("pins and needles", "Symptom"),
    ("pain radiating along a nerve pathway", "Symptom"),
    ("muscle weakness", "Symptom"),
    ("cramping sensations", "Symptom"),
    ("herniated discs", "Cause"),
    ("spinal stenosis", "Cause"),
    ("bone spurs", "Cause"),
    ("repetitive strain injuries", "Cause"),
    ("trauma", "Cause"),
    ("arthritis", "UnderlyingProcess"),
    ("bones", "CompressingTissue"),
    ("cartilage", "CompressingTissue"),
    ("muscles", "CompressingTissue"),
    ("tendons", "CompressingTissue"),
    ("spinal nerves", "NerveStructure"),
    ("nerve roots", "NerveStructure"),
    ("motor nerves", "NerveType"),
    ("sensory nerves", "NerveType"),
    ("cervical spine", "NerveLocation"),
    ("thoracic spine", "NerveLocation"),
    ("lumbar spine", "NerveLocation"),
    ("sciatic nerve", "NerveLocation"),
    ("shoulders", "MuscleArea"),
    ("arms", "MuscleArea"),
    ("hands", "MuscleArea"),
    ("chest wall", "MuscleArea"),
    ("abdomen muscles", "MuscleArea"),
    ("buttocks", "MuscleArea"),
    ("legs", "MuscleArea"),
    ("feet", "MuscleArea"),
    ("calf", "MuscleArea"),
    ("thigh", "MuscleArea"),
    ("torso", "MuscleArea"),
    ("mild compression", "SeverityLevel"),
    ("moderate compression", "SeverityLevel"),
    ("severe compression", "SeverityLevel"),
    ("physical therapy", "PhysicalTherapy"),
    ("stretching routines", "TherapyComponent"),
    ("strengthening exercises", "TherapyComponent"),
    ("avoidance of aggravating activities", "TherapyComponent"),
    ("ergonomic adjustments", "LifestyleModification"),
    ("rest", "LifestyleModification"),
    ("muscle relaxants", "DrugClass"),
    ("nerve pain medications", "DrugClass"),
    ("NSAIDs", "DrugClass"),
    ("anti-inflammatory drugs", "DrugClass"),
    ("cyclobenzaprine", "Medication"),
    ("gabapentin", "Medication"),
    ("pregabalin", "Medication"),
    ("corticosteroid injections", "Injection"),
    ("surgery", "Surgery"),
    ("laminectomy", "Surgery"),
    ("foraminotomy", "Surgery"),
    ("discectomy", "Surgery"),
    ("dehydration", "DifferentialDiagnosis"),
    ("electrolyte imbalances", "DifferentialDiagnosis"),
    ("low potassium", "DifferentialDiagnosis"),
    ("low magnesium", "DifferentialDiagnosis"),
    ("medication side effects", "DifferentialDiagnosis"),
    ("neurological disorders", "DifferentialDiagnosis"),
    ("multiple sclerosis", "DifferentialDiagnosis"),
    ("dystonia", "DifferentialDiagnosis"),
    ("nerve conduction studies", "DiagnosticTest"),
    ("slowed impulse velocity", "DistinguishingFinding"),
    ("persistent pain syndromes", "Risk"),
    ("permanent muscular weakness", "Risk"),
    ("atrophy", "Risk"),
    ("ischemia", "PhysiologicalEvent"),
    ("abnormal depolarization events", "PhysiologicalEvent"),
]


@pytest.fixture(scope="module")
def graph() -> Graph:
    return load_graph()


def find(graph: Graph, word: str) -> set[URIRef]:
    """Entities whose prefLabel or altLabel is ``word`` (case-insensitive)."""
    wanted = word.casefold()
    return {
        s
        for p in (SKOS.prefLabel, SKOS.altLabel)
        for s, o in graph.subject_objects(p)
        if isinstance(o, Literal) and str(o).casefold() == wanted and str(s).startswith(NGE)
    }


@pytest.mark.parametrize(("word", "cls"), ARTICLE_ENTITIES, ids=lambda v: str(v))
def test_article_entity_exists_with_label(graph: Graph, word: str, cls: str) -> None:
    found = find(graph, word)
    assert len(found) == 1, f"{word!r}: {sorted(found)}"
    (entity,) = found
    assert (entity, RDF.type, URIRef(NG + cls)) in graph
    assert graph.value(entity, RDFS.label) == graph.value(entity, SKOS.prefLabel)


def qualifiers(graph: Graph, s: str, p: str, o: str, kind: str) -> set[str]:
    """Local names of the ``kind`` qualifiers on the statements of (s, p, o)."""
    obj = URIRef(NGQ + o[4:]) if o.startswith("ngq:") else URIRef(NGE + o)
    triple = (URIRef(NGE + s), URIRef(NG + p), obj)
    assert triple in graph, f"not asserted: {triple}"
    found = set()
    for st in graph.subjects(RDF.subject, triple[0]):
        if (st, RDF.predicate, triple[1]) in graph and (st, RDF.object, obj) in graph:
            found |= {str(q)[len(NGQ) :] for q in graph.objects(st, URIRef(NG + kind))}
    return found


# (subject, predicate, object, qualifier kind, the article's words) - from the article
HEDGES = [
    ("sciatic-nerve", "hasSpasmPattern", "sciatic-bilateral-legs", "hedge", {"rare"}),
    ("sciatic-nerve", "hasSpasmPattern", "sciatic-one-side-leg-and-foot", "hedge", {"usually"}),
    ("sciatic-nerve", "hasSpasmPattern", "sciatic-spastic-episodes-one-leg", "hedge", {"mostly"}),
    ("sciatic-bilateral-legs", "laterality", "ngq:both-sides", "hedge", set()),
    ("lumbar-calf-thigh-contractions", "triggeredBy", "herniated-disc", "hedge", {"often"}),
    ("lumbar-spine", "hasSpasmPattern", "lumbar-systemic-responses", "hedge", {"occasionally"}),
    ("thoracic-spine", "hasSpasmPattern", "thoracic-widespread-torso-cramps", "hedge",
     {"less-common"}),
    ("cervical-spine", "hasSpasmPattern", "cervical-bilateral-involvement", "hedge",
     {"sometimes"}),
    ("cervical-spine", "affectsMuscleArea", "torso", "hedge", {"sometimes"}),
    ("tingling", "precedes", "muscle-spasm", "hedge", {"often"}),
    ("radiating-pain", "accompanies", "muscle-spasm", "hedge", {"often"}),
    ("pinched-nerve", "hasSymptom", "localized-muscle-spasms", "hedge",
     {"common", "typically", "often"}),
    ("pinched-nerve", "possibleTreatment", "corticosteroid-injections", "duration",
     {"short-term"}),
    ("pinched-nerve", "possibleTreatment", "corticosteroid-injections", "hedge", {"sometimes"}),
    ("pinched-nerve", "possibleTreatment", "muscle-relaxants", "duration", {"temporary"}),
    ("pinched-nerve", "possibleTreatment", "rest", "hedge", {"often"}),
    ("motor-nerve", "compressionEffect", "muscle-weakness", "duration", {"over-time"}),
    ("symptom-pattern", "differentiatesFrom", "dehydration", "hedge", {"often"}),
    ("spreading-chronic-inflammation", "canProduce", "widespread-muscle-spasms", "hedge",
     {"sometimes"}),
    ("herniated-disc", "causes", "pinched-nerve", "hedge", set()),
]


@pytest.mark.parametrize(("s", "p", "o", "kind", "expected"), HEDGES, ids=lambda v: str(v))
def test_hedges_are_kept(graph: Graph, s: str, p: str, o: str, kind: str, expected: set) -> None:
    assert qualifiers(graph, s, p, o, kind) == expected


# (spasm pattern, laterality) - "Bilateral legs (rare), usually one side leg & foot",
# "down one leg mostly", "sometimes bilateral involvement if multiple roots compressed"
LATERALITY = {
    "sciatic-bilateral-legs": "both-sides",
    "sciatic-one-side-leg-and-foot": "one-side",
    "sciatic-spastic-episodes-one-leg": "one-side",
    "cervical-bilateral-involvement": "both-sides",
}


def test_laterality_of_spasm_patterns(graph: Graph) -> None:
    found = {
        str(s)[len(NGE) :]: str(o)[len(NGQ) :]
        for s, o in graph.subject_objects(URIRef(NG + "laterality"))
    }
    assert found == LATERALITY


def test_severity_levels_in_order(graph: Graph) -> None:
    ranks = {
        str(s)[len(NGE) :]: int(o) for s, o in graph.subject_objects(URIRef(NG + "severityRank"))
    }
    assert ranks == {"mild-compression": 1, "moderate-compression": 2, "severe-compression": 3}


def test_same_fact_twice_is_one_statement_with_two_evidences(graph: Graph) -> None:
    # The causes list and the FAQ both name herniated discs as a cause.
    st = URIRef("https://w3id.org/nervegraph/statement/pnms.herniated-disc.causes.pinched-nerve")
    assert len(list(graph.objects(st, URIRef(NG + "evidence")))) == 2
    # ... and herniated disc is one entity, not one per mention.
    assert len(find(graph, "herniated disc")) == 1
