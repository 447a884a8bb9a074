"""Which files make up the graph: the current project's, or the bundled ones.

Every command works on the **project** it is run in. A project is a directory holding
a ``nervegraph.toml``, or a ``pyproject.toml`` with a ``[tool.nervegraph]`` table (this
repository is one). The keys, all optional, paths relative to the project root::

    ontology = "ontology"            # vocabulary *.ttl and shapes.ttl
    data = "data"                    # the graph's data: every *.ttl below it
    queries = "queries"              # stored SPARQL queries (*.rq)
    sources = "sources"              # the articles' text files
    include_bundled_ontology = true  # fall back to the bundled ontology/shapes/queries

Which project (first match wins): the one pinned with :func:`using_project` (the CLI's
``nervegraph --project DIR`` pins it for one command run); else ``$NERVEGRAPH_PROJECT``
(a project directory or its config file); else the nearest directory, from the current
directory upwards, with a ``nervegraph.toml`` or a ``pyproject.toml`` that has a
``[tool.nervegraph]`` table (``nervegraph.toml`` wins in a directory holding both; a
``pyproject.toml`` without the table is passed over). Outside any project: the bundled
graph.

How a project's directories combine with the bundled ones (each part separately):

- **data**: the project's data directory *only*; never the bundled data.
- **vocabulary** (``ontology/*.ttl`` except ``shapes.ttl``): the project's when its
  ontology directory holds any, else the bundled vocabulary.
- **shapes** (``ontology/shapes.ttl``): the project's when it exists, else the bundled.
- **queries**: the project's queries directory when it holds any ``*.rq``, else the
  bundled queries.
- With ``include_bundled_ontology = false`` there is no fallback: a part the project
  lacks is empty.

The bundled files: a wheel carries them as ``nervegraph/_bundled/<name>`` (see
``hatch_build.py``); an editable install or a plain checkout reads the top-level
directories of the repository.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nervegraph.errors import InputError

PACKAGE_DIR = Path(__file__).resolve().parent
#: The checkout root when running from ``src/`` (editable install, tests in the repo).
REPO_ROOT = PACKAGE_DIR.parents[1]
#: True when this module is imported from a source checkout, not from site-packages.
IN_CHECKOUT = PACKAGE_DIR.parent.name == "src" and (REPO_ROOT / "pyproject.toml").is_file()

SHAPES_FILE_NAME = "shapes.ttl"
#: A project's own configuration file.
PROJECT_FILE = "nervegraph.toml"
#: ``pyproject.toml``, which declares a project with a ``[tool.nervegraph]`` table.
PYPROJECT_FILE = "pyproject.toml"
#: Environment variable naming the project (a directory or its configuration file).
PROJECT_ENV = "NERVEGRAPH_PROJECT"

#: The configuration keys naming directories, with their defaults.
DIR_KEYS = {"ontology": "ontology", "data": "data", "queries": "queries", "sources": "sources"}
_BOOL_KEYS = {"include_bundled_ontology": True}


@dataclass(frozen=True)
class Project:
    """A nervegraph project: where its ontology, data, queries and source texts are.

    Attributes:
        root: the project directory.
        config: the file that declares it (``nervegraph.toml`` or ``pyproject.toml``).
        ontology: the project's ontology directory (it may not exist).
        data: the project's data directory (it may not exist).
        queries: the project's stored-queries directory (it may not exist).
        sources: the directory holding the articles' text files (it may not exist).
        include_bundled_ontology: fall back to the bundled vocabulary, shapes and
            queries for the parts the project lacks.
    """

    root: Path
    config: Path
    ontology: Path
    data: Path
    queries: Path
    sources: Path
    include_bundled_ontology: bool = True


#: The project pinned for this context by :func:`using_project` (unset: not pinned).
_PINNED: contextvars.ContextVar[Project | None] = contextvars.ContextVar("nervegraph_project")


class _Current:
    """The type of :data:`CURRENT`."""

    def __repr__(self) -> str:
        return "CURRENT"


#: Default of the ``project`` arguments below: the current project (:func:`current_project`).
CURRENT = _Current()


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


# ---------------------------------------------------------------- finding the project


def _line_of(text: str, key: str, header: str | None) -> int | None:
    """The 1-based line where ``key`` is set (after the table ``header``, when given)."""
    lines = text.splitlines()
    start = 0
    if header is not None:
        pattern = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, header.split("."))))
        start = next((i for i, line in enumerate(lines) if pattern.match(line)), 0)
    name = r"(?:" + re.escape(key) + r'|"' + re.escape(key) + r'")'
    # `key = ...`, `key.sub = ...` or a table header `[key]`, `[key.sub]`
    key_re = re.compile(r"^\s*(?:" + name + r"\s*[=.]|\[+\s*" + name + r"\s*[\].])")
    for i in range(start, len(lines)):
        if key_re.match(lines[i]):
            return i + 1
    return start + 1 if header is not None else None


def _read_toml(path: Path) -> tuple[dict[str, object], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)$", message)
        if message.endswith("(at end of document)"):
            what = message.removesuffix("(at end of document)").strip()
            last = max(1, len(text.splitlines()))
            raise InputError(
                path, f"invalid TOML: {what} at the end of the file", line=last
            ) from None
        if where:
            raise InputError(
                path,
                "invalid TOML: " + message[: where.start()].strip(),
                line=int(where.group(1)),
                column=int(where.group(2)),
            ) from None
        raise InputError(path, f"invalid TOML: {message}") from None


def _project_table(path: Path) -> tuple[dict[str, object], str, str | None] | None:
    """``(table, text, header)`` of the project settings in ``path``; None: not a project."""
    data, text = _read_toml(path)
    if path.name != PYPROJECT_FILE:
        return data, text, None
    tool = data.get("tool")
    if not isinstance(tool, dict) or "nervegraph" not in tool:
        return None
    table = tool["nervegraph"]
    if not isinstance(table, dict):
        line = _line_of(text, "nervegraph", "tool") or 1
        raise InputError(path, "[tool.nervegraph] must be a table", line=line)
    return table, text, "tool.nervegraph"


def _project_from_config(path: Path) -> Project | None:
    """Read the project that the configuration file ``path`` declares (None: it does not)."""
    found = _project_table(path)
    if found is None:
        return None
    table, text, header = found
    where = f"[{header}]" if header else PROJECT_FILE
    root = path.parent.resolve()
    dirs: dict[str, Path] = {}
    for key, value in table.items():
        line = _line_of(text, key, header)
        if key in DIR_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise InputError(
                    path, f"{key!r} must be a non-empty path (a string), not {value!r}", line=line
                )
            dirs[key] = root / value
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise InputError(path, f"{key!r} must be true or false, not {value!r}", line=line)
        else:
            known = ", ".join([*DIR_KEYS, *_BOOL_KEYS])
            raise InputError(path, f"unknown key {key!r} in {where} (known: {known})", line=line)
    for key, default in DIR_KEYS.items():
        dirs.setdefault(key, root / default)
    include = table.get("include_bundled_ontology", _BOOL_KEYS["include_bundled_ontology"])
    return Project(root=root, config=path.resolve(), include_bundled_ontology=bool(include), **dirs)


def find_project(start: str | Path | None = None) -> Project | None:
    """Return the project containing ``start`` (default: the current directory), if any.

    Walks up from ``start``: the first directory holding a ``nervegraph.toml``, or a
    ``pyproject.toml`` with a ``[tool.nervegraph]`` table, is the project.

    Raises:
        InputError: a configuration file on the way is not valid TOML or has a bad key
            (``path:line: what is wrong``).
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in (PROJECT_FILE, PYPROJECT_FILE):
            config = directory / name
            if config.is_file():
                project = _project_from_config(config)
                if project is not None:
                    return project
    return None


