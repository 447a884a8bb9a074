"""The guard in front of ``nervegraph serve``: Host, Origin, token, read-only, deadlines.

Real parts only: a real Oxigraph server behind the real proxy on a free 127.0.0.1 port,
requests sent with ``http.client`` (so ``Host`` and ``Origin`` can be set as a browser or
a DNS-rebinding page would send them), the real Oxigraph process killed and restarted.
"""

from __future__ import annotations

import http.client
import os
import stat
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nervegraph import cli
from nervegraph.errors import ServerError
from nervegraph.interchange.server import Server, start_server

pytestmark = pytest.mark.slow

#: A 4-way cross product: Oxigraph's own --timeout-s does not stop its COUNT.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
TOKEN = "test-token-" + "x" * 20
EVIL = "http://evil.example"
GRAPH = "https://example.org/graph/guard-test"


def request(
    server: Server,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, bytes]:
    """Send one real HTTP request to the server's port; return (status, body)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def form(**fields: str) -> dict[str, object]:
    return {
        "body": urllib.parse.urlencode(fields),
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }


def count(server: Server) -> int:
    status, body = request(
        server,
        "POST",
        "/query",
        COUNT_ALL,
        {"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert status == 200, body
    return int(body.decode().split()[1])


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    location = tmp_path_factory.mktemp("guard-store")
    with start_server(port=0, location=location, writable=True, token=TOKEN, timeout_s=2) as s:
        yield s


@pytest.fixture(scope="module")
def read_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    location = tmp_path_factory.mktemp("guard-ro-store")
    with start_server(port=0, location=location) as s:
        yield s


def auth(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", **(extra or {})}


# ------------------------------------------------------------------ Origin / Host


def test_cross_origin_drop_all_is_refused_and_the_store_is_intact(writable: Server) -> None:
    before = count(writable)
    assert before > 1000
    attempts = [
        ("POST", "/update", {"Origin": EVIL}),
        ("POST", "/update", {"Origin": EVIL, **auth()}),  # even with the token
        ("POST", "/update", {"Referer": EVIL + "/page.html", **auth()}),
        ("POST", "/update", {"Origin": "null", **auth()}),
        ("POST", "/query", {"Origin": EVIL, **auth()}),  # update= smuggled into /query
    ]
    for method, path, extra in attempts:
        kind = form(update="DROP ALL")
        status, body = request(
            writable,
            method,
            path,
            kind["body"],
            {**kind["headers"], **extra},  # type: ignore[dict-item]
        )
        assert status == 403, (path, extra, status, body)
        assert b"another origin" in body
    assert count(writable) == before


def test_foreign_host_is_refused(writable: Server) -> None:
    path = "/query?query=" + urllib.parse.quote("ASK {}")
    for host in ("evil.example", f"evil.example:{writable.port}", f"127.0.0.1:{writable.port + 1}"):
        status, body = request(writable, "GET", path, headers={"Host": host})
        assert status == 403, (host, body)
        assert b"DNS rebinding" in body
    for host in (f"127.0.0.1:{writable.port}", f"localhost:{writable.port}"):
        status, _ = request(writable, "GET", path, headers={"Host": host})
        assert status == 200, host


# ------------------------------------------------------------------ token


def test_writes_need_the_token(writable: Server) -> None:
    data = "<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n"
    put = f"/store?graph={urllib.parse.quote(GRAPH, safe='')}"
    nt = {"Content-Type": "application/n-triples"}
    own = {"Origin": f"http://127.0.0.1:{writable.port}"}
    for headers in (nt, {**nt, "Authorization": "Bearer wrong"}, {**nt, "Authorization": TOKEN}):
        status, body = request(writable, "PUT", put, data, headers)
        assert status == 401, (headers, body)
    before = count(writable)
    status, body = request(writable, "POST", "/update", **form(update="DROP ALL"))  # type: ignore[arg-type]
    assert status == 401, body
    assert count(writable) == before
    status, body = request(writable, "PUT", put, data, auth(nt))
    assert status in (201, 204), body
    status, body = request(writable, "PUT", put, data, auth({**nt, **own}))  # same origin
    assert status == 204, body
    assert count(writable) == before + 1
    drop = f"DROP GRAPH <{GRAPH}>"
    status, body = request(
        writable, "POST", "/update", drop, auth({"Content-Type": "application/sparql-update"})
    )
    assert status == 204, body
    assert count(writable) == before


def test_read_only_server_refuses_every_write(read_only: Server) -> None:
    before = count(read_only)
    put = f"/store?graph={urllib.parse.quote(GRAPH, safe='')}"
    for method, path, body, headers in [
        ("PUT", put, "<a:b> <a:c> <a:d> .\n", {"Content-Type": "application/n-triples"}),
        ("DELETE", put, None, {}),
        ("DELETE", "/store?default", None, {}),
        ("POST", "/update", "DROP ALL", {"Content-Type": "application/sparql-update"}),
        ("POST", "/query", *form(update="DROP ALL").values()),
        ("GET", "/update?update=" + urllib.parse.quote("DROP ALL"), None, {}),
    ]:
        status, answer = request(read_only, method, path, body, headers)  # type: ignore[arg-type]
        assert status == 405, (method, path, answer)
        assert b"read-only" in answer
    assert count(read_only) == before


def test_token_file_is_private_and_reused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    with start_server(port=0, writable=True, load=False, token_file=token_file) as server:
        assert server.token and len(server.token) >= 40
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert token_file.read_text().strip() == server.token
        first = server.token
    with start_server(port=0, writable=True, load=False, token_file=token_file) as server:
        assert server.token == first  # the file is read, not overwritten
    token_file.chmod(0o644)
    with pytest.raises(ServerError, match="readable by others"):
        with start_server(port=0, writable=True, load=False, token_file=token_file):
            pass  # pragma: no cover


# ------------------------------------------------------------------ public host


def test_public_host_is_refused_without_the_flag() -> None:
    result = CliRunner().invoke(
        cli.main,
        ["serve", "--host", "0.0.0.0", "--writable", "--port", "0"],  # noqa: S104
    )
    assert result.exit_code == 2, result.output
    assert "error: refusing to listen on 0.0.0.0" in result.output
    assert "--i-know-this-is-public" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(ServerError, match="not a loopback address"):
        with start_server(host="0.0.0.0", port=0, load=False):  # noqa: S104
            pass  # pragma: no cover


# ------------------------------------------------------------------ runaway queries


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_runaway_query_gets_503_and_is_stopped(writable: Server) -> None:
    before = count(writable)
    assert writable.process is not None
    old_pid = writable.process.pid
    restarts = writable.restarts
    started = time.monotonic()
    status, body = request(
        writable, "POST", "/query", RUNAWAY, {"Content-Type": "application/sparql-query"}
    )
    took = time.monotonic() - started
    print(f"runaway 4-way COUNT with --timeout-s 2: HTTP {status} after {took:.2f} s")
    assert status == 503, body
    assert b"timed out" in body and b"--timeout-s" in body
    assert took < 5
    assert _gone(old_pid), "the Oxigraph process running the query is still alive"
    # a following query works (after the restart) and the data survived it
    assert count(writable) == before
    assert writable.restarts == restarts + 1
    assert writable.process is not None and writable.process.pid != old_pid
    ticks = _cpu_ticks(writable.process.pid)
    time.sleep(1.0)
    idle = _cpu_ticks(writable.process.pid) - ticks
    print(f"CPU of the restarted Oxigraph over 1 s: {idle} ticks")
    assert idle < 20  # 100 ticks = one core busy for the whole second


def test_abandoned_query_is_stopped(tmp_path: Path) -> None:
    """No deadline at all: a client that goes away still stops its query."""
    with start_server(port=0, location=tmp_path / "db") as server:
        before = count(server)
        assert server.process is not None
        old_pid = server.process.pid
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        conn.request("POST", "/query", RUNAWAY, {"Content-Type": "application/sparql-query"})
        time.sleep(0.5)
        conn.close()  # the client gives up
        deadline = time.monotonic() + 10
        while not _gone(old_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(old_pid), "the abandoned query is still running"
        print(f"abandoned query stopped {10 - (deadline - time.monotonic()):.2f} s after 0.5 s")
        assert count(server) == before
        assert server.restarts == 1


def test_fast_queries_do_not_restart(writable: Server) -> None:
    restarts = writable.restarts
    for _ in range(20):
        count(writable)
    assert writable.restarts == restarts
