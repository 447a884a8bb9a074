"""Projects: every command works on the project it is run in (resources.py, new-source).

Real files in temporary directories; the CLI through click's CliRunner, and through a
subprocess from a temporary working directory for the plain-install scenario (the
README's "copy a file into data/ after pip install ." that validate used to ignore).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from nervegraph import cli, resources
from nervegraph.rdf.load import load_graph
from nervegraph.sources.scaffold import find_headings, new_source
from nervegraph.vocab import NG

TEST_DATA = Path(__file__).resolve().parent / "data"
SECOND_TTL = TEST_DATA / "sources" / "second-article.ttl"
SECOND_TXT = TEST_DATA / "sources" / "second-article.txt"
FIRST_TTL = "pinched-nerve-muscle-spasms.ttl"


@pytest.fixture(autouse=True)
def _no_project_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(resources.PROJECT_ENV, raising=False)


def make_project(root: Path, config: str = "", *, first: bool = True) -> Path:
    """A project in ``root``: ``nervegraph.toml`` with ``config``, the bundled data file."""
    (root / "data").mkdir(parents=True)
    (root / resources.PROJECT_FILE).write_text(config, encoding="utf-8")
    if first:
        shutil.copy(resources.bundled_dir("data") / FIRST_TTL, root / "data" / FIRST_TTL)
    return root


def run(args: list[str], **kwargs: object):
    result = CliRunner().invoke(cli.main, args, catch_exceptions=False, **kwargs)
    return result


def triples_checked(output: str) -> int:
    # "conforms: 4234 triples checked against 65 shapes"
    return int(output.split("conforms: ", 1)[1].split()[0])


# ---------------------------------------------------------------- finding the project


def test_project_is_found_from_a_subdirectory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "proj", 'data = "graph"\nsources = "texts"\n', first=False)
    (root / "graph" / "deep").mkdir(parents=True)
    monkeypatch.chdir(root / "graph" / "deep")
    project = resources.current_project()
    assert project is not None
    assert project.root == root.resolve()
    assert project.config == (root / "nervegraph.toml").resolve()
    assert project.data == root.resolve() / "graph"
    assert project.sources == root.resolve() / "texts"
    assert project.ontology == root.resolve() / "ontology"  # the default
    assert resources.source_dirs() == [root.resolve() / "texts"]


def test_pyproject_table_declares_a_project_and_nervegraph_toml_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "mine"\n\n[tool.nervegraph]\ndata = "rdf"\n', encoding="utf-8"
    )
    (tmp_path / "sub").mkdir()
    project = resources.find_project(tmp_path / "sub")
    assert project is not None and project.data == tmp_path.resolve() / "rdf"
    (tmp_path / "nervegraph.toml").write_text('data = "other"\n', encoding="utf-8")
    project = resources.find_project(tmp_path / "sub")
    assert project is not None and project.config.name == "nervegraph.toml"
    assert project.data == tmp_path.resolve() / "other"


def test_project_option_and_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = make_project(tmp_path / "a", first=False)
    b = make_project(tmp_path / "b", first=False)
    shutil.copy(SECOND_TTL, b / "data" / "second.ttl")  # not canonical: lint tells them apart
    monkeypatch.chdir(a)
    assert run(["lint"]).exit_code == 0  # a: no Turtle files at all
    result = run(["--project", str(b), "lint"])
    assert result.exit_code == 1 and str(b.resolve() / "data" / "second.ttl") in result.output
    # pinned for that run only: nothing leaks into the process afterwards
    assert resources.PROJECT_ENV not in os.environ
    assert resources.current_project().root == a.resolve()
    monkeypatch.setenv(resources.PROJECT_ENV, str(b))
    assert resources.current_project().root == b.resolve()
    assert run(["lint"]).exit_code == 1
    assert run(["--project", str(a), "lint"]).exit_code == 0  # the option beats the variable
    assert os.environ[resources.PROJECT_ENV] == str(b)  # restored, not dropped
    # a library caller pins a project for a block
    with resources.using_project(resources.project_at(a)):
        assert resources.data_dir() == a.resolve() / "data"
    with resources.using_project(None):
        assert resources.data_files() == resources.data_files(None)


def test_project_option_must_name_a_project(tmp_path: Path) -> None:
    result = run(["--project", str(tmp_path), "validate"])
    assert result.exit_code == 2
    assert f"error: {tmp_path}: not a nervegraph project" in result.output


@pytest.mark.parametrize(
    ("config", "line", "message"),
    [
        ('data = "data"\ndata = "x"\n', "2:11", "invalid TOML: Cannot overwrite a value"),
        ("ontology = [1\n", "1", "invalid TOML: Unclosed array"),
        ('data = "data"\nontology = 3\n', "2", "'ontology' must be a non-empty path"),
        ('\n\ninclude_bundled_ontology = "yes"\n', "3", "must be true or false"),
        ('queries = "q"\ndta = "d"\n', "2", "unknown key 'dta'"),
    ],
)
def test_broken_project_file_is_exit_2_with_path_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, line: str, message: str
) -> None:
    (tmp_path / "nervegraph.toml").write_text(config, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for command in (["validate"], ["queries"], ["lint"]):
        result = run(command)
        assert result.exit_code == 2, command
        assert result.output.startswith(f"error: {tmp_path.resolve() / 'nervegraph.toml'}:{line}:")
        assert message in result.output


def test_broken_pyproject_table_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.nervegraph]\ndata = "d"\nbogus = true\n',
        encoding="utf-8",
    )
    result = run(["--project", str(tmp_path), "lint"])
    assert result.exit_code == 2
    assert f"{tmp_path.resolve() / 'pyproject.toml'}:6: unknown key 'bogus'" in result.output


def test_outside_any_project_the_bundled_graph_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resources.current_project() is None
    assert resources.default_graph_files() == resources.default_graph_files(None)
    assert resources.data_dir() == resources.bundled_dir("data")
    assert resources.query_dir() == resources.bundled_dir("queries")
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    result = run(["query", "-", "-f", "csv"], input=count)
    assert result.exit_code == 0, result.output
    assert int(result.output.split()[1]) == len(load_graph(resources.default_graph_files(None)))


# ---------------------------------------------------------------- combining with the bundled


def test_project_parts_fall_back_to_the_bundled_ones(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", first=False)
    project = resources.project_at(root)
    bundled_ontology = resources.bundled_dir("ontology")
    assert resources.data_files(project) == []  # data: never the bundled data
    assert resources.shape_files(project) == [bundled_ontology / "shapes.ttl"]
    assert resources.vocabulary_files(project) == resources.vocabulary_files(None)
    assert resources.query_dir(project) == resources.bundled_dir("queries")
    assert resources.lint_targets(project) == []  # never the bundled copies
    # own vocabulary and queries replace the bundled ones; shapes still fall back
    (root / "ontology").mkdir()
    shutil.copy(bundled_ontology / "nervegraph.ttl", root / "ontology" / "nervegraph.ttl")
    (root / "queries").mkdir()
    (root / "queries" / "mine.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n")
    assert resources.vocabulary_files(project) == [root.resolve() / "ontology/nervegraph.ttl"]
    assert resources.shape_files(project) == [bundled_ontology / "shapes.ttl"]
    assert resources.query_dir(project) == root.resolve() / "queries"
    assert "(bundled shapes)" in resources.describe(project)
    # without the fallback a missing part is empty
    (root / "nervegraph.toml").write_text("include_bundled_ontology = false\n")
    alone = resources.project_at(root)
    assert resources.shape_files(alone) == []
    (root / "queries" / "mine.rq").unlink()
    assert resources.query_dir(alone) == root.resolve() / "queries"


# ---------------------------------------------------------------- a data file added


def test_a_data_file_added_to_the_project_is_seen_by_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "proj")
    (root / "sources").mkdir()
    monkeypatch.chdir(root / "data")
    before = run(["validate"])
    assert before.exit_code == 0, before.output
    assert "cramps in the calf" not in run(["query", "symptoms"]).output

    shutil.copy(SECOND_TTL, root / "data" / "second.ttl")
    shutil.copy(SECOND_TXT, root / "sources" / "second-article.txt")

    after = run(["validate"])
    assert after.exit_code == 0, after.output
    added = len(rdflib.Graph().parse(SECOND_TTL))
    assert triples_checked(after.output) > triples_checked(before.output)
    assert triples_checked(after.output) <= triples_checked(before.output) + added
    query = run(["query", "symptoms"])
    assert query.exit_code == 0 and "cramps in the calf" in query.output
    exported = run(["export", "-f", "nt"])
    assert exported.exit_code == 0 and "/entity/calf-cramps>" in exported.output
    linted = run(["lint"])  # the copy is not canonical
    assert linted.exit_code == 1
    assert f"not canonical: {root.resolve() / 'data' / 'second.ttl'}" in linted.output
    checked = run(["check-sources", "-f", "json"])
    assert checked.exit_code == 0, checked.output
    sources = {s["article"]: s for s in json.loads(checked.output)["sources"]}
    second = sources["ngsrc:second-article"]
    assert second["checked"] and second["sha256_ok"]
    assert second["text_path"] == str(root.resolve() / "sources" / "second-article.txt")


@pytest.mark.slow
def test_plain_install_scenario_from_a_temporary_directory(tmp_path: Path) -> None:
    """The README after `pip install .`: a file copied into data/ is validated and queried."""
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "my-graph"\n\n[tool.nervegraph]\n', encoding="utf-8"
    )
    (root / "data").mkdir()
    shutil.copy(resources.bundled_dir("data") / FIRST_TTL, root / "data" / FIRST_TTL)
    (root / "work").mkdir()
    env = {k: v for k, v in os.environ.items() if k != resources.PROJECT_ENV}

    def nervegraph(*args: str, cwd: Path = root / "work") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "nervegraph.cli", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    before = nervegraph("-v", "validate")
    assert before.returncode == 0, before.stderr
    assert f"project {root.resolve()} (pyproject.toml): 3 ontology files, 1 data files" in (
        before.stderr
    )
    shutil.copy(TEST_DATA / "valid" / "minimal-article.ttl", root / "data" / "second.ttl")
    after = nervegraph("-v", "validate")
    assert after.returncode == 0, after.stdout + after.stderr
    assert "2 data files" in after.stderr
    assert triples_checked(after.stdout) > triples_checked(before.stdout)
    found = nervegraph("query", "evidence-for-entity", "-p", "entity=slipped disc", "-f", "csv")
    assert found.returncode == 0, found.stderr
    assert "A slipped disc often pinches a nerve." in found.stdout
    # elsewhere: the bundled graph, and -v says so
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    bundled = nervegraph("-v", "queries", cwd=outside)
    assert bundled.returncode == 0
    assert f"bundled graph (no project found from {outside.resolve()})" in bundled.stderr
    # the variable picks the project from anywhere; a broken project file is exit 2
    env[resources.PROJECT_ENV] = str(root)
    assert "2 data files" in nervegraph("-v", "queries", cwd=outside).stderr
    (root / "pyproject.toml").write_text("[tool.nervegraph]\ndata = [1\n", encoding="utf-8")
    broken = nervegraph("validate", cwd=outside)
    assert broken.returncode == 2
    assert broken.stderr.startswith(f"error: {root.resolve() / 'pyproject.toml'}:2:")


# ---------------------------------------------------------------- new-source


def test_headings_of_the_bundled_article_are_recognised(source_text: str) -> None:
    graph = rdflib.Graph().parse(resources.bundled_dir("data") / FIRST_TTL)
    sections = sorted(
        (int(graph.value(s, rdflib.URIRef(NG + "sectionIndex"))), str(heading))
        for s, heading in graph.subject_objects(rdflib.URIRef(NG + "heading"))
    )
    assert find_headings(source_text) == [heading for _index, heading in sections]


def test_heading_rule() -> None:
    text = (
        "A Title Line\n\nIntro sentence.\n\nWhat It Is\n\nBody line\nwith two lines\n\n"
        "  • A Bullet Without A Stop\n\nIs this a question in sentence case?\n\n"
        "Is This A Heading?\n\nThese include:\n\n2024\n"
    )
    assert find_headings(text) == ["A Title Line", "What It Is", "Is This A Heading?"]
    assert find_headings("just one paragraph\nof prose.\n") == ["just one paragraph"]


def test_new_source_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path / "proj", first=False)
    incoming = tmp_path / "inbox" / "Slipped Discs.txt"
    incoming.parent.mkdir()
    shutil.copy(SECOND_TXT, incoming)
    monkeypatch.chdir(root)
    made = run(["new-source", str(incoming), "--title", "Slipped discs and leg cramps"])
    assert made.exit_code == 0, made.output
    data_file = root.resolve() / "data" / "slipped-discs.ttl"
    text_copy = root.resolve() / "sources" / "Slipped Discs.txt"
    assert text_copy.read_bytes() == SECOND_TXT.read_bytes()
    graph = rdflib.Graph().parse(data_file)
    headings = sorted(
        (int(graph.value(s, rdflib.URIRef(NG + "sectionIndex"))), str(h))
        for s, h in graph.subject_objects(rdflib.URIRef(NG + "heading"))
    )
    assert headings == [(1, "Slipped Discs and Leg Cramps"), (2, "What Happens")]
    assert "ngsrc:slipped-discs.what-happens" in data_file.read_text(encoding="utf-8")
    assert run(["lint"]).exit_code == 0  # canonical as written
    validated = run(["validate"])
    assert validated.exit_code == 0, validated.output  # conforms without any statement
    checked = run(["check-sources", "-f", "json"])
    report = json.loads(checked.output)
    (article,) = report["sources"]
    assert article["checked"] and article["sha256_ok"] and article["problems"] == []
    # no statement cites the text yet: only the coverage fails
    assert checked.exit_code == 1
    assert [f for f in report["failures"] if "fact-stating sentences cited" not in f] == []
    assert run(["check-sources", "--min-coverage", "0"]).exit_code == 0
    # never overwrites; refuses the same text under another slug
    again = run(["new-source", str(incoming)])
    assert again.exit_code == 2 and "already exists" in again.output
    other = run(["new-source", str(incoming), "--slug", "other"])
    assert other.exit_code == 2 and "same SHA-256" in other.output
    assert not (root / "data" / "other.ttl").exists()


def test_new_source_needs_a_project_and_a_good_slug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(["new-source", str(SECOND_TXT)])
    assert result.exit_code == 2 and "no nervegraph project found" in result.output
    root = make_project(tmp_path / "proj", first=False)
    result = run(["--project", str(root), "new-source", str(SECOND_TXT), "--slug", "Bad Slug"])
    assert result.exit_code == 2 and "slug 'Bad Slug'" in result.output
    (root / "sources").mkdir()
    (root / "sources" / SECOND_TXT.name).write_text("another text\n")
    result = run(["--project", str(root), "new-source", str(SECOND_TXT)])
    assert result.exit_code == 2 and "another file of that name" in result.output
    assert list((root / "data").iterdir()) == []


def test_new_source_library_takes_an_explicit_project(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", 'data = "graph"\nsources = "texts"\n', first=False)
    report = new_source(SECOND_TXT, project=resources.project_at(root))
    assert report.data_file == root.resolve() / "graph" / "second-article.ttl"
    assert report.text_file == root.resolve() / "texts" / "second-article.txt"
    assert report.copied and [h for _iri, h in report.sections] == [
        "Slipped Discs and Leg Cramps",
        "What Happens",
    ]
