"""Start-up: ``--help``, ``queries`` and a cold ``query`` do not import rdflib or pySHACL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("rdflib", "pyshacl", "pyshacl_turbo", "oxrdflib")

PROBE = """
import json, sys
watched = set(json.loads(sys.argv[2]))
sys.argv = ["nervegraph", *json.loads(sys.argv[1])]
from nervegraph.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & watched)
sys.__stdout__.write("\\nLOADED " + json.dumps(heavy) + "\\n")
"""


def loaded(args: list[str], env: dict[str, str] | None = None) -> list[str]:
    """Run the CLI with ``args`` in a fresh interpreter; return the heavy modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("LOADED ")]
    assert line, done.stderr
    return json.loads(line[-1][len("LOADED ") :])


@pytest.mark.parametrize(
    "args", [["--help"], ["queries"], ["queries", "--format", "json"], ["query", "--help"]]
)
def test_light_commands_do_not_import_rdflib(args: list[str]) -> None:
    assert loaded(args) == []


def test_import_changes_no_global_state() -> None:
    code = (
        "import sys, logging; n = len(logging.getLogger('rdflib.term').filters); "
        "import nervegraph, nervegraph.rdf.load, nervegraph.queries.run, "
        "nervegraph.shacl.validate; import rdflib.plugins.sparql as s; "
        "print(s.SPARQL_LOAD_GRAPHS, len(logging.getLogger('rdflib.term').filters) == n)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]


def test_import_nervegraph_is_light() -> None:
    code = "import sys, nervegraph; print(sorted(m for m in sys.modules if m.startswith('rdflib')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_cli_report_formats_match_the_library() -> None:
    from nervegraph import cli
    from nervegraph.shacl import validate

    assert cli.REPORT_FORMATS == validate.REPORT_FORMATS