def project_at(path: str | Path) -> Project:
    """Return the project of the directory ``path`` (or of its configuration file ``path``).

    Unlike :func:`find_project` this does not walk up: ``path`` itself must be a project.

    Raises:
        InputError: ``path`` does not exist, is no project, or its configuration is bad.
    """
    given = Path(path)
    if given.is_file():
        candidates = [given]
    elif given.is_dir():
        candidates = [given / PROJECT_FILE, given / PYPROJECT_FILE]
    else:
        raise InputError(given, "project directory not found")
    for config in candidates:
        if config.is_file():
            project = _project_from_config(config)
            if project is not None:
                return project
    raise InputError(
        given,
        f"not a nervegraph project (no {PROJECT_FILE}, and no {PYPROJECT_FILE} with a "
        "[tool.nervegraph] table)",
    )


def current_project() -> Project | None:
    """Return the project commands work on now, or None for the bundled graph.

    The pinned one (:func:`using_project`), else ``$NERVEGRAPH_PROJECT``'s, else the
    one found from the current directory (:func:`find_project`).
    """
    try:
        return _PINNED.get()
    except LookupError:
        pass
    named = os.environ.get(PROJECT_ENV, "").strip()
    if named:
        return project_at(named)
    return find_project()


@contextlib.contextmanager
def using_project(project: Project | None) -> Iterator[Project | None]:
    """Make ``project`` (None: the bundled graph) the current project inside the block.

    The choice is held in a context variable, so it is undone on exit and does not leak
    into other threads' contexts. While a project is pinned, ``$NERVEGRAPH_PROJECT``
    names it too, so that worker processes and threads the block starts (which do not
    inherit context variables) see the same project; the variable is restored on exit.
    """
    token = _PINNED.set(project)
    saved = os.environ.get(PROJECT_ENV)
    if project is not None:
        os.environ[PROJECT_ENV] = str(project.config)
    try:
        yield project
    finally:
        _PINNED.reset(token)
        if project is not None:
            if saved is None:
                os.environ.pop(PROJECT_ENV, None)
            else:
                os.environ[PROJECT_ENV] = saved


