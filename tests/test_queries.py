"""Stored queries: every query answers exactly what the article says.

The expected answers below were written by hand from the article text
(../shared/source/pinched-nerve-muscle-spasms.txt) and the data model (docs/model.md),
not copied from query output. Rows are compared as sets of tuples of local names (IRIs),
plain strings (literals) and None (unbound), so an extra or a missing row fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from conftest import query_names
from nervegraph import ParameterError, QueryError, load_graph
from nervegraph.cli import main
from nervegraph.queries.catalogue import StoredQuery, catalogue_markdown
from nervegraph.queries.run import (
    QueryResult,
    bindings_as_values,
    load_query,
    param_candidates,
    prepare_query,
    resolve_param,
    run_query,
)
from nervegraph.vocab import NGE

QC_DATA = Path(__file__).parent / "data" / "qc"
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
SCHEMA = "https://schema.org/"


@pytest.fixture(scope="module")
def graph(local_graph: Graph) -> Graph:
    """The session's bundled graph (no test here modifies it; some check that)."""
    return local_graph


def local(term: object) -> object:
    """IRI -> local name, literal -> str (ints for integers), None -> None."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return re.split(r"[/#]", str(term))[-1]
    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, int) else str(term)
    return str(term)


def rows(result: QueryResult, *names: str) -> set[tuple]:
    return {tuple(local(row[n]) for n in names) for row in result.rows}


def run(graph: Graph, name: str, **params: str) -> QueryResult:
    return run_query(name, graph, **params)


# ---------------------------------------------------------------- catalogue

#: names only (file names): collection parses nothing; the ``catalogue`` fixture parses
NAMES = query_names()
QC = query_names("qc")


def test_catalogue_size_and_layout(catalogue: dict[str, StoredQuery]) -> None:
    assert list(catalogue) == NAMES  # the parametrized tests below cover every query
    assert len([n for n in NAMES if n.startswith("examples/")]) >= 25
    assert {"construct/entity-neighbourhood", "construct/schema-org-view"} <= set(NAMES)
    assert all(name.startswith("qc/") and name.endswith("-violation") for name in QC)
    assert len(QC) >= 8


@pytest.mark.parametrize("name", NAMES)
def test_header_is_complete(name: str, catalogue: dict[str, StoredQuery]) -> None:
    query = catalogue[name]
    assert query.summary and query.description and query.tags
    for param in query.params:
        assert param.description and param.cls
        assert f"?_{param.name}_iri" in query.text
    expected_type = "CONSTRUCT" if query.name.startswith("construct/") else "SELECT"
    assert query.query_type == expected_type


def _plain(term: object) -> object:
    """xsd:string literals as simple literals (RDF 1.1: the same term; oxrdflib types them)."""
    if isinstance(term, Literal) and term.datatype == XSD_STRING:
        return Literal(str(term))
    return term


def _direct(graph: Graph, text: str) -> tuple[list[str], list[tuple]] | set:
    """What the store answers for ``text`` itself, without nervegraph's runner."""
    answer = graph.query(text)
    if answer.type == "CONSTRUCT":
        return {tuple(map(_plain, t)) for t in answer.graph}  # type: ignore[union-attr]
    names = [str(v) for v in answer.vars]
    return names, sorted((tuple(map(_plain, row)) for row in answer), key=str)


@pytest.mark.parametrize("name", NAMES)
def test_every_query_runs_through_run_query(
    name: str, catalogue: dict[str, StoredQuery], graph: Graph
) -> None:
    """Every stored query runs through ``run_query`` and answers like the store itself.

    Optional parameters stay unbound (they mean "all"); a required one gets the first
    instance of its class. The answer must have the query's form, and equal what the
    store gives for the SPARQL text run directly (the parameter as a VALUES binding):
    the runner neither drops nor invents rows. Hand-written expected answers for each
    query are the named tests above (and test_mappings.py); see the next test.
    """
    import rdflib.plugins.sparql

    query = catalogue[name]
    rdflib.plugins.sparql.prepareQuery(query.text)  # parses on its own, prefixes and all
    values = {p.name: min(param_candidates(graph, p)) for p in query.params if p.required}
    result = run_query(query, graph, **values)
    expected_form = "CONSTRUCT" if name.startswith("construct/") else "SELECT"
    assert result.query_type == query.query_type == expected_form
    text = query.text
    if values:
        text = bindings_as_values(text, {query.param(k).variable: v for k, v in values.items()})
    direct = _direct(graph, text)
    if expected_form == "CONSTRUCT":
        assert result.graph is not None and result.rows == []
        assert set(result.graph) == direct
        assert len(result.graph) > 0, f"{name} constructs nothing from the bundled graph"
        return
    assert result.graph is None
    direct_vars, direct_rows = direct  # type: ignore[misc]
    assert result.vars == direct_vars
    assert all(list(row) == result.vars for row in result.rows), name
    got = sorted((tuple(row[v] for v in result.vars) for row in result.rows), key=str)
    assert got == direct_rows
    if name.startswith("qc/"):
        assert result.rows == []  # the bundled data has none of these defects
    else:
        assert result.rows, f"{name} answers nothing about the article"


def test_every_answering_query_has_a_hand_written_expected_answer(repo_root: Path) -> None:
    """A stored query whose answer no test spells out could return anything."""
    tests = "".join(
        (repo_root / "tests" / f).read_text(encoding="utf-8")
        for f in ("test_queries.py", "test_mappings.py")
    )
    missing = [
        name
        for name in NAMES
        if not name.startswith("qc/")
        and f'"{name}"' not in tests
        and f'"{name.split("/", 1)[1]}"' not in tests
    ]
    assert missing == []


def test_lookup_by_basename_and_unknown_name() -> None:
    assert run_query("causes-by-region", region="lumbar").rows
    with pytest.raises(QueryError, match="no stored query named 'causes-by-regio'"):
        run_query("causes-by-regio")


# ---------------------------------------------------------------- nerve locations


def test_causes_by_region_lumbar(graph: Graph) -> None:
    result = run(graph, "causes-by-region", region="lumbar")
    assert rows(result, "region", "cause", "pattern", "hedge", "quote") == {
        (
            "lumbar-spine",
            # the article's own words; it never says which disc problem
            "lumbar-disc-issues",
            "lumbar-calf-thigh-contractions",
            "often",
            "intense calf or thigh muscle contractions often triggered by lumbar disc issues",
        )
    }


def test_causes_by_region_other_regions_name_no_cause(graph: Graph) -> None:
    for region in ("cervical", "thoracic", "sciatic"):
        assert run(graph, "causes-by-region", region=region).rows == []
    assert len(run(graph, "causes-by-region").rows) == 1


