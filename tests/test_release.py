"""The release folder, the version in one place, and CITATION.cff against the CFF schema."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import rdflib
import yaml
from rdflib.compare import isomorphic

from nervegraph import load_graph
from nervegraph.site import build_release

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
RDF_DUMPS = {
    "nervegraph.ttl": "turtle",
    "nervegraph.nt": "nt",
    "nervegraph.rdf": "xml",
    "nervegraph.jsonld": "json-ld",
}
QUAD_DUMPS = {"nervegraph.nq": "nquads", "nervegraph.trig": "trig"}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = build_release(tmp_path_factory.mktemp("release"))
    assert report.folder.name == f"nervegraph-{version('nervegraph')}"
    return report.folder


@pytest.fixture(scope="module")
def expected() -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in load_graph():
        graph.add(triple)
    return graph


def test_version_is_defined_once(repo_root: Path) -> None:
    pyproject = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))
    assert version("nervegraph") == pyproject["project"]["version"]
    citation = yaml.safe_load((repo_root / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["version"] == pyproject["project"]["version"]
    changelog = (repo_root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{pyproject['project']['version']}]" in changelog and "## [Unreleased]" in changelog


def test_citation_cff_is_valid_cff_1_2_0(repo_root: Path, test_data: Path) -> None:
    """Validated with jsonschema against the CFF 1.2.0 schema vendored in tests/data."""
    import jsonschema

    schema = json.loads((test_data / "cff-1.2.0-schema.json").read_text(encoding="utf-8"))
    citation = yaml.safe_load((repo_root / "CITATION.cff").read_text(encoding="utf-8"))
    # the date is quoted in the file: the schema wants a string, not a YAML timestamp
    assert isinstance(citation["date-released"], str)
    jsonschema.validate(citation, schema, format_checker=jsonschema.FormatChecker())
    assert citation["cff-version"] == "1.2.0"


def test_dumps_round_trip(release: Path, expected: rdflib.Graph) -> None:
    for name, fmt in RDF_DUMPS.items():
        graph = rdflib.Graph()
        graph.parse(release / name, format=fmt)
        assert len(graph) == len(expected), name
        assert isomorphic(graph, expected), name
    for name, fmt in QUAD_DUMPS.items():
        dataset = rdflib.Dataset()
        dataset.parse(release / name, format=fmt)
        union = {(s, p, o) for s, p, o, _ in dataset.quads((None, None, None, None))}
        assert union == set(expected), name
    nodes = (release / "kgx" / "nodes.tsv").read_text(encoding="utf-8").splitlines()
    assert nodes[0].startswith("id\tcategory") and len(nodes) > 100


def test_checksums_match(release: Path) -> None:
    lines = (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest, name
    files = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    hidden = {f for f in files if f.startswith(".") or "/." in f}
    assert set(listed) == files - hidden - {"SHA256SUMS"}
    assert "site/index.html" in listed and "void.ttl" in listed and "LICENSE" in listed


def test_void_counts_and_distributions(release: Path, expected: rdflib.Graph) -> None:
    void = rdflib.Graph().parse(release / "void.ttl", format="turtle")
    dataset = rdflib.URIRef("https://w3id.org/nervegraph/dataset")
    assert (dataset, rdflib.RDF.type, DCAT.Dataset) in void
    assert (dataset, rdflib.RDF.type, VOID.Dataset) in void
    assert str(void.value(dataset, DCAT.version)) == version("nervegraph")
    assert str(void.value(dataset, rdflib.OWL.versionInfo)) == version("nervegraph")
    assert void.value(dataset, rdflib.DCTERMS.license) == rdflib.URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert int(void.value(dataset, VOID.triples)) == len(expected)
    for part in void.objects(dataset, VOID.classPartition):
        cls = void.value(part, VOID["class"])
        count = len(set(expected.subjects(rdflib.RDF.type, cls)))
        assert int(void.value(part, VOID.entities)) == count, cls
    distributions = list(void.objects(dataset, DCAT.distribution))
    names = set()
    for dist in distributions:
        name = str(void.value(dist, rdflib.DCTERMS.identifier))
        path = release / name if (release / name).is_file() else None
        if path is None:  # the kgx tables: one distribution per table
            table = str(dist).rsplit("/", 1)[-1]
            path = release / "kgx" / table
        names.add(path.name)
        assert int(void.value(dist, DCAT.byteSize)) == path.stat().st_size
        checksum = void.value(dist, SPDX.checksum)
        assert void.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        value = str(void.value(checksum, SPDX.checksumValue))
        assert value == hashlib.sha256(path.read_bytes()).hexdigest()
    assert set(RDF_DUMPS) | set(QUAD_DUMPS) <= names


def test_release_cli_refuses_a_foreign_folder(tmp_path: Path) -> None:
    folder = tmp_path / f"nervegraph-{version('nervegraph')}"
    folder.mkdir()
    (folder / "keep.txt").write_text("x", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "nervegraph.cli", "release", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and "not written by nervegraph" in result.stderr
