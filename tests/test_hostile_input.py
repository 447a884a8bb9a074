"""Broken and hostile input files: every one is a clean InputError with a line, fast.

* ``tests/data/malformed/`` holds hand-written broken files; ``MANIFEST.tsv`` names
  what is broken in each and the line (counted by hand) the error must point at.
* Huge literals and IRIs are generated at test time (no MBs in the repository).
* Hypothesis mutates the real ``data/`` files (byte deletions, insertions, truncation).
* A sample goes through the installed ``nervegraph validate`` in a subprocess with a
  timeout: exit 2, ``error: path:line[:col]: message``, no traceback.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nervegraph import cli
from nervegraph.errors import InputError
from nervegraph.rdf.guards import get_limits
from nervegraph.rdf.load import load_graph, parse_file

MALFORMED = Path(__file__).parent / "data" / "malformed"
REPO = Path(__file__).resolve().parents[1]
#: seconds any one file may take to be refused
FAST = 5.0


def manifest() -> list[dict[str, str]]:
    with (MALFORMED / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


CASES = manifest()


def test_corpus_is_complete() -> None:
    listed = {row["file"] for row in CASES}
    on_disk = {p.name for p in MALFORMED.iterdir() if p.name != "MANIFEST.tsv"}
    assert listed == on_disk
    assert len(listed) >= 60


@pytest.mark.parametrize("row", CASES, ids=lambda row: row["file"])
def test_malformed_file_is_a_clean_error_at_the_right_line(row: dict[str, str]) -> None:
    path = MALFORMED / row["file"]
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        load_graph([path], include_ontology=False)
    elapsed = time.monotonic() - started
    err = caught.value
    assert err.path == path
    assert err.line == int(row["expected line"]), f"{err} ({row['what is broken']})"
    assert err.column is None or err.column >= 1
    assert str(err).startswith(f"{path}:{err.line}")
    assert err.message.strip()
    assert elapsed < FAST


SAMPLE = [
    "ttl-deep-list-300.ttl",
    "ttl-iri-with-space.ttl",
    "ttl-trig-content.ttl",
    "nt-relative-iri.nt",
    "rdf-billion-laughs.rdf",
    "jsonld-remote-context.jsonld",
    "ttl-empty.ttl",
    "ttl-nul-byte.ttl",
]


def _cli() -> list[str]:
    beside = Path(sys.executable).with_name("nervegraph")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "nervegraph.cli"]


def _assert_clean_exit_2(name: str, code: int, stdout: str, stderr: str) -> None:
    lines = {row["file"]: row["expected line"] for row in CASES}
    path = MALFORMED / name
    assert code == 2, (name, stdout, stderr)
    assert "Traceback" not in stdout + stderr
    expected = re.escape(f"error: {path}:{lines[name]}") + r"(:\d+)?: \S"
    assert re.match(expected, stderr), stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


@pytest.mark.parametrize("name", SAMPLE)
def test_cli_validate_sample_exits_2_with_position(name: str) -> None:
    """``nervegraph validate FILE``: exit 2 and one ``error: path:line`` line, in-process."""
    result = CliRunner().invoke(cli.main, ["validate", str(MALFORMED / name)])
    _assert_clean_exit_2(name, result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("name", ["rdf-billion-laughs.rdf", "ttl-nul-byte.ttl"])
def test_installed_cli_validate_exits_2_with_position(name: str) -> None:
    """The installed CLI as a real process (with a timeout) on two of the nastiest files."""
    proc = subprocess.run(
        [*_cli(), "validate", str(MALFORMED / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    _assert_clean_exit_2(name, proc.returncode, proc.stdout, proc.stderr)


# ------------------------------------------------------------------ generated giants


def _huge(n: int) -> str:
    return "x" * n


@pytest.mark.parametrize(
    ("suffix", "template"),
    [
        (".ttl", '@prefix ex: <http://example.org/> .\nex:a ex:p "{big}" .\n'),
        (".ttl", '@prefix ex: <http://example.org/> .\nex:a ex:p """{big}""" .\n'),
        (".nt", '<http://example.org/a> <http://example.org/p> "{big}" .\n'),
        (".nq", '<http://example.org/a> <http://example.org/p> "{big}" <http://example.org/g> .\n'),
        (
            ".trig",
            '<http://example.org/g> {{ <http://example.org/a> <http://example.org/p> "{big}" .'
            " }}\n",
        ),
        (".ttl", "<http://example.org/a> <http://example.org/p> <http://example.org/{big}> .\n"),
        (".jsonld", '{{"@id": "http://example.org/a", "http://example.org/p": "{big}"}}\n'),
        (
            ".rdf",
            '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
            '22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n<rdf:Description '
            'rdf:about="http://example.org/a"><ex:p>{big}</ex:p></rdf:Description></rdf:RDF>\n',
        ),
    ],
)
def test_huge_term_is_refused_quickly(tmp_path: Path, suffix: str, template: str) -> None:
    limit = get_limits().max_term_chars
    path = tmp_path / f"huge{suffix}"
    path.write_text(template.format(big=_huge(limit + 10)), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputError, match="max_term_chars") as caught:
        parse_file(path)
    assert caught.value.line is not None
    assert time.monotonic() - started < FAST


def test_literal_just_under_the_limit_loads_in_linear_time(tmp_path: Path) -> None:
    """The N-Triples parser of rdflib is quadratic (1 MB: 3.4 s); we read .nt as Turtle."""
    path = tmp_path / "big.nt"
    size = get_limits().max_term_chars - 10
    path.write_text(
        f'<http://example.org/a> <http://example.org/p> "{_huge(size)}" .\n', encoding="utf-8"
    )
    started = time.monotonic()
    graph = parse_file(path)
    assert len(graph) == 1
    assert time.monotonic() - started < 2.0


def test_depth_at_the_limit_loads(tmp_path: Path) -> None:
    depth = get_limits().max_depth
    path = tmp_path / "deep-ok.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:p "
        + "[ ex:p " * depth
        + "1"
        + " ]" * depth
        + " .\n",
        encoding="utf-8",
    )
    assert len(parse_file(path)) == depth + 1


def test_ordinary_xml_entities_still_load(tmp_path: Path) -> None:
    """Protégé writes ``<!ENTITY owl "…">`` abbreviations: those are fine."""
    path = tmp_path / "entities.rdf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n  <!ENTITY ex "http://example.org/">\n]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="http://example.org/">\n'
        '  <rdf:Description rdf:about="&ex;a"><ex:p>x</ex:p></rdf:Description>\n</rdf:RDF>\n',
        encoding="utf-8",
    )
    assert len(parse_file(path)) == 1


# ------------------------------------------------------------------ mutation


def _real_files() -> list[Path]:
    files = sorted((REPO / "data").rglob("*.ttl"))
    assert files
    return files


def _excerpt(path: Path, limit: int = 12_000) -> bytes:
    """The first ``limit`` bytes of a real file, cut at a blank line (still valid Turtle)."""
    raw = path.read_bytes()
    if len(raw) <= limit:
        return raw
    cut = raw.rfind(b"\n\n", 0, limit)
    return raw[: cut + 1]


EXCERPTS = [(p.name, _excerpt(p)) for p in _real_files()]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    name, raw = draw(st.sampled_from(EXCERPTS))
    kind = draw(st.sampled_from(["delete", "insert", "truncate", "replace"]))
    at = draw(st.integers(0, len(raw) - 1))
    if kind == "delete":
        n = draw(st.integers(1, 8))
        raw = raw[:at] + raw[at + n :]
    elif kind == "insert":
        junk = draw(
            st.one_of(
                st.binary(min_size=1, max_size=6),
                st.sampled_from([b'"', b"<", b">", b"[", b"(", b"{", b"\\", b"\x00", b"@", b";"]),
            )
        )
        raw = raw[:at] + junk + raw[at:]
    elif kind == "truncate":
        raw = raw[:at]
    else:
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    return name, raw


@settings(
    max_examples=60,
    deadline=FAST * 1000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=mutations())
def test_mutated_real_data_never_crashes(tmp_path: Path, case: tuple[str, bytes]) -> None:
    name, raw = case
    path = tmp_path / name
    path.write_bytes(raw)
    try:
        graph = parse_file(path)
    except InputError as err:
        assert err.line is not None and 1 <= err.line <= raw.count(b"\n") + 2, str(err)
        assert err.message.strip()
    else:
        assert len(graph) > 0