def test_muscle_areas_by_region(graph: Graph) -> None:
    result = run(graph, "muscle-areas-by-region")
    assert rows(result, "region", "area", "hedge") == {
        # table: "Neck, shoulders, arms, hands"; causes: "might produce symptoms ...
        # throughout arms, shoulders, and sometimes down the torso"
        ("cervical-spine", "neck", None),
        ("cervical-spine", "shoulders", None),
        ("cervical-spine", "arms", None),
        ("cervical-spine", "hands", None),
        ("cervical-spine", "arms", "possible"),
        ("cervical-spine", "shoulders", "possible"),
        ("cervical-spine", "torso", "possible"),
        ("cervical-spine", "torso", "sometimes"),
        ("thoracic-spine", "chest-wall", None),
        ("thoracic-spine", "abdominal-muscles", None),
        # "Lower back, buttocks, legs, feet"; "intense calf or thigh muscle contractions"
        ("lumbar-spine", "lower-back", None),
        ("lumbar-spine", "buttocks", None),
        ("lumbar-spine", "legs", None),
        ("lumbar-spine", "feet", None),
        ("lumbar-spine", "calf", None),
        ("lumbar-spine", "thigh", None),
        # "lumbar spine issues may lead to spasms in legs and lower back"
        ("lumbar-spine", "legs", "possible"),
        ("lumbar-spine", "lower-back", "possible"),
        # "Bilateral legs (rare), usually one side leg & foot": the legs either way (the
        # rarity is of both legs), the foot usually
        ("sciatic-nerve", "legs", None),
        ("sciatic-nerve", "feet", "usually"),
    }
    lumbar = run(graph, "muscle-areas-by-region", region="Lower Back")
    assert {r[1] for r in rows(lumbar, "region", "area")} == {
        "lower-back", "buttocks", "legs", "feet", "calf", "thigh"
    }


def test_spasm_patterns_by_region(graph: Graph) -> None:
    result = run(graph, "spasm-patterns-by-region")
    assert rows(result, "region", "pattern", "hedge", "laterality", "condition") == {
        ("cervical-spine", "cervical-twitches-into-upper-limbs", None, None, None),
        (
            "cervical-spine",
            "cervical-bilateral-involvement",
            "sometimes",
            "both-sides",
            "if multiple roots compressed",
        ),
        ("thoracic-spine", "thoracic-rib-cage-tightness", None, None, None),
        # "less common but possible widespread torso cramps"
        ("thoracic-spine", "thoracic-widespread-torso-cramps", "less-common", None, None),
        ("thoracic-spine", "thoracic-widespread-torso-cramps", "possible", None, None),
        ("lumbar-spine", "lumbar-cramps-down-legs", None, None, None),
        ("lumbar-spine", "lumbar-calf-thigh-contractions", None, None, None),
        # "may lead to spasms in legs and lower back but occasionally provoke systemic ..."
        ("lumbar-spine", "lumbar-systemic-responses", "occasionally", None, None),
        ("lumbar-spine", "lumbar-systemic-responses", "possible", None, None),
        ("sciatic-nerve", "sciatic-bilateral-legs", "rare", "both-sides", None),
        ("sciatic-nerve", "sciatic-one-side-leg-and-foot", "usually", "one-side", None),
        ("sciatic-nerve", "sciatic-shooting-pain-leg-cramps", None, None, None),
        ("sciatic-nerve", "sciatic-spastic-episodes-one-leg", "mostly", "one-side", None),
    }


def test_regions_by_muscle_area_legs(graph: Graph) -> None:
    result = run(graph, "regions-by-muscle-area", area="legs")
    assert rows(result, "region", "pattern", "hedge") == {
        ("lumbar-spine", None, None),
        ("lumbar-spine", None, "possible"),
        ("sciatic-nerve", None, None),
        ("lumbar-spine", "lumbar-cramps-down-legs", None),
        ("sciatic-nerve", "sciatic-bilateral-legs", "rare"),
        ("sciatic-nerve", "sciatic-one-side-leg-and-foot", "usually"),
        ("sciatic-nerve", "sciatic-shooting-pain-leg-cramps", None),
        ("sciatic-nerve", "sciatic-spastic-episodes-one-leg", "mostly"),
    }


def test_regions_by_muscle_area_torso(graph: Graph) -> None:
    result = run(graph, "regions-by-muscle-area", area="torso")
    assert rows(result, "region", "pattern", "hedge") == {
        # "might produce symptoms ... and sometimes down the torso"
        ("cervical-spine", None, "possible"),
        ("cervical-spine", None, "sometimes"),
        ("thoracic-spine", "thoracic-widespread-torso-cramps", "less-common"),
        ("thoracic-spine", "thoracic-widespread-torso-cramps", "possible"),
    }


def test_patterns_that_can_be_bilateral(graph: Graph) -> None:
    result = run(graph, "patterns-by-laterality", laterality="bilateral")
    assert rows(result, "laterality", "region", "pattern", "hedge", "condition") == {
        (
            "both-sides",
            "cervical-spine",
            "cervical-bilateral-involvement",
            "sometimes",
            "if multiple roots compressed",
        ),
        ("both-sides", "sciatic-nerve", "sciatic-bilateral-legs", "rare", None),
    }
    one_side = run(graph, "patterns-by-laterality", laterality="one side")
    assert rows(one_side, "pattern", "hedge") == {
        ("sciatic-one-side-leg-and-foot", "usually"),
        ("sciatic-spastic-episodes-one-leg", "mostly"),
    }


def test_nerve_locations(graph: Graph) -> None:
    result = run(graph, "nerve-locations")
    assert rows(result, "region", "areas", "patterns") == {
        ("cervical-spine", 5, 2),
        ("thoracic-spine", 2, 2),
        ("lumbar-spine", 6, 3),
        ("sciatic-nerve", 2, 4),
    }


# ---------------------------------------------------------------- causes


def test_cause_compression(graph: Graph, source_text: str) -> None:
    result = run(graph, "cause-compression")
    got = rows(result, "cause", "structure", "hedge", "quote")
    # (cause, structure, hedge, words the quote must contain)
    expected = {
        ("herniated-disc", "spinal-nerves", None, "press on nearby spinal nerves"),
        ("spinal-stenosis", "nerve-roots", None, "puts pressure on nerve roots"),
        ("bone-spurs", "nerve", None, "can pinch nerves"),
        ("repetitive-strain-injury", "nerve", "possible", "inflame surrounding tissues"),
        ("trauma", "nerve", None, "can trap nerves"),
    }
    assert {g[:3] for g in got} == {e[:3] for e in expected}
    assert len(got) == len(expected)
    for cause, structure, hedge, words in expected:
        (quote,) = [g[3] for g in got if g[:3] == (cause, structure, hedge)]
        assert words in quote and quote in source_text


def test_cause_origins(graph: Graph) -> None:
    result = run(graph, "cause-origins")
    assert rows(result, "cause", "origin") == {
        ("herniated-disc", "disc-bulge-or-rupture"),
        ("bone-spurs", "arthritis"),
        ("repetitive-strain-injury", "continuous-overuse"),
        ("trauma", "accidents"),
        ("spinal-stenosis", None),
    }


def test_compressing_tissues(graph: Graph) -> None:
    result = run(graph, "compressing-tissues")
    assert rows(result, "condition", "tissue") == {
        ("pinched-nerve", t) for t in ("bones", "cartilage", "muscles", "tendons")
    }


