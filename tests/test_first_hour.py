"""Issue 16, the query side of a newcomer's first hour: the exact messages and shapes.

Expected values are the article's own: its four nerve locations (the table "Nerve
Location / Affected Muscle Areas"), and the lumbar row "intense calf or thigh muscle
contractions often triggered by lumbar disc issues".
"""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from nervegraph.cli import main

LOCATIONS = "cervical spine, lumbar spine, sciatic nerve, thoracic spine"
LUMBAR_QUOTE = "intense calf or thigh muscle contractions often triggered by lumbar disc issues"


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):  # noqa: ANN201
    return CliRunner().invoke(main, list(args), input=stdin, env=env)


def test_queries_name_shows_one_query_in_full() -> None:
    result = run("queries", "causes-by-region")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "examples/causes-by-region"
    assert "tags: nerve location, causes" in lines
    assert "parameter region (optional: without it, all): the nerve location, " in result.output
    assert f"  accepted: {LOCATIONS}" in lines
    assert "run: nervegraph query examples/causes-by-region" in lines
    assert "SELECT ?region ?cause ?pattern ?hedge ?quote" in result.output  # the SPARQL


def test_the_listing_shows_parameters_and_tags() -> None:
    result = run("queries")
    header = result.output.splitlines()[0].split()
    assert header == ["name", "params", "tags", "summary"]
    row = next(
        line for line in result.output.splitlines() if line.startswith("examples/causes-by-region ")
    )
    assert " region? " in row and "nerve location, causes" in row


def test_an_unknown_tag_suggests_the_close_one() -> None:
    result = run("queries", "--tag", "cause")
    assert result.exit_code == 2
    assert result.output.startswith(
        "error: no stored query is tagged 'cause'; did you mean: causes? (tags: "
    )


def test_did_you_mean_names_each_query_once() -> None:
    result = run("query", "causes-by-regio")
    assert result.exit_code == 2
    message = result.output.strip()
    assert "did you mean: examples/causes-by-region" in message
    assert message.count("causes-by-region") == 1


def test_a_parameter_given_twice_is_an_error() -> None:
    result = run("query", "causes-by-region", "-p", "region=lumbar", "-p", "region=cervical")
    assert result.exit_code == 2
    assert "'region' is given twice ('lumbar' and 'cervical'); a parameter takes one value" in (
        result.output
    )


def test_iris_shows_what_param_accepts() -> None:
    result = run("query", "causes-by-region", "-p", "region=lumbar", "--iris")
    assert result.exit_code == 0
    row = result.output.splitlines()[2].split()
    assert row[:4] == [
        "nge:lumbar-spine",
        "nge:lumbar-disc-issues",
        "nge:lumbar-calf-thigh-contractions",
        "ngq:often",
    ]
    assert "lumbar spine " not in result.output  # IRIs, not labels


def test_a_table_fits_the_terminal_and_csv_keeps_everything() -> None:
    table = run("query", "causes-by-region", "-p", "region=lumbar", env={"COLUMNS": "80"})
    assert table.exit_code == 0
    assert all(len(line) <= 80 for line in table.output.splitlines()), table.output
    assert "…" in table.output  # the quote column was cut
    full = run(
        "query", "causes-by-region", "-p", "region=lumbar", "-f", "csv", env={"COLUMNS": "80"}
    )
    (row,) = list(csv.DictReader(io.StringIO(full.output)))
    assert row["quote"] == LUMBAR_QUOTE


def test_an_unmapped_code_lists_codes_not_entities() -> None:
    result = run("query", "entity-by-code", "-p", "code=mesh:D999999")
    assert result.exit_code == 2
    assert "error: parameter 'code': no entity is mapped to 'mesh:D999999'; accepted: mesh:D" in (
        result.output
    )
    assert "abdomen muscles" not in result.output  # entity labels were the old, wrong list


def test_empty_stdin_says_so() -> None:
    result = run("query", "-", stdin="")
    assert result.exit_code == 2
    assert result.output.strip() == "error: no SPARQL on standard input (query -)"


def test_endpoint_takes_the_server_base_url(oxigraph_server) -> None:  # noqa: ANN001
    args = ["query", "causes-by-region", "-p", "region=lumbar", "-f", "csv"]
    local = run(*args)
    remote = run(*args, "--endpoint", oxigraph_server.base_url)  # no /query
    assert remote.exit_code == 0, remote.output
    assert list(csv.DictReader(io.StringIO(remote.output))) == list(
        csv.DictReader(io.StringIO(local.output))
    )
