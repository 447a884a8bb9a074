"""``build_release``: a folder people can download, verify and cite.

``nervegraph-<version>/`` holds one dump per export format, ``void.ttl`` (VoID + DCAT:
version, licence, counts, one distribution per dump with its size and SHA-256), the
documentation site in ``site/``, the licence and citation files of the checkout when
present, and ``SHA256SUMS`` over every file (``sha256sum -c SHA256SUMS`` checks it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rdflib import OWL, RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, XSD

from nervegraph import progress
from nervegraph.rdf.load import load_graph

from .build import build_site
from .files import OutputDir, sha256_file
from .render import site_version

log = logging.getLogger(__name__)

#: an open namespace: rdflib's DCAT is DCAT 2, without dcat:version (DCAT 3)
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
DATASET = URIRef("https://w3id.org/nervegraph/dataset")
DATA_LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
RELEASE_MARKER = ".nervegraph-release"
#: export format -> (file name in the release, media type)
DUMPS: dict[str, tuple[str, str]] = {
    "ttl": ("nervegraph.ttl", "text/turtle"),
    "nt": ("nervegraph.nt", "application/n-triples"),
    "nq": ("nervegraph.nq", "application/n-quads"),
    "trig": ("nervegraph.trig", "application/trig"),
    "jsonld": ("nervegraph.jsonld", "application/ld+json"),
    "xml": ("nervegraph.rdf", "application/rdf+xml"),
    "kgx": ("kgx", "text/tab-separated-values"),
}
#: files of the checkout copied into the release when present
COPIED = ("LICENSE", "CITATION.cff", "CHANGELOG.md", "README.md")


@dataclass
class ReleaseReport:
    """What :func:`build_release` wrote.

    Attributes:
        folder: the release folder ``nervegraph-<version>``.
        version: the release version (the package's).
        files: every file with its SHA-256, as listed in ``SHA256SUMS``.
        triples: the number of triples of the graph.
    """

    folder: Path
    version: str
    files: list[tuple[str, str]]
    triples: int


def _checkout_root() -> Path | None:
    """The directory whose LICENSE, CITATION.cff, ... go in: the project's, else the checkout's."""
    from nervegraph.resources import current_project

    project = current_project()
    if project is not None:
        return project.root
    root = Path(__file__).resolve().parents[3]
    return root if (root / "pyproject.toml").is_file() else None


def void_graph(base: Graph, version: str, dumps: list[tuple[str, str, Path]]) -> Graph:
    """Add DCAT, version, licence and one distribution per dump to the VoID ``base``.

    Args:
        base: the VoID description ``nervegraph export --format void`` writes.
        version: the release version.
        dumps: ``(format, media type, path)`` per dump file.
    """
    graph = base
    graph.bind("dcat", DCAT)
    graph.bind("spdx", SPDX)
    graph.bind("void", VOID)
    release = f"https://w3id.org/nervegraph/release/{version}/"
    graph.add((DATASET, RDF.type, DCAT.Dataset))
    graph.add((DATASET, OWL.versionInfo, Literal(version)))
    graph.add((DATASET, DCAT.version, Literal(version)))
    graph.add((DATASET, DCTERMS.license, DATA_LICENSE))
    graph.add(
        (
            DATASET,
            DCTERMS.description,
            Literal(
                "A health article turned into an RDF knowledge graph: every stated relation "
                "carries its source section, verbatim quote and hedges.",
                lang="en",
            ),
        )
    )
    for fmt, media_type, path in dumps:
        name = path.name
        dist = URIRef(f"{release}{name}")
        checksum = URIRef(f"{release}{name}#sha256")
        graph.add((DATASET, DCAT.distribution, dist))
        graph.add((dist, RDF.type, DCAT.Distribution))
        graph.add((dist, DCTERMS.title, Literal(f"nervegraph {version} ({fmt})")))
        graph.add((dist, DCTERMS.identifier, Literal(name)))
        graph.add((dist, DCAT.downloadURL, dist))
        graph.add(
            (
                dist,
                DCAT.mediaType,
                URIRef(f"https://www.iana.org/assignments/media-types/{media_type}"),
            )
        )
        graph.add((dist, DCTERMS.license, DATA_LICENSE))
        graph.add(
            (dist, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger))
        )
        graph.add((dist, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add(
            (checksum, SPDX.checksumValue, Literal(sha256_file(path), datatype=XSD.hexBinary))
        )
    return graph


def build_release(output: str | Path = ".", *, graph: Graph | None = None) -> ReleaseReport:
    """Write ``<output>/nervegraph-<version>/``; return what it holds.

    Raises:
        SiteError: the folder exists, is not empty and was not written by nervegraph.
        ExportError, InputError: the graph cannot be exported.
    """
    from nervegraph.interchange.export import EXPORT_FORMATS, export_graph

    version = site_version()
    folder = Path(output) / f"nervegraph-{version}"
    out = OutputDir(folder, RELEASE_MARKER, "release")
    if graph is None:
        graph = load_graph()
    dumps: list[tuple[str, str, Path]] = []
    formats = [fmt for fmt in EXPORT_FORMATS if fmt != "void"]
    for fmt in progress.track(formats, "writing the dumps", unit="format", note=str):
        name, media_type = DUMPS[fmt]
        if fmt == "kgx":
            export_graph("kgx", folder / name)
            for table in ("nodes.tsv", "edges.tsv"):
                out.written[f"{name}/{table}"] = None
                dumps.append((f"{fmt} {table}", media_type, folder / name / table))
            continue
        text = export_graph(fmt)
        assert text is not None
        dumps.append((fmt, media_type, out.write(name, text)))
    base = Graph()
    base.parse(data=export_graph("void"), format="turtle")
    out.write("void.ttl", void_graph(base, version, dumps).serialize(format="longturtle"))
    root = _checkout_root()
    for name in COPIED:
        if root is not None and (root / name).is_file():
            out.write(name, (root / name).read_bytes())
    build_site(folder / "site", graph=graph)
    sums = []
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in progress.track(files, "checksums", unit="file"):
        rel = path.relative_to(folder).as_posix()
        if rel == "SHA256SUMS" or path.name.startswith(".nervegraph-") or "/." in f"/{rel}":
            continue
        sums.append((rel, sha256_file(path)))
    out.write("SHA256SUMS", "".join(f"{digest}  {rel}\n" for rel, digest in sums))
    out.finish()
    log.info("release %s: %d files in %s", version, len(sums), folder)
    return ReleaseReport(folder, version, sums, len(graph))