# ---------------------------------------------------------------- symptoms


def test_symptoms(graph: Graph) -> None:
    result = run(graph, "symptoms")
    assert rows(result, "symptom", "hedge") == {
        # "often leads to symptoms such as pain, numbness, tingling, and notably, muscle spasms"
        ("pain", "often"),
        ("numbness", "often"),
        ("tingling", "often"),
        ("muscle-spasm", "often"),
        # "If a nerve is irritated or compressed, it may cause muscles to contract
        # uncontrollably"
        ("muscle-spasm", "possible"),
        # "Bony growths from arthritis can pinch nerves leading to ... muscular responses"
        ("muscular-responses", None),
        # the symptom list
        ("radiating-pain", None),
        ("muscle-weakness", None),
        ("cramping", None),
        # "some individuals experience muscle spasms that extend beyond the immediate area"
        ("widespread-muscle-spasms", "possible"),
        # "localized spasms ... are common", "typically causes localized symptoms",
        # "often occur near the site", "can trigger muscle spasms locally"
        ("localized-muscle-spasms", "common"),
        ("localized-muscle-spasms", "typically"),
        ("localized-muscle-spasms", "often"),
        # a plain "can" states a capability, not a hedge (ngq:possible's definition)
        ("localized-muscle-spasms", None),
    }


def test_symptom_indications(graph: Graph) -> None:
    assert rows(run(graph, "symptom-indications"), "symptom", "indication", "hedge") == {
        ("numbness", "nerve-involvement", None),
        ("muscle-weakness", "motor-nerve-compromise", None),
        ("widespread-muscle-spasms", "multiple-nerve-issues", "possible"),
    }
    weakness = run(graph, "symptom-indications", symptom="Weakness")
    assert rows(weakness, "symptom", "indication") == {
        ("muscle-weakness", "motor-nerve-compromise")
    }


def test_symptoms_preceding_spasms(graph: Graph) -> None:
    assert rows(run(graph, "symptoms-preceding-spasms"), "symptom", "spasm", "hedge", "quote") == {
        (
            "tingling",
            "muscle-spasm",
            "often",
            "Often precedes spasm onset as nerve irritation worsens.",
        )
    }


def test_symptoms_accompanying_spasms(graph: Graph) -> None:
    result = run(graph, "symptoms-accompanying-spasms")
    assert rows(result, "symptom", "relation", "spasm", "hedge") == {
        ("radiating-pain", "accompanies", "muscle-spasm", "often"),
        # "motor nerve compromise contributing to spasm severity": the compromise, not
        # the weakness, contributes; motor-nerve-compromise is no symptom, so not here
    }


# ---------------------------------------------------------------- mechanisms

STEPS = {
    "ion-flow-disruption": [
        "disrupted-ion-flow",
        "abnormal-depolarization",
        "erratic-endplate-signals",
        "involuntary-fiber-contraction",
    ],
    # "causing them to misfire or send abnormal signals. These disrupted signals can trigger
    # involuntary muscle contractions" (the article orders nothing before the misfiring)
    "signal-disruption": [
        "nerve-misfiring",
        "involuntary-muscle-contractions",
    ],
    "inflammatory-sensitization": [
        "nerve-sheath-inflammation",
        "nociceptor-sensitization",
        "reflexive-muscular-tightening",
    ],
    "nerve-ischemia": ["reduced-blood-flow", "ischemic-nerve-dysfunction"],
    "sensory-pain-reflex": ["pain-reflexes", "protective-muscle-tightening"],
    "spreading-inflammation-tightening": [
        "inflammation-spreading",
        "reflexive-protective-tightening",
    ],
}


def test_mechanism_steps_all(graph: Graph) -> None:
    expected = set()
    for mechanism, steps in STEPS.items():
        for i, step in enumerate(steps):
            nxt = steps[i + 1] if i + 1 < len(steps) else None
            expected.add((mechanism, i + 1, step, nxt))
    result = run(graph, "mechanism-steps")
    assert rows(result, "mechanism", "index", "step", "next") == expected


def test_mechanism_steps_in_order(graph: Graph) -> None:
    result = run(graph, "mechanism-steps", mechanism="disrupted ion flow leading to spasm")
    assert [local(r["step"]) for r in result.rows] == STEPS["ion-flow-disruption"]
    assert [local(r["index"]) for r in result.rows] == [1, 2, 3, 4]


def test_mechanisms(graph: Graph) -> None:
    result = run(graph, "mechanisms")
    assert rows(result, "mechanism", "of", "hedge", "condition", "first", "last", "result") == {
        (
            "inflammatory-sensitization", "pinched-nerve", None, "prolonged compression",
            "nerve-sheath-inflammation", "reflexive-muscular-tightening", None,
        ),
        (
            "ion-flow-disruption", "pinched-nerve", None, None,
            "disrupted-ion-flow", "involuntary-fiber-contraction", "muscle-spasm",
        ),
        *{
            (
                "nerve-ischemia", "pinched-nerve", "possible", "Chronic compression",
                "reduced-blood-flow", "ischemic-nerve-dysfunction", result,
            )
            for result in ("muscle-spasm", "muscle-weakness", "muscle-atrophy")
        },
        (
            "sensory-pain-reflex", "sensory-nerve", "possible", None,
            "pain-reflexes", "protective-muscle-tightening", "muscle-spasm",
        ),
        # "resulting in spasms", "not only to local", "beyond the immediate area";
        # "may extend across multiple muscle groups" / "potentially widespread"
        *{
            (
                "signal-disruption", "pinched-nerve", None, None,
                "nerve-misfiring", "involuntary-muscle-contractions", result,
            )
            for result in ("muscle-spasm", "localized-muscle-spasms", "widespread-muscle-spasms")
        },
        (
            "spreading-inflammation-tightening", "pinched-nerve", "sometimes", None,
            "inflammation-spreading", "reflexive-protective-tightening",
            "widespread-muscle-spasms",
        ),
    }


def test_nerve_type_effects(graph: Graph) -> None:
    result = run(graph, "nerve-type-effects")
    assert rows(result, "nerveType", "effect", "hedge", "duration") == {
        ("motor-nerve", "impaired-contraction-regulation", None, None),
        ("motor-nerve", "erratic-firing", "possible", None),
        ("motor-nerve", "muscle-weakness", "possible", "over-time"),
        ("sensory-nerve", "sensory-pain-reflex", "possible", None),
    }


# ---------------------------------------------------------------- severity


def test_severity_levels_in_order(graph: Graph) -> None:
    result = run(graph, "severity-levels")
    assert rows(result, "rank", "level", "feature", "duration") == {
        (1, "mild-compression", "intermittent-twitching", None),
        (1, "mild-compression", "mild-cramps", None),
        (1, "mild-compression", "quick-resolution", "quickly"),
        (2, "moderate-compression", "frequent-painful-spasms", None),
        (2, "moderate-compression", "larger-muscle-groups", None),
        (2, "moderate-compression", "longer-lasting-numbness-pain", None),
        (3, "severe-compression", "constant-debilitating-cramps", None),
        (3, "severe-compression", "cramps-all-over-affected-parts", None),
        (3, "severe-compression", "marked-weakness", None),
    }
    ranks = [local(r["rank"]) for r in result.rows]
    assert ranks == sorted(ranks)


