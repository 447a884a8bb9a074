"""Where the bundled ontology, data and stored queries live.

A wheel carries them as ``nervegraph/_bundled/<name>`` (see ``hatch_build.py``); an
editable install or a plain checkout reads the top-level directories of the repository.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The checkout root when running from ``src/`` (editable install, tests in the repo).
REPO_ROOT = PACKAGE_DIR.parents[1]
#: True when this module is imported from a source checkout, not from site-packages.
IN_CHECKOUT = PACKAGE_DIR.parent.name == "src" and (REPO_ROOT / "pyproject.toml").is_file()

SHAPES_FILE_NAME = "shapes.ttl"


def bundled_dir(name: str) -> Path:
    """Return the directory holding the bundled resource ``name``.

    Args:
        name: ``"ontology"``, ``"data"`` or ``"queries"``.

    Returns:
        ``<package>/_bundled/<name>`` when the wheel installed it, else ``<repo>/<name>``
        when running from a checkout (editable install). The path is returned even when
        it does not exist; callers decide whether that is an error.
    """
    installed = PACKAGE_DIR / "_bundled" / name
    if installed.is_dir() or not IN_CHECKOUT:
        return installed
    return REPO_ROOT / name


def _ttl_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*.ttl") if p.is_file())


def ontology_files() -> list[Path]:
    """Return every ``*.ttl`` file of the ontology directory, shapes included, sorted."""
    return _ttl_files(bundled_dir("ontology"))


def shape_files() -> list[Path]:
    """Return the SHACL shapes files (``ontology/shapes.ttl``), or ``[]`` when absent."""
    shapes = bundled_dir("ontology") / SHAPES_FILE_NAME
    return [shapes] if shapes.is_file() else []


def data_files() -> list[Path]:
    """Return every ``*.ttl`` file under the data directory, recursively, sorted."""
    return _ttl_files(bundled_dir("data"))


def query_dir() -> Path:
    """Return the directory of the stored SPARQL queries."""
    return bundled_dir("queries")


def default_graph_files() -> list[Path]:
    """Return the files of the default graph: the ontology (without shapes) and the data."""
    shapes = set(shape_files())
    return [p for p in ontology_files() if p not in shapes] + data_files()


def checkout_root(start: Path | None = None) -> Path | None:
    """Return the nervegraph checkout containing ``start`` (default: the cwd), if any.

    A checkout is a directory with a ``pyproject.toml`` naming the ``nervegraph`` project.
    """
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = pyproject.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
            return directory if 'name = "nervegraph"' in text else None
    return None


def lint_targets() -> list[Path]:
    """Return the Turtle files ``nervegraph lint`` checks by default.

    These are the ``*.ttl`` files under ``ontology/`` and ``data/`` of the checkout the
    current directory is in, because those are the files a developer edits and
    ``lint --fix`` must rewrite; outside a checkout, the bundled copies.
    """
    root = checkout_root() or (REPO_ROOT if IN_CHECKOUT else None)
    if root is not None:
        return _ttl_files(root / "ontology") + _ttl_files(root / "data")
    return ontology_files() + data_files()