# ---------------------------------------------------------------- the files


def _ttl_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*.ttl") if p.is_file())


def _vocabulary_in(directory: Path) -> list[Path]:
    return [p for p in _ttl_files(directory) if p != directory / SHAPES_FILE_NAME]


def _has_queries(directory: Path) -> bool:
    return directory.is_dir() and any(p.is_file() for p in directory.rglob("*.rq"))


def _resolve(project: Project | None | _Current) -> Project | None:
    return current_project() if isinstance(project, _Current) else project


def vocabulary_files(project: Project | None | _Current = CURRENT) -> list[Path]:
    """Return the ontology files without the shapes, sorted (see the module's rules).

    Args:
        project: the project (``None``: the bundled files); default: the current one.
    """
    project = _resolve(project)
    if project is not None:
        own = _vocabulary_in(project.ontology)
        if own or not project.include_bundled_ontology:
            return own
    return _vocabulary_in(bundled_dir("ontology"))


def shape_files(project: Project | None | _Current = CURRENT) -> list[Path]:
    """Return the SHACL shapes files (``ontology/shapes.ttl``), or ``[]`` when absent."""
    project = _resolve(project)
    candidates = []
    if project is not None:
        candidates.append(project.ontology / SHAPES_FILE_NAME)
    if project is None or project.include_bundled_ontology:
        candidates.append(bundled_dir("ontology") / SHAPES_FILE_NAME)
    return next(([p] for p in candidates if p.is_file()), [])


def ontology_files(project: Project | None | _Current = CURRENT) -> list[Path]:
    """Return the vocabulary files and the shapes file, sorted."""
    project = _resolve(project)
    return sorted(vocabulary_files(project) + shape_files(project))


def data_dir(project: Project | None | _Current = CURRENT) -> Path:
    """Return the data directory: the project's, or the bundled one outside any project."""
    project = _resolve(project)
    return project.data if project is not None else bundled_dir("data")


def data_files(project: Project | None | _Current = CURRENT) -> list[Path]:
    """Return every ``*.ttl`` file under the data directory, recursively, sorted."""
    return _ttl_files(data_dir(project))


def query_dir(project: Project | None | _Current = CURRENT) -> Path:
    """Return the directory of the stored SPARQL queries (see the module's rules)."""
    project = _resolve(project)
    if project is not None:
        if _has_queries(project.queries) or not project.include_bundled_ontology:
            return project.queries
    return bundled_dir("queries")


def source_dirs(project: Project | None | _Current = CURRENT) -> list[Path]:
    """Return the directories holding the project's article texts (``[]``: no project)."""
    project = _resolve(project)
    return [project.sources] if project is not None else []


def default_graph_files(project: Project | None | _Current = CURRENT) -> list[Path]:
    """Return the files of the default graph: the vocabulary (no shapes) and the data."""
    project = _resolve(project)
    return vocabulary_files(project) + data_files(project)


def lint_targets(project: Project | None | _Current = CURRENT) -> list[Path]:
    """Return the Turtle files ``nervegraph lint`` checks by default.

    In a project: the ``*.ttl`` files of its own ontology and data directories (the
    files its authors edit and ``lint --fix`` may rewrite; never the bundled copies it
    falls back to). Outside any project: the bundled files.
    """
    project = _resolve(project)
    if project is not None:
        return _ttl_files(project.ontology) + _ttl_files(project.data)
    return ontology_files(None) + data_files(None)


def describe(project: Project | None | _Current = CURRENT) -> str:
    """One line saying which graph and files are used (what ``nervegraph -v`` logs).

    ``project /x/y (nervegraph.toml): 3 ontology files, 2 data files, 53 queries`` or
    ``bundled graph (no project found from /cwd): ...``.
    """
    project = _resolve(project)
    queries = query_dir(project)
    n_queries = sum(1 for p in queries.rglob("*.rq") if p.is_file()) if queries.is_dir() else 0
    counts = (
        f"{len(ontology_files(project))} ontology files, {len(data_files(project))} data "
        f"files, {n_queries} queries"
    )
    if project is None:
        return f"bundled graph (no project found from {Path.cwd()}): {counts}"
    parts = []
    if project.include_bundled_ontology:
        if not _vocabulary_in(project.ontology):
            parts.append("vocabulary")
        if not (project.ontology / SHAPES_FILE_NAME).is_file():
            parts.append("shapes")
        if not _has_queries(project.queries):
            parts.append("queries")
    bundled = f" (bundled {', '.join(parts)})" if parts else ""
    return f"project {project.root} ({project.config.name}): {counts}{bundled}"