def test_treatments_for_severity(graph: Graph) -> None:
    assert rows(run(graph, "treatments-for-severity"), "rank", "level", "intervention") == {
        (3, "severe-compression", "surgery")
    }
    assert run(graph, "treatments-for-severity", level="mild").rows == []


# ---------------------------------------------------------------- treatment


def test_treatments(graph: Graph) -> None:
    result = run(graph, "treatments")
    assert rows(result, "treatment", "hedge", "duration", "when") == {
        ("physical-therapy", None, None, None),
        ("physical-therapy", "often", None, None),  # "Treatment often includes ... therapy"
        ("ergonomic-adjustments", None, None, None),
        ("muscle-relaxants", None, "temporary", "during acute phases"),
        ("nerve-pain-medications", None, None, None),
        ("nsaids", None, None, None),
        (
            "corticosteroid-injections",
            "sometimes",
            "short-term",
            "especially when oral meds fail",
        ),
        ("laminectomy", None, None, None),
        ("foraminotomy", None, None, None),
        ("discectomy", None, None, None),
        ("surgery", "possible", None, "When conservative treatments don’t suffice"),
        ("rest", "often", None, None),
        ("pain-relief", "often", None, None),
        ("relieving-nerve-pressure", "often", None, None),
    }


def test_treatments_by_purpose(graph: Graph) -> None:
    result = run(graph, "treatments-by-purpose")
    assert rows(result, "purpose", "treatment") == {
        ("relieve-pressure", "physical-therapy"),
        ("loosen-tight-muscles", "stretching-routines"),
        ("prevent-spasm-recurrence", "stretching-routines"),
        ("improve-posture", "strengthening-exercises"),
        ("prevent-repetitive-strain", "avoidance-of-aggravating-activities"),
        ("reduce-mechanical-stress", "ergonomic-adjustments"),
        ("reduce-spasticity", "muscle-relaxants"),
        ("reduce-spasticity", "cyclobenzaprine"),
        ("calm-irritated-nerves", "nerve-pain-medications"),
        ("calm-irritated-nerves", "gabapentin"),
        ("calm-irritated-nerves", "pregabalin"),
        ("reduce-inflammation", "nsaids"),
        ("reduce-inflammation", "corticosteroid-injections"),
        ("decompress-nerves", "laminectomy"),
        ("decompress-nerves", "foraminotomy"),
        ("restore-signal-transmission", "discectomy"),
        ("restore-signal-transmission", "relieving-nerve-pressure"),
    }
    inflammation = run(graph, "treatments-by-purpose", purpose="reduce inflammation")
    assert rows(inflammation, "treatment") == {("nsaids",), ("corticosteroid-injections",)}
    decompress = run(graph, "treatments-by-purpose", purpose="DECOMPRESS")
    assert rows(decompress, "treatment") == {("laminectomy",), ("foraminotomy",)}


def test_treatments_by_type(graph: Graph) -> None:
    surgery = run(graph, "treatments-by-type", type="surgery")
    assert rows(surgery, "treatment", "class") == {
        ("discectomy", "Surgery"),
        ("foraminotomy", "Surgery"),
        ("laminectomy", "Surgery"),
        ("surgery", "Surgery"),
    }
    drugs = run(graph, "treatments-by-type", type="drug class")
    assert rows(drugs, "treatment") == {
        ("muscle-relaxants",), ("nerve-pain-medications",), ("nsaids",),
        # the article's bullet "Anit-inflammatory drugs: NSAIDs ..." names the wider class
        ("anti-inflammatory-drugs",),
    }
    medication = run(graph, "treatments-by-type", type="ng:Medication")
    assert rows(medication, "treatment") == {("cyclobenzaprine",), ("gabapentin",), ("pregabalin",)}
    therapy = run(graph, "treatments-by-type", type="therapy")
    assert rows(therapy, "treatment", "class") == {
        ("physical-therapy", "PhysicalTherapy"),
        ("stretching-routines", "TherapyComponent"),
        ("strengthening-exercises", "TherapyComponent"),
        ("avoidance-of-aggravating-activities", "TherapyComponent"),
        ("ergonomic-adjustments", "LifestyleModification"),
        ("rest", "LifestyleModification"),
        ("pain-relief", "Therapy"),
        ("relieving-nerve-pressure", "Therapy"),
    }
    # every intervention once (20 with the article's "Anit-inflammatory drugs" class)
    assert len(run(graph, "treatments-by-type").rows) == 20


def test_surgery_addresses_cause(graph: Graph) -> None:
    assert rows(run(graph, "surgery-addresses-cause"), "surgery", "cause") == {
        ("discectomy", "herniated-disc"),
        ("laminectomy", "bone-spurs"),
        ("foraminotomy", "bone-spurs"),
    }


def test_physical_therapy_components(graph: Graph) -> None:
    result = run(graph, "physical-therapy-components")
    assert rows(result, "therapy", "component", "purpose") == {
        ("physical-therapy", "stretching-routines", "loosen-tight-muscles"),
        ("physical-therapy", "stretching-routines", "prevent-spasm-recurrence"),
        ("physical-therapy", "strengthening-exercises", "improve-posture"),
        ("physical-therapy", "avoidance-of-aggravating-activities", "prevent-repetitive-strain"),
    }


def test_short_term_treatments(graph: Graph) -> None:
    result = run(graph, "short-term-treatments")
    got = rows(result, "treatment", "duration", "hedge", "when", "quote")
    assert {g[:4] for g in got} == {
        ("corticosteroid-injections", "short-term", "sometimes", "especially when oral meds fail"),
        ("muscle-relaxants", "temporary", None, "during acute phases"),
    }
    assert len(got) == 2
    assert all(("short-term respite" in g[4]) or ("temporary relief" in g[4]) for g in got)


def test_medications(graph: Graph) -> None:
    assert rows(run(graph, "medications"), "drugClass", "medication", "purpose") == {
        ("muscle-relaxants", "cyclobenzaprine", "reduce-spasticity"),
        ("nerve-pain-medications", "gabapentin", "calm-irritated-nerves"),
        ("nerve-pain-medications", "pregabalin", "calm-irritated-nerves"),
        ("nsaids", None, "reduce-inflammation"),
        ("anti-inflammatory-drugs", None, None),
    }


# ---------------------------------------------------------------- diagnosis


