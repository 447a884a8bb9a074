"""The performance benchmark runs end to end (one article), as docs/performance.md tells users to.

Not a timed test: it checks that every measurement produced a number on both engines and
that the report lists every stored query, so a crashed worker or a query the benchmark
skipped shows up as a failure instead of a quietly shorter table. Hence the smallest run
that exercises every part: one article, each start-up command once (``--repeat 1``),
shared by all the tests below (about 15 s, most of it pySHACL validating the article).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nervegraph.queries.catalogue import StoredQuery

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench_perf.py"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    work = tmp_path_factory.mktemp("bench")
    output = work / "perf.md"
    if not Path(sys.executable).with_name("nervegraph").exists():
        pytest.skip("the nervegraph console script is not installed next to this Python")
    subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--sizes",
            "1",
            "--repeat",
            "1",
            "--quick",
            "--timeout",
            "300",
            "--query-timeout",
            "60",
            "--output",
            str(output),
        ],
        check=True,
        env=dict(os.environ, NERVEGRAPH_BENCH_DIR=str(work)),
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    return output.read_text(encoding="utf-8")


def _row(report: str, measure: str) -> list[str]:
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 2 and cells[0] == "1" and cells[2].startswith(measure):
            return cells
    raise AssertionError(f"no {measure!r} row for 1 article in:\n{report}")


@pytest.mark.parametrize("measure", ["load", "queries", "validate"])
def test_each_measurement_has_both_times_and_a_ratio(report: str, measure: str) -> None:
    cells = _row(report, measure)
    baseline, default, ratio = cells[3], cells[4], cells[5]
    assert re.search(r"\d+\.\d+ s", baseline), cells
    assert re.search(r"\d+\.\d+ s", default), cells
    assert re.match(r"(≥ )?\d+\.\d×", ratio), cells


def test_every_stored_query_has_a_row_with_both_times(
    report: str, catalogue: dict[str, StoredQuery]
) -> None:
    table = report.split("## Stored queries, one by one", 1)[1]
    assert len(catalogue) >= 40
    for name in catalogue:
        match = re.search(rf"^\| `{re.escape(name)}` \| (.+) \|$", table, re.M)
        assert match, f"{name} missing from the per-query table"
        assert re.fullmatch(r"\d+\.\d+ / \d+\.\d+ \(\d+\.\d×\)", match.group(1)), match.group(0)


def test_everyday_section_has_every_target_as_a_ratio(report: str) -> None:
    section = report.split("## Everyday commands (one run", 1)[1]  # --repeat 1 reached it
    section = section.split("## Stored queries", 1)[0]
    for baseline in ("python -c pass", "plain rdflib script"):  # --quick: no pySHACL one
        assert re.search(rf"^\| `{baseline}` \| \d+\.\d+ \| \| baseline \|$", section, re.M)
    rows = re.findall(
        r"^\| `nervegraph ([^`]+)` \| \d+\.\d+ \| (\d+\.\d+)× \| (.+) \|$", section, re.M
    )
    names = {name for name, _, _ in rows}
    assert {"--help", "queries", "lint", "query symptoms -f table"} <= names
    for name, ratio, target in rows:
        limit = float(target.split()[1].rstrip("×"))
        assert target.endswith(": met") == (float(ratio) <= limit), (name, ratio, target)
