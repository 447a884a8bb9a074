"""Bundled resource directories resolve, installed or from the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

import nervegraph
from nervegraph import resources


@pytest.mark.parametrize("name", ["ontology", "data", "queries"])
def test_bundled_dir_resolves(name: str, repo_root: Path) -> None:
    directory = resources.bundled_dir(name)
    installed = Path(nervegraph.__file__).resolve().parent / "_bundled" / name
    if resources.IN_CHECKOUT:
        assert directory in (installed, repo_root / name)
    else:
        assert directory == installed  # never a path next to site-packages


def test_installed_copy_matches_checkout(repo_root: Path) -> None:
    # A non-editable install (as in .ci/run) must carry the same Turtle files as the checkout.
    installed = Path(nervegraph.__file__).resolve().parent / "_bundled"
    if not installed.is_dir():
        pytest.skip("running from the checkout (editable install): nothing bundled to compare")
    for name in ("ontology", "data", "queries"):
        ours = sorted(
            p.relative_to(repo_root / name) for p in (repo_root / name).rglob("*") if p.is_file()
        )
        theirs = sorted(
            p.relative_to(installed / name) for p in (installed / name).rglob("*") if p.is_file()
        )
        assert theirs == ours, name


def test_file_lists_are_sorted_and_consistent() -> None:
    ontology = resources.ontology_files()
    data = resources.data_files()
    assert ontology == sorted(ontology)
    assert data == sorted(data)
    assert all(p.suffix == ".ttl" for p in ontology + data)
    shapes = resources.shape_files()
    assert all(p.name == "shapes.ttl" for p in shapes)
    default = resources.default_graph_files()
    assert not set(shapes) & set(default)
    assert set(default) == (set(ontology) - set(shapes)) | set(data)


def test_data_files_are_found_recursively(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "data" / "nested").mkdir(parents=True)
    for rel in ("b.ttl", "nested/a.ttl", "notes.md"):
        (tmp_path / "data" / rel).write_text("")
    monkeypatch.setattr(resources, "bundled_dir", lambda name: tmp_path / name)
    # project=None: the bundled files, whatever project the tests run in
    assert resources.data_files(None) == [
        tmp_path / "data" / "b.ttl",
        tmp_path / "data/nested/a.ttl",
    ]
    assert resources.ontology_files(None) == []
    assert resources.shape_files(None) == []


def test_lint_targets_are_the_projects_own_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # `nervegraph lint --fix` must rewrite the files a developer edits, not installed copies.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.nervegraph]\n')
    (tmp_path / "ontology").mkdir()
    (tmp_path / "data" / "x").mkdir(parents=True)
    for rel in ("ontology/a.ttl", "data/x/b.ttl", "data/c.txt"):
        (tmp_path / rel).write_text("")
    monkeypatch.delenv(resources.PROJECT_ENV, raising=False)
    monkeypatch.chdir(tmp_path / "data")
    project = resources.find_project()
    assert project is not None and project.root == tmp_path.resolve()
    assert resources.lint_targets() == [
        tmp_path.resolve() / "ontology/a.ttl",
        tmp_path.resolve() / "data/x/b.ttl",
    ]


def test_this_checkout_is_a_project(repo_root: Path) -> None:
    project = resources.find_project(repo_root / "src" / "nervegraph")
    assert project is not None
    assert project.root == repo_root.resolve()
    assert project.config.name == "pyproject.toml"
    assert (project.ontology, project.data, project.queries) == tuple(
        repo_root.resolve() / name for name in ("ontology", "data", "queries")
    )


def test_other_pyprojects_are_not_projects(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n')
    assert resources.find_project(tmp_path) is None