def test_differentials(graph: Graph) -> None:
    # "Lack of improvement after electrolyte correction points toward structural
    # nervous system issues" argues against electrolyte imbalance, but the data does not
    # state ng:differentiatesFrom for it (reported); the expectation follows the explicit
    # statements only.
    assert rows(run(graph, "differentials"), "differential", "group", "finding") == {
        ("dehydration", None, "symptom-pattern"),
        ("electrolyte-imbalance", None, "symptom-pattern"),
        ("low-potassium", "electrolyte-imbalance", None),
        ("low-magnesium", "electrolyte-imbalance", None),
        ("medication-side-effects", None, None),
        ("neurological-disorders", None, None),
        ("multiple-sclerosis", "neurological-disorders", None),
        ("dystonia", "neurological-disorders", None),
        ("systemic-metabolic-causes", None, "dermatomal-pain-distribution"),
    }


def test_distinguishing_findings(graph: Graph) -> None:
    result = run(graph, "distinguishing-findings")
    assert rows(result, "finding", "indicates", "test", "hedge") == {
        ("dermatomal-pain-distribution", "localized-nerve-root-involvement", None, None),
        (
            "no-improvement-after-electrolyte-correction",
            "structural-nervous-system-issues",
            None,
            None,
        ),
        ("slowed-nerve-conduction", None, "nerve-conduction-studies", None),
        ("symptom-pattern", None, None, "often"),
    }


def test_diagnostic_tests(graph: Graph) -> None:
    assert rows(run(graph, "diagnostic-tests"), "test", "finding") == {
        ("nerve-conduction-studies", "slowed-nerve-conduction")
    }


# ---------------------------------------------------------------- risks, spread, advice


def test_untreated_risks(graph: Graph) -> None:
    assert rows(run(graph, "untreated-risks"), "risk", "when") == {
        ("permanent-nerve-damage", "prolonged compression"),
        ("muscle-atrophy", "if untreated"),
        ("persistent-pain-syndromes", None),
        ("permanent-muscular-weakness", None),
        ("widespread-muscle-spasms", None),
    }


WIDESPREAD = {
    ("multiple-adjacent-roots-compressed", "canProduce", None),
    ("multiple-nerve-branches", "canProduce", None),
    ("nervous-system-chain-reaction", "canProduce", None),
    ("spreading-chronic-inflammation", "canProduce", "sometimes"),
    # "with caveats relating mostly to severity and location of compression"
    ("severity-of-compression", "influences", "mostly"),
    ("location-of-compression", "influences", "mostly"),
    ("spreading-inflammation-tightening", "results", None),
    # "This interference can lead to involuntary muscle contractions beyond the immediate
    # area"; "spasms that may extend across multiple muscle groups"
    ("signal-disruption", "results", None),
    ("signal-disruption", "results", "possible"),
}


def test_widespread_spasms_stated(graph: Graph) -> None:
    got = rows(run(graph, "widespread-spasms"), "factor", "relation", "hedge")
    assert got == WIDESPREAD


def test_spread_factors(graph: Graph) -> None:
    expected = {
        ("duration-of-compression", "influences", "muscle-spasm", None),
        ("location-of-compression", "influences", "muscle-spasm", None),
        ("location-of-compression", "influences", "widespread-muscle-spasms", "mostly"),
        ("severity-of-compression", "influences", "widespread-muscle-spasms", "mostly"),
        ("multiple-adjacent-roots-compressed", "canProduce", "widespread-muscle-spasms", None),
        ("multiple-nerve-branches", "canProduce", "widespread-muscle-spasms", None),
        ("nervous-system-chain-reaction", "canProduce", "widespread-muscle-spasms", None),
        ("spreading-chronic-inflammation", "canProduce", "widespread-muscle-spasms", "sometimes"),
    }
    got = rows(run(graph, "spread-factors"), "factor", "relation", "effect", "hedge")
    assert got == expected


def test_recommendations(graph: Graph) -> None:
    assert rows(run(graph, "recommendations"), "recommendation", "heading") == {
        (
            "consult-a-doctor",
            "Key Takeaways: Can A Pinched Nerve Cause Muscle Spasms All Over Body?",
        ),
        (
            "seek-medical-evaluation",
            "Conclusion – Can A Pinched Nerve Cause Muscle Spasms All Over Body?",
        ),
        ("timely-diagnosis", "The Impact of Duration and Severity on Symptoms"),
        (
            "timely-diagnosis",
            "The Connection Explored: Can A Pinched Nerve Cause Muscle Spasms All Over Body?",
        ),
    }


# ---------------------------------------------------------------- evidence and hedges

CAUSES_HEADING = "Common Causes Leading to Pinched Nerves and Widespread Muscle Spasms"


def test_evidence_for_entity(graph: Graph, source_text: str) -> None:
    result = run(graph, "evidence-for-entity", entity="herniated disc")
    got = rows(result, "subject", "predicate", "object", "heading")
    assert got == {
        ("herniated-disc", "arisesFrom", "disc-bulge-or-rupture", CAUSES_HEADING),
        ("herniated-disc", "causes", "pinched-nerve", CAUSES_HEADING),
        ("herniated-disc", "causes", "pinched-nerve", "Frequently Asked Questions"),
        ("herniated-disc", "compresses", "spinal-nerves", CAUSES_HEADING),
        ("discectomy", "addressesCause", "herniated-disc", "Surgical Options for Severe Cases"),
        # "they can press on nearby spinal nerves causing radiating pain and spasms"
        ("herniated-disc", "causesSymptom", "radiating-pain", CAUSES_HEADING),
        ("herniated-disc", "causesSymptom", "muscle-spasm", CAUSES_HEADING),
        # FAQ: "These issues often result in widespread muscle spasms"
        (
            "herniated-disc",
            "causesSymptom",
            "widespread-muscle-spasms",
            "Frequently Asked Questions",
        ),
        # ("often triggered by lumbar disc issues" is not about herniated discs)
    }
    assert len(result.rows) == 8
    assert all(str(r["quote"]) in source_text for r in result.rows)


def test_evidence_for_triple(graph: Graph) -> None:
    result = run(
        graph,
        "evidence-for-triple",
        subject="herniated discs",
        predicate="causes",
        object="nge:pinched-nerve",
    )
    assert rows(result, "subject", "predicate", "object", "hedge", "heading") == {
        ("herniated-disc", "causes", "pinched-nerve", None, CAUSES_HEADING),
        ("herniated-disc", "causes", "pinched-nerve", None, "Frequently Asked Questions"),
    }
    quotes = {str(r["quote"]) for r in result.rows}
    assert any("When spinal discs bulge or rupture" in q for q in quotes)


def test_hedges_used(graph: Graph) -> None:
    got = dict(rows(run(graph, "hedges-used"), "hedge", "statements"))
    # every hedge word of the scheme occurs in the article
    assert set(got) == {
        "often", "possible", "sometimes", "usually", "rare", "common",
        "less-common", "mostly", "occasionally", "typically",
    }
    # counted by hand from the article
    # "Bilateral legs (rare)": the pattern (the legs are affected either way)
    assert got["rare"] == 1
    assert got["usually"] == 2  # "usually one side leg & foot": foot, pattern
    assert got["sometimes"] == 6
    # "down one leg mostly"; "caveats relating mostly to severity and location"
    assert got["mostly"] == 3
    assert got["occasionally"] == got["less-common"] == 1
    assert got["common"] == got["typically"] == 1


def test_statements_by_hedge(graph: Graph) -> None:
    result = run(graph, "statements-by-hedge", hedge="RARE")
    assert rows(result, "subject", "predicate", "object", "quote") == {
        ("sciatic-nerve", "hasSpasmPattern", "sciatic-bilateral-legs", "Bilateral legs (rare)"),
    }


# ---------------------------------------------------------------- construct


def test_entity_neighbourhood(graph: Graph) -> None:
    result = run(graph, "entity-neighbourhood", entity="herniated disc")
    assert result.graph is not None
    got = {(local(s), local(p), local(o)) for s, p, o in result.graph}
    assert got == {
        ("herniated-disc", "type", "Cause"),
        ("herniated-disc", "prefLabel", "herniated disc"),
        ("herniated-disc", "arisesFrom", "disc-bulge-or-rupture"),
        ("herniated-disc", "causes", "pinched-nerve"),
        ("herniated-disc", "compresses", "spinal-nerves"),
        ("disc-bulge-or-rupture", "prefLabel", "spinal disc bulging or rupture"),
        ("pinched-nerve", "prefLabel", "pinched nerve"),
        ("spinal-nerves", "prefLabel", "spinal nerves"),
        ("discectomy", "addressesCause", "herniated-disc"),
        ("discectomy", "prefLabel", "discectomy"),
        # "causing radiating pain and spasms"; "These issues often result in widespread
        # muscle spasms"
        ("herniated-disc", "causesSymptom", "radiating-pain"),
        ("herniated-disc", "causesSymptom", "muscle-spasm"),
        ("herniated-disc", "causesSymptom", "widespread-muscle-spasms"),
        ("radiating-pain", "prefLabel", "pain radiating along a nerve pathway"),
        ("muscle-spasm", "prefLabel", "muscle spasm"),
        ("widespread-muscle-spasms", "prefLabel", "widespread muscle spasms"),
    }


def test_schema_org_view(graph: Graph) -> None:
    result = run(graph, "schema-org-view")
    view = result.graph
    assert view is not None
    predicates = {str(p) for p in view.predicates()}
    # the ontology maps exactly these properties to schema.org
    assert predicates == {
        str(RDF.type),
        SCHEMA + "name",
        SCHEMA + "causeOf",
        SCHEMA + "associatedAnatomy",
        SCHEMA + "possibleTreatment",
        SCHEMA + "drugClass",
        SCHEMA + "typicalTest",
        SCHEMA + "signOrSymptom",
    }
    assert all(str(o).startswith(SCHEMA) for o in view.objects(None, RDF.type))
    e = URIRef

    def has(s: str, p: str, o: str) -> bool:
        return (e(NGE + s), e(p), e(o if o.startswith("http") else NGE + o)) in view

    assert has("herniated-disc", SCHEMA + "causeOf", "pinched-nerve")
    assert has("herniated-disc", str(RDF.type), SCHEMA + "MedicalCause")
    assert has("physical-therapy", str(RDF.type), SCHEMA + "PhysicalTherapy")
    assert has("physical-therapy", str(RDF.type), SCHEMA + "MedicalTherapy")
    assert has("gabapentin", SCHEMA + "drugClass", "nerve-pain-medications")
    assert has("pinched-nerve", SCHEMA + "typicalTest", "nerve-conduction-studies")
    assert len(set(view.subject_objects(e(SCHEMA + "causeOf")))) == 5  # five causes
    assert len(set(view.subject_objects(e(SCHEMA + "associatedAnatomy")))) == 4
    assert len(set(view.objects(e(NGE + "pinched-nerve"), e(SCHEMA + "possibleTreatment")))) == 13
    # ten symptoms: pain, numbness, tingling, spasms, localized and widespread spasms,
    # radiating pain, weakness, cramping, and the bone spurs' "muscular responses"
    assert len(set(view.objects(e(NGE + "pinched-nerve"), e(SCHEMA + "signOrSymptom")))) == 10


# ---------------------------------------------------------------- QC

@pytest.mark.parametrize("name", QC)
def test_qc_finds_nothing_on_the_data(name: str, graph: Graph) -> None:
    result = run_query(name, graph)
    assert result.rows == [], result.serialize("table")


@pytest.mark.parametrize("name", QC)
def test_qc_finds_the_broken_fixture(name: str, catalogue: dict[str, StoredQuery]) -> None:
    query = catalogue[name]
    fixture = QC_DATA / f"{query.name.removeprefix('qc/')}.ttl"
    assert fixture.is_file(), f"missing fixture {fixture}"
    broken = load_graph([fixture])
    assert len(run_query(query, broken).rows) >= 1


def test_severity_ranks_clash_only_within_one_article() -> None:
    broken = load_graph([QC_DATA / "severity-rank-violation.ttl"])
    rows = {
        (r["level"], r["other"], None if r["rank"] is None else int(r["rank"]))
        for r in run_query("qc/severity-rank-violation", broken).rows
    }
    mild, moderate, severe = (URIRef(NGE + n) for n in ("mild", "moderate", "severe"))
    assert rows == {(mild, moderate, 1), (moderate, mild, 1), (severe, None, None)}


# ---------------------------------------------------------------- parameters

LUMBAR = URIRef(NGE + "lumbar-spine")


@pytest.mark.parametrize(
    "value",
    [
        "lumbar spine",
        "lumbar",
        "LUMBAR",
        "  Lower   back ",
        NGE + "lumbar-spine",
        "nge:lumbar-spine",
        "lumbar-spine",
    ],
)
def test_parameter_value_forms(value: str, graph: Graph) -> None:
    prepared = prepare_query("causes-by-region", graph, region=value)
    assert prepared.bindings == {"_region_iri": LUMBAR}


def test_parameter_rdflib_term(graph: Graph) -> None:
    assert prepare_query("causes-by-region", graph, region=LUMBAR).bindings["_region_iri"] == LUMBAR


def test_unknown_value_lists_accepted_values(graph: Graph) -> None:
    with pytest.raises(ParameterError) as info:
        run_query("causes-by-region", graph, region="lumbarx")
    assert info.value.parameter == "region"
    assert str(info.value) == (
        "parameter 'region': no NerveLocation matches 'lumbarx'; accepted: "
        "cervical spine, lumbar spine, sciatic nerve, thoracic spine"
    )


def test_iri_of_wrong_class(graph: Graph) -> None:
    with pytest.raises(ParameterError, match="is not a NerveLocation"):
        run_query("causes-by-region", graph, region="nge:herniated-disc")
    with pytest.raises(ParameterError, match="is not a NerveLocation"):
        run_query("causes-by-region", graph, region=NGE + "no-such-thing")


def test_unknown_and_missing_parameters(graph: Graph) -> None:
    with pytest.raises(ParameterError) as info:
        run_query("causes-by-region", graph, regoin="lumbar")
    assert info.value.parameter == "regoin"
    with pytest.raises(ParameterError) as info:
        run_query("regions-by-muscle-area", graph)
    assert info.value.parameter == "area" and "required" in str(info.value)


def test_external_curie_hook(graph: Graph) -> None:
    from nervegraph.queries.catalogue import QueryParam
    from nervegraph.queries.run import CURIE_EXPANSIONS

    g = Graph()
    g += graph
    mesh = URIRef(CURIE_EXPANSIONS["MESH"] + "D000000")
    g.add((LUMBAR, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"), mesh))
    param = QueryParam("region", "", "ng:NerveLocation")
    assert resolve_param(g, param, "MESH:D000000") == LUMBAR
    with pytest.raises(ParameterError):
        resolve_param(graph, param, "MESH:D000000")


# ---------------------------------------------------------------- injection

HOSTILE = [
    "'",
    '"',
    '"""',
    "'''",
    ">",
    "<",
    "}",
    "{",
    "\n",
    "#",
    "\u0000",
    "lumbar\u0000",
    "' } ; DROP ALL ; #",
    '" } ; DROP ALL ; #',
    "<http://x> } INSERT DATA { <a> <b> <c> }",
    "lumbar spine> } UNION { ?s ?p ?o }",
    "https://w3id.org/nervegraph/entity/lumbar-spine> } UNION { ?s ?p ?o . #",
    "https://w3id.org/nervegraph/entity/lumbar spine",
    "https://example.org/a b",
    "https://example.org/a>b",
    "https://example.org/{x}",
    "https://example.org/a\\u003e",
    "nge:lumbar-spine> } UNION { ?s ?p ?o",
    "nge:lumbar spine",
    "?s",
    "?_region_iri",
    "*",
    ") . ?s ?p ?o . FILTER(",
    "lumbar\n} UNION { ?s ?p ?o }",
    "lumbar\" ; ng:quote ?q . #",
    "SERVICE <http://example.org/sparql> { ?s ?p ?o }",
    "x" * 5000,
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_parameter_values_library(value: str, graph: Graph) -> None:
    before = len(graph)
    with pytest.raises(ParameterError):
        run_query("causes-by-region", graph, region=value)
    assert len(graph) == before


@pytest.mark.parametrize("value", HOSTILE[:20], ids=range(20))
def test_hostile_parameter_values_cli(value: str) -> None:
    if "\u0000" in value:
        pytest.skip("a NUL byte cannot be passed in argv")
    result = CliRunner().invoke(main, ["query", "causes-by-region", "--param", f"region={value}"])
    assert result.exit_code == 2, result.output
    assert "error: parameter 'region'" in result.output


def test_bindings_as_values() -> None:
    text = "PREFIX ng: <x:>\nSELECT ?a (COUNT(*) AS ?n) WHERE { ?_r_iri ?p ?a } GROUP BY ?a"
    out = bindings_as_values(text, {"_r_iri": LUMBAR, "lit": Literal('say "hi"\n')})
    assert out.count("VALUES (?_r_iri ?lit)") == 1
    assert out.index("VALUES") > out.index("WHERE {")
    g = Graph()
    g.add((LUMBAR, URIRef("x:p"), Literal(1)))
    assert len(list(g.query(out))) == 1  # still valid SPARQL
    lit = Literal('say "hi"\n}""" } #')
    echo = bindings_as_values("SELECT ?v WHERE { }", {"v": lit})
    assert [row[0] for row in g.query(echo)] == [lit]
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert bindings_as_values(construct, {"s": LUMBAR}).startswith(
        "CONSTRUCT { ?s ?p ?o } WHERE { VALUES"
    )
    for bad in ("http://x/a b", "http://x/a>", 'http://x/"', "http://x/{", "http://x/\\"):
        with pytest.raises(ParameterError):
            bindings_as_values(text, {"_r_iri": URIRef(bad)})


def test_bindings_as_values_on_every_stored_query(
    graph: Graph, catalogue: dict[str, StoredQuery]
) -> None:
    """The VALUES text of every parametrized query runs and answers like run_query."""
    checked = 0
    for query in catalogue.values():
        if not query.params:
            continue
        given = {p.name: min(param_candidates(graph, p)) for p in query.params}
        bindings = {query.param(k).variable: v for k, v in given.items()}  # type: ignore[union-attr]
        text = bindings_as_values(query.text, bindings)
        assert text.count("VALUES") == query.text.count("VALUES") + 1, query.name
        expected = run_query(query, graph, **given)
        if query.query_type == "CONSTRUCT":
            assert _direct(graph, text) == set(expected.graph), query.name  # type: ignore[arg-type]
        else:
            want = sorted((tuple(r[v] for v in expected.vars) for r in expected.rows), key=str)
            assert _direct(graph, text) == (expected.vars, want), query.name
        checked += 1
    assert checked >= 10


# ---------------------------------------------------------------- offline, syntax


def test_updates_are_not_run(graph: Graph) -> None:
    for text in ("LOAD <http://example.org/data.ttl>", "DROP ALL", "CLEAR DEFAULT"):
        with pytest.raises(QueryError, match="SPARQL update"):
            run_query(text, graph, allow_network=True)
        assert len(graph) > 3000  # nothing dropped


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_network_keywords_refused(text: str, graph: Graph) -> None:
    with pytest.raises(QueryError, match="allow_network"):
        run_query(text, graph)


def test_sparql_load_graphs_is_off_only_inside_the_guard() -> None:
    import rdflib.plugins.sparql

    from nervegraph.rdf.offline import offline

    assert rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS is True  # the caller's setting
    with offline():
        assert rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS is False
        with offline():
            assert rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS is False
        assert rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS is False
    assert rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS is True


def test_keywords_inside_strings_and_iris_are_fine(graph: Graph) -> None:
    text = 'SELECT ?x WHERE { BIND("SERVICE FROM LOAD" AS ?x) } # FROM <http://x>'
    assert len(run_query(text, graph).rows) == 1


def test_syntax_error_has_line_and_column(graph: Graph) -> None:
    with pytest.raises(QueryError, match=r"line 2, column \d+"):
        run_query("SELECT * WHERE {\n  ?s ?p }", graph)


def test_ad_hoc_query_takes_no_parameters(graph: Graph) -> None:
    with pytest.raises(ParameterError):
        run_query("SELECT * WHERE { ?s ?p ?o } LIMIT 1", graph, region="lumbar")


def test_ask_query(graph: Graph) -> None:
    result = run_query("ASK { ?s a <https://w3id.org/nervegraph/ontology#Cause> }", graph)
    assert result.askAnswer is True and result.query_type == "ASK"
    assert json.loads(result.serialize("json"))["boolean"] is True


# ---------------------------------------------------------------- CLI


def cli(*args: str, stdin: str | None = None):  # noqa: ANN201
    return CliRunner().invoke(main, list(args), input=stdin)


def test_cli_queries_list() -> None:
    result = cli("queries", "--tag", "Nerve Location")
    assert result.exit_code == 0
    assert "examples/causes-by-region" in result.output and "region?" in result.output
    assert "examples/symptoms " not in result.output
    data = json.loads(cli("queries", "--format", "json").output)
    assert {q["name"] for q in data} == set(NAMES)


def test_cli_table_uses_labels() -> None:
    result = cli("query", "causes-by-region", "--param", "region=lumbar")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["region", "cause", "pattern", "hedge", "quote"]
    assert "lumbar spine" in lines[2] and "lumbar disc issues" in lines[2] and "often" in lines[2]
    assert "https://" not in result.output


def test_cli_csv_follows_w3c() -> None:
    result = cli("query", "causes-by-region", "-p", "region=lumbar", "-f", "csv")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "region,cause,pattern,hedge,quote"
    assert lines[1].startswith(NGE + "lumbar-spine," + NGE + "lumbar-disc-issues,")


def test_cli_tsv_follows_w3c() -> None:
    result = cli("query", "causes-by-region", "-p", "region=lumbar", "-f", "tsv")
    lines = result.output.splitlines()
    assert lines[0] == "?region\t?cause\t?pattern\t?hedge\t?quote"
    assert lines[1].startswith(f"<{NGE}lumbar-spine>\t")


def test_cli_json_and_xml() -> None:
    data = json.loads(cli("query", "causes-by-region", "-p", "region=lumbar", "-f", "json").output)
    assert data["head"]["vars"] == ["region", "cause", "pattern", "hedge", "quote"]
    (binding,) = data["results"]["bindings"]
    assert binding["cause"] == {"type": "uri", "value": NGE + "lumbar-disc-issues"}
    xml = cli("query", "causes-by-region", "-p", "region=lumbar", "-f", "xml").output
    assert "http://www.w3.org/2005/sparql-results#" in xml


def test_cli_construct_formats() -> None:
    turtle = cli("query", "entity-neighbourhood", "-p", "entity=nge:herniated-disc")
    assert turtle.exit_code == 0
    g = Graph().parse(data=turtle.output, format="turtle")
    # 16: test_entity_neighbourhood's triples (herniated disc's own, its neighbours' labels)
    assert len(g) == 16
    nt = cli("query", "entity-neighbourhood", "-p", "entity=herniated disc", "-f", "nt")
    assert len(Graph().parse(data=nt.output, format="nt")) == 16
    jsonld = cli("query", "entity-neighbourhood", "-p", "entity=herniated disc", "-f", "json")
    assert len(Graph().parse(data=jsonld.output, format="json-ld")) == 16


def test_cli_output_file(tmp_path: Path) -> None:
    out = tmp_path / "lumbar.csv"
    result = cli("query", "causes-by-region", "-p", "region=lumbar", "-f", "csv", "-o", str(out))
    assert result.exit_code == 0 and result.output == ""
    assert out.read_text(encoding="utf-8").startswith("region,cause,")


def test_cli_stdin_and_file(tmp_path: Path) -> None:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/nervegraph/ontology#Cause> }"
    result = cli("query", "-", "-f", "csv", stdin=text)
    assert result.exit_code == 0 and result.output.splitlines() == ["n", "5"]
    path = tmp_path / "causes.rq"
    path.write_text(text, encoding="utf-8")
    assert cli("query", str(path), "-f", "csv").output.splitlines() == ["n", "5"]


def test_cli_data_option(test_data: Path) -> None:
    fixture = test_data / "qc" / "hedge-outside-scheme-violation.ttl"
    result = cli("query", "hedge-outside-scheme-violation", "--data", str(fixture), "-f", "csv")
    assert result.exit_code == 0, result.output
    # the fixture (with the ontology), not the bundled graph: the library's answer on it
    expected = run_query("qc/hedge-outside-scheme-violation", load_graph([fixture]))
    assert expected.rows  # the bundled data gives none (test_qc_finds_nothing_on_the_data)
    lines = result.output.splitlines()
    assert lines[0] == ",".join(expected.vars)
    assert len(lines) == 1 + len(expected.rows)


def test_cli_errors_exit_2() -> None:
    bad = cli("query", "causes-by-region", "-p", "region=lumbarx")
    assert bad.exit_code == 2
    assert bad.output.startswith(
        "error: parameter 'region': no NerveLocation matches 'lumbarx'; accepted: cervical spine"
    )
    syntax = cli("query", "-", stdin="SELECT * WHERE {\n ?s ?p }")
    assert syntax.exit_code == 2 and "line 2, column" in syntax.output
    assert cli("query", "causes-by-region", "-p", "region").exit_code == 2
    assert cli("query", "no-such-query").exit_code == 2
    assert cli("query", "regions-by-muscle-area").exit_code == 2
    assert cli("query", "causes-by-region", "-p", "nope=1").exit_code == 2
    assert cli("query", "entity-neighbourhood", "-p", "entity=arms", "-f", "csv").exit_code == 2


# ---------------------------------------------------------------- docs


def test_docs_queries_md_is_current(repo_root: Path) -> None:
    docs = repo_root / "docs" / "queries.md"
    assert docs.is_file() and docs.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/queries.md is out of date; regenerate it with: "
        "nervegraph queries --format markdown > docs/queries.md"
    )


# ---------------------------------------------------------------- oxrdflib


def test_oxrdflib_gives_identical_answers(
    graph: Graph, catalogue: dict[str, StoredQuery]
) -> None:
    pytest.importorskip("oxrdflib")
    ox = Graph(store="Oxigraph")
    for triple in graph:
        ox.add(triple)
    params = {
        "region": "lumbar",
        "area": "legs",
        "entity": "herniated disc",
        "hedge": "rare",
        "mechanism": "disrupted ion flow leading to spasm",
    }
    for query in catalogue.values():
        if any(p.required and p.name not in params for p in query.params):
            continue  # a query added later, with a parameter this test has no value for
        values = {p.name: params[p.name] for p in query.params if p.name in params}
        mem, oxr = run_query(query, graph, **values), run_query(query, ox, **values)
        if query.query_type == "CONSTRUCT":
            assert set(mem.graph) == set(oxr.graph), query.name  # type: ignore[arg-type]
        else:
            def key(row: dict) -> tuple:
                # GROUP_CONCAT order is undefined: compare its items as a sorted list
                return tuple(
                    (k, " ".join(sorted(str(v).split())) if k == "iris" else str(v))
                    for k, v in sorted(row.items())
                )

            assert sorted(map(key, mem.rows)) == sorted(map(key, oxr.rows)), query.name


@pytest.mark.parametrize(
    "name", ["construct/schema-org-view", "construct/entity-neighbourhood", "examples/symptoms"]
)
def test_catalogue_names_starting_with_a_keyword_are_names(name: str) -> None:
    # "construct/…" begins with a SPARQL keyword but is a catalogue name, not SPARQL text.
    assert load_query(name).name == name
    assert load_query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }").name == "<ad-hoc query>"
    assert load_query("SELECT*{?s ?p ?o}").name == "<ad-hoc query>"
