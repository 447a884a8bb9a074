"""Issue 14, classes 1-7: each class of hostile input, with cases of our own.

Real parts only: a listening socket that counts connections, files in tmp_path, the
installed ``nervegraph`` CLI in a subprocess (so exit codes, stderr and umask are the
real ones), FIFOs and /dev/null.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest

from nervegraph.errors import InputError, NervegraphError, QueryError
from nervegraph.queries import run_query
from nervegraph.rdf.load import load_graph
from nervegraph.rdf.sparql import check_offline

CLI = [sys.executable, "-m", "nervegraph.cli"]
SHAPES = Path(__file__).parent / "data" / "cli" / "shapes.ttl"
VALID = Path(__file__).parent / "data" / "cli" / "valid.ttl"


def run_cli(*args: str, stdin: bytes | None = None, umask: int | None = None, timeout: float = 60):
    preexec = (lambda: os.umask(umask)) if umask is not None else None  # noqa: E731
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        preexec_fn=preexec,  # noqa: PLW1509 - the umask is what is tested
        check=False,
    )


def assert_clean_error(proc: subprocess.CompletedProcess[bytes], where: str | None = None) -> str:
    err = proc.stderr.decode("utf-8", errors="replace")
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    assert err.startswith("error: ") or err.startswith("Usage:"), err[:500]
    assert len(err.strip()) <= 500, len(err)
    if where is not None:
        assert err.startswith(f"error: {where}"), err
    return err


# ------------------------------------------------------------------ class 1: network


class Listener:
    """A TCP socket on 127.0.0.1 that accepts and counts every connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    def settled(self) -> int:
        time.sleep(0.05)
        return self.count


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.sock.close()


def service_variants(url: str) -> list[str]:
    s = f"SERVICE <{url}> {{ ?s ?p ?o }}"
    return [
        f"PREFIX : <http://x/> SELECT * WHERE {{ BIND(:a\\' AS ?z) {s} }}",
        f"SELECT * WHERE {{ {s} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?u {{ <{url}> }} SERVICE ?u {{ ?s ?p ?o }} }}",
        f"select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
        f"SeLeCt * WhErE {{ SeRvIcE SiLeNt <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ # comment }} \n {s} }}",
        f"SELECT * WHERE {{ # c\r{s} }}",
        f'SELECT * WHERE {{ BIND("}} # not a comment" AS ?x) {s} }}',
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <http\\u003A//127.0.0.1:{url.split(':')[2]}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ {s} }} }}",
        f"SELECT * WHERE {{ {{ ?a ?b ?c }} UNION {{ {s} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ {s} }} }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c FILTER EXISTS {{ {s} }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c FILTER NOT EXISTS {{ {s} }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c MINUS {{ {s} }} }}",
        f"ASK {{ {s} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {s} }}",
        f"DESCRIBE ?s WHERE {{ {s} }}",
        f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ]


def _store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    node = pyoxigraph.NamedNode("http://x/a")
    store.add(pyoxigraph.Quad(node, node, node))
    return store


def test_every_service_variant_is_refused_by_the_parse_tree(listener: Listener) -> None:
    store = _store()
    for text in service_variants(listener.url):
        before = listener.settled()
        with pytest.raises(QueryError):
            check_offline(text)
        with pytest.raises(QueryError):
            run_query(text, load_graph([VALID], include_ontology=False))
        assert listener.settled() == before, text
    # the listener is a real witness: Oxigraph itself does connect for the plain form
    before = listener.settled()
    try:
        list(store.query(service_variants(listener.url)[1]))  # type: ignore[arg-type]
    except OSError:
        pass
    assert listener.settled() > before


def _mutations(url: str, seed: int, n: int) -> Iterator[str]:
    rng = random.Random(seed)
    keywords = ["SERVICE", "service", "Service", "\\u0053ERVICE", "SERV\\u0049CE"]
    silents = ["", "SILENT ", "silent "]
    gaps = [" ", "\n", "\t", "\r", "\r\n", " # c\n", " #c\r", "\f", "\u00a0", "/**/"]
    targets = [f"<{url}>", "?u", f"<{url}#x>", "<http://127.0.0.1:1/>"]
    wrappers = [
        "{x}",
        "OPTIONAL {{ {x} }}",
        "{{ ?a ?b ?c }} UNION {{ {x} }}",
        "FILTER EXISTS {{ {x} }}",
        "MINUS {{ {x} }}",
        "{{ SELECT * WHERE {{ {x} }} }}",
        'BIND("{{" AS ?q) {x}',
        "GRAPH ?g {{ {x} }}",
    ]
    for _ in range(n):
        gap = rng.choice(gaps)
        call = (
            f"{rng.choice(keywords)}{gap}{rng.choice(silents)}{rng.choice(targets)}"
            f"{rng.choice(gaps)}{{ ?s ?p ?o }}"
        )
        body = rng.choice(wrappers).format(x=call)
        yield f"SELECT * WHERE {{ VALUES ?u {{ <{url}> }} {body} }}"


def test_property_whenever_oxigraph_would_connect_we_refused(listener: Listener) -> None:
    store = _store()
    connected = refused = 0
    for text in _mutations(listener.url, seed=14, n=300):
        try:
            check_offline(text)
            ours_refused = False
        except QueryError:
            ours_refused = True
        before = listener.settled() if not ours_refused else None
        if ours_refused:
            refused += 1
            continue
        try:  # our check let it through: Oxigraph must then make no connection
            list(store.query(text))  # type: ignore[arg-type]
        except (SyntaxError, OSError, ValueError, RuntimeError):
            pass
        if listener.settled() != before:
            connected += 1
            pytest.fail(f"allowed a query that connected: {text!r}")
    assert refused > 250  # the corpus is mostly SERVICE calls that parse
    assert connected == 0


def test_rdflib_parse_failure_is_refused_even_where_oxigraph_parses(listener: Listener) -> None:
    # a comment ended by a lone CR: Oxigraph reads SERVICE after it, rdflib's grammar
    # does not parse the text at all: we must refuse (fail closed), not allow
    text = f"SELECT * WHERE {{ # c\rSERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    before = listener.settled()
    try:
        list(_store().query(text))  # type: ignore[arg-type]
    except OSError:
        pass
    assert listener.settled() > before  # Oxigraph would connect
    with pytest.raises(QueryError):
        check_offline(text)


def test_cli_query_file_stdin_and_data_make_no_connection(
    listener: Listener, tmp_path: Path
) -> None:
    for i, text in enumerate(service_variants(listener.url)[:12]):
        rq = tmp_path / f"q{i}.rq"
        rq.write_text(text, encoding="utf-8")
        before = listener.settled()
        assert_clean_error(run_cli("query", str(rq)))
        assert_clean_error(run_cli("query", "-", stdin=text.encode()))
        assert_clean_error(run_cli("query", str(rq), "--data", str(VALID)))
        assert listener.settled() == before, text


def test_allow_network_really_connects(listener: Listener) -> None:
    text = f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}> {{ ?s ?p ?o }} }}"
    before = listener.settled()
    run_cli("query", "-", "--allow-network", "--timeout", "20", stdin=text.encode())
    assert listener.settled() > before


@pytest.mark.parametrize("engine", ["turbo", "pyshacl"])
@pytest.mark.parametrize("predicate", ["select", "ask"])
def test_shacl_sparql_with_service_is_refused(
    listener: Listener, tmp_path: Path, engine: str, predicate: str
) -> None:
    body = (
        f"SELECT $this WHERE {{ OPTIONAL {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }} }}"
        if predicate == "select"
        else f"ASK {{ service silent <{listener.url}> {{ ?s ?p ?o }} }}"
    )
    shapes = tmp_path / "shapes.ttl"
    if predicate == "select":
        constraint = f'sh:sparql [ sh:select """{body}""" ]'
    else:
        constraint = (
            "sh:property [ sh:path ex:p ; ex:c true ] .\n"
            "ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:c ] ;\n"
            f'  sh:propertyValidator [ a sh:SPARQLAskValidator ; sh:ask """{body}""" ]'
        )
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://example.org/> .\n"
        f"ex:S a sh:NodeShape ; sh:targetNode ex:good ; {constraint} .\n",
        encoding="utf-8",
    )
    before = listener.settled()
    err = assert_clean_error(
        run_cli("validate", str(VALID), "--shapes", str(shapes), "--engine", engine)
    )
    assert "SERVICE" in err
    assert listener.settled() == before


# ------------------------------------------------------------------ class 2: tracebacks

HOSTILE: dict[str, bytes] = {
    "big-number.jsonld": b'{"@id": "http://x/a", "http://x/p": ' + b"9" * 5000 + b"}",
    "surrogate.jsonld": b'{"@id": "http://x/a", "http://x/p": "\\ud800"}',
    "type-space.jsonld": b'{"@id": "http://x/a", "@type": "http://x/a b"}',
    "deep.jsonld": b"[" * 5000 + b"]" * 5000,
    "latin1-space.rdf": (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        b'<rdf:Description rdf:about="http://x/a b"><rdf:type rdf:resource="http://x/\xe9"/>'
        b"</rdf:Description></rdf:RDF>\n"
    ),
    "unknown-encoding.rdf": b'<?xml version="1.0" encoding="x-nonsense"?>\n<a/>\n',
    "bad-latin1.rdf": b'<?xml version="1.0" encoding="ascii"?>\n<a>\xff</a>\n',
    "triple-term.ttl": b"@prefix : <http://x/> .\n:a :p <<( :b :c :d )>> .\n",
    "annotation.ttl": b"@prefix : <http://x/> .\n:a :p :b {| :q :r |} .\n",
    "direction.ttl": b'@prefix : <http://x/> .\n:a :p "x"@en--ltr .\n',
    "triple-term.nt": (
        b"<http://x/a> <http://x/p> <<( <http://x/b> <http://x/c> <http://x/d> )>> .\n"
    ),
    "nul.ttl": b'<http://x/a> <http://x/p> "a\x00b" .\n',
    "control.ttl": b"<http://x/a> <http://x/p> \x1b[31m .\n",
    "huge-error.ttl": b"<http://x/a> <http://x/p> " + b"x" * 200_000 + b" .\n",
    "not-utf8.ttl": b'<http://x/a> <http://x/p> "\xe9" .\n',
    "empty.nq": b"",
}


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    for name, data in HOSTILE.items():
        (root / name).write_bytes(data)
    return root


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_command_gives_a_clean_error(hostile_files: Path, name: str) -> None:
    path = hostile_files / name
    runs = [
        ("validate", str(path)),
        ("validate", "--engine", "pyshacl", str(path)),
        ("export", "-f", "nt", str(path)),
        ("query", "-", "--data", str(path)),
        ("query", "-", "--engine", "rdflib", "--data", str(path)),
    ]
    if name.endswith(".ttl"):
        runs.append(("lint", str(path)))
    for args in runs:
        proc = run_cli(*args, stdin=b"SELECT * WHERE { ?s ?p ?o }")
        if name == "big-number.jsonld" and proc.returncode == 0:
            continue  # valid JSON-LD: a (huge) xsd:double; accepting it is fine
        err = assert_clean_error(proc, where=str(path))
        if not name.endswith(".jsonld"):  # JSON-LD errors of rdflib carry no position
            assert err.startswith(f"error: {path}:"), err


def test_rdf12_is_one_rule_for_every_reader(hostile_files: Path) -> None:
    for name in ("triple-term.ttl", "annotation.ttl", "triple-term.nt"):
        path = hostile_files / name
        for args in (
            ("validate", str(path)),
            ("validate", "--engine", "pyshacl", str(path)),
            ("export", str(path)),
            ("lint", str(path)) if name.endswith(".ttl") else ("export", "-f", "nq", str(path)),
        ):
            err = assert_clean_error(run_cli(*args))
            assert err.startswith(f"error: {path}:2:") or err.startswith(f"error: {path}:1:")
            assert "RDF 1.2 triple terms are not supported" in err, (args, err)


def test_stdin_query_not_utf8_and_non_ascii_prefix() -> None:
    err = assert_clean_error(
        run_cli("query", "-", stdin="PREFIX \xe9: <x> SELECT".encode("latin-1"))
    )
    assert "<stdin>:1:8: not valid UTF-8" in err
    ok = run_cli(
        "query",
        "-",
        stdin="PREFIX é: <http://x/> SELECT * WHERE {?s é:p ?o}".encode(),
    )
    assert ok.returncode == 0, ok.stderr
    env_c = run_cli_env({"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"})
    assert env_c.returncode == 0, env_c.stderr


def run_cli_env(env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*CLI, "query", "-"],
        input="PREFIX é: <http://x/> SELECT * WHERE {?s é:p ?o}".encode(),
        capture_output=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def test_graph_query_on_rdflib_engine_is_not_a_traceback() -> None:
    proc = run_cli(
        "query",
        "-",
        "--engine",
        "rdflib",
        stdin=b"SELECT * WHERE { GRAPH <http://x/g> {?s ?p ?o} }",
    )
    assert proc.returncode in (0, 2)
    assert b"Traceback" not in proc.stderr


def test_messages_are_bounded_and_escaped() -> None:
    err = InputError("a.ttl", "x" * 10_000_000 + "\x1b[2J\x00", line=1)
    assert len(str(err)) <= 480 and str(err).endswith("…")
    assert "\x1b" not in str(InputError("a.ttl", "\x1b[2J\n\x00"))
    assert "\\x1b" in str(InputError("a.ttl", "\x1b[2J"))
    assert len(str(QueryError("q" * 100_000))) <= 480
    assert len(str(NervegraphError("\x00" * 100_000))) <= 480


def test_a_sparse_nul_file_is_a_short_error_quickly(tmp_path: Path) -> None:
    big = tmp_path / "sparse.rdf"
    with big.open("wb") as handle:
        handle.write(b'<?xml version="1.0"?>\n<rdf:RDF>')
        handle.truncate(50_000_000)
    started = time.monotonic()
    err = assert_clean_error(run_cli("validate", str(big)), where=f"{big}:2:")
    assert time.monotonic() - started < 10
    assert "NUL byte" in err


# ------------------------------------------------------------------ class 3: XML entities


def _xml(dtd: str, body: str, encoding: str = "ISO-8859-1") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE rdf:RDF [\n{dtd}\n]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        f'xmlns:ex="http://x/">\n<rdf:Description rdf:about="http://x/a">{body}'
        "</rdf:Description></rdf:RDF>\n"
    ).encode("utf-16" if encoding == "UTF-16" else "latin-1")


CHARREF_BOMB = "\n".join(
    ['<!ENTITY a0 "' + "x" * 100 + '">']
    + [f'<!ENTITY a{i} "' + f"&#38;a{i - 1};" * 10 + '">' for i in range(1, 8)]
)

ENTITY_CASES = {
    "charref-bomb": (_xml(CHARREF_BOMB, "<ex:p>&a7;</ex:p>"), "refers to another entity"),
    "hexref-bomb": (
        _xml(CHARREF_BOMB.replace("&#38;", "&#x26;"), "<ex:p>&a7;</ex:p>"),
        "refers to another entity",
    ),
    "utf16-bomb": (_xml(CHARREF_BOMB, "<ex:p>&a7;</ex:p>", "UTF-16"), "refers to another"),
    "wide": (
        _xml('<!ENTITY w "' + "y" * 10_000 + '">', "<ex:p>" + "&w;" * 200 + "</ex:p>"),
        "max_entity_expansion",
    ),
    "wide-attribute": (
        _xml('<!ENTITY w "' + "y" * 10_000 + '">', '<ex:q ex:v="' + "&w;" * 200 + '"/>'),
        "max_term_chars",
    ),
    "parameter": (_xml('<!ENTITY % p "x">', "<ex:p>a</ex:p>"), "parameter entities"),
    "external": (_xml('<!ENTITY e SYSTEM "file:///etc/passwd">', "<ex:p>&e;</ex:p>"), "external"),
}


@pytest.mark.parametrize("name", sorted(ENTITY_CASES))
def test_xml_entity_tricks_are_refused_from_the_dtd(tmp_path: Path, name: str) -> None:
    data, words = ENTITY_CASES[name]
    path = tmp_path / f"{name}.rdf"
    path.write_bytes(data)
    for engine in ("turbo", "pyshacl"):
        started = time.monotonic()
        err = assert_clean_error(
            run_cli("validate", str(path), "--engine", engine, "--timeout", "20"),
            where=f"{path}:",
        )
        assert words in err, err
        assert time.monotonic() - started < 15


def test_plain_internal_entities_still_load(tmp_path: Path) -> None:
    path = tmp_path / "protege.rdf"
    path.write_bytes(_xml('<!ENTITY ex "http://x/">', '<rdf:type rdf:resource="&ex;C"/>', "UTF-8"))
    graph = load_graph([path], include_ontology=False)
    assert len(graph) == 1


def test_long_literal_via_latin1_xml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.rdf"
    path.write_bytes(_xml("", "<ex:p>" + "z" * 1_100_000 + "</ex:p>"))
    with pytest.raises(InputError, match="max_term_chars"):
        load_graph([path], include_ontology=False)
    with pytest.raises(InputError, match="max_term_chars"):
        load_graph([path], include_ontology=False, engine="rdflib")


def test_timeout_covers_reading_for_every_command(tmp_path: Path) -> None:
    big = tmp_path / "big.ttl"  # a million triples: reading alone takes seconds
    big.write_text(
        "<http://x/s> <http://x/p> " + ", ".join(f'"{i}"' for i in range(1_000_000)) + " .\n"
    )
    for args, stdin in (
        (("validate", str(big), "--timeout", "0.5"), None),
        (("export", str(big), "--timeout", "0.5"), None),
        (("query", "-", "--data", str(big), "--timeout", "0.5"), b"ASK {}"),
    ):
        started = time.monotonic()
        err = assert_clean_error(run_cli(*args, stdin=stdin, timeout=60))
        assert "did not finish within 0.5 s" in err, err
        assert time.monotonic() - started < 10
    # a query on a standard input that never ends is stopped too
    proc = subprocess.Popen(
        [*CLI, "query", "-", "--timeout", "1"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        proc.wait(timeout=30)  # stdin stays open: the read never ends by itself
        assert proc.stderr is not None
        err_bytes = proc.stderr.read()
    finally:
        proc.kill()
        assert proc.stdin is not None
        proc.stdin.close()
    assert proc.returncode == 2 and b"did not finish within 1 s" in err_bytes


# ------------------------------------------------------------------ class 4: counts


def test_repeated_triples_and_repeated_paths_are_not_empty(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    shutil.copy(VALID, d / "a.ttl")
    (d / "b.ttl").write_text(
        "@prefix ex: <http://example.org/> .\nex:good ex:size 3 .\n", encoding="utf-8"
    )
    (d / "onto.ttl").write_text(
        "@prefix ng: <https://w3id.org/nervegraph/ontology#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\nng:Cause a owl:Class .\n",
        encoding="utf-8",
    )
    for engine in ("turbo", "pyshacl"):
        for args in (
            (str(d / "a.ttl"), str(d / "b.ttl")),
            (str(d / "a.ttl"), f"{d}/../d/a.ttl"),
            (str(d / "onto.ttl"),),
        ):
            proc = run_cli("validate", *args, "--shapes", str(SHAPES), "--engine", engine)
            assert proc.returncode == 0, (args, proc.stderr)
    for engine in ("oxigraph", "rdflib"):
        graph = load_graph([d / "a.ttl", d / "b.ttl", d / ".." / "d" / "a.ttl"], engine=engine)
        assert len(graph) > 0


# ------------------------------------------------------------------ class 6: linear sizes


def _timed(args: tuple[str, ...]) -> float:
    started = time.monotonic()
    proc = run_cli(*args, timeout=120)
    assert proc.returncode in (0, 1, 2) and b"Traceback" not in proc.stderr, proc.stderr
    return time.monotonic() - started


def _load_seconds(path: Path) -> float:
    code = (
        "import sys,time; from nervegraph.rdf.load import load_graph; t=time.monotonic(); "
        "load_graph([sys.argv[1]], include_ontology=False); print(time.monotonic()-t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, timeout=120, check=True
    )
    return float(out.stdout)


@pytest.mark.parametrize("shape", ["wide-line", "jsonld-nodes", "directory"])
def test_pathological_sizes_load_in_linear_time(tmp_path: Path, shape: str) -> None:
    times = []
    for n in (10_000, 100_000):
        target = tmp_path / f"{shape}-{n}"
        if shape == "wide-line":
            target = target.with_suffix(".ttl")
            target.write_text(
                "<http://x/s> <http://x/p> " + ", ".join(f'"{i}"' for i in range(n)) + " .\n"
            )
        elif shape == "jsonld-nodes":
            import json

            target = target.with_suffix(".jsonld")
            target.write_text(
                json.dumps(
                    {"@graph": [{"@id": f"http://x/n{i}", "http://x/q": str(i)} for i in range(n)]}
                )
            )
        else:
            target.mkdir()
            for i in range(n // 100):  # 100 and 1,000 files
                (target / f"f{i}.ttl").write_text(f'<http://x/s{i}> <http://x/p> "{i}" .\n')
        times.append(_load_seconds(target))
    small, big = times
    assert big < 10 * max(small, 0.05) * 2.5, times  # linear (10x data), with slack


# ------------------------------------------------------------------ class 7: output targets


def test_output_to_dev_null_keeps_the_device() -> None:
    before = os.stat("/dev/null")
    assert stat.S_ISCHR(before.st_mode)
    for args in (("export", "-o", "/dev/null"), ("query", "causes-by-region", "-o", "/dev/null")):
        proc = run_cli(*args)
        assert proc.returncode == 0, proc.stderr
        after = os.stat("/dev/null")
        assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_output_to_a_fifo_writes_into_it(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = run_cli("export", "-f", "nt", "-o", str(fifo))
    reader.join(30)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].count(b"\n") > 1000


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_output_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    for i, args in enumerate((("export",), ("query", "causes-by-region"))):
        out = tmp_path / f"new{i}.out"
        proc = run_cli(*args, "-o", str(out), umask=umask)
        assert proc.returncode == 0, proc.stderr
        assert stat.S_IMODE(out.stat().st_mode) == mode


def test_existing_output_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "old.ttl"
    out.write_text("old")
    out.chmod(0o640)
    assert run_cli("export", "-o", str(out), umask=0o077).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and out.read_text() != "old"


def test_output_dash_is_stdout() -> None:
    proc = run_cli("export", "-f", "nt", "-o", "-")
    assert proc.returncode == 0 and proc.stdout.count(b"\n") > 1000
    assert not Path("-").exists()


def test_unwritable_outputs_are_clean_errors(tmp_path: Path) -> None:
    readonly = tmp_path / "ro"
    readonly.mkdir()
    (tmp_path / "adir").mkdir()
    targets = [str(tmp_path / "adir"), str(tmp_path / "missing" / "x.ttl"), ""]
    if os.geteuid() != 0:  # root writes into a 0555 directory anyway
        readonly.chmod(0o555)
        targets.append(str(readonly / "x.ttl"))
    for target in targets:
        for args in (("export", "-o", target), ("query", "causes-by-region", "-o", target)):
            proc = run_cli(*args)
            if proc.returncode == 2 and proc.stderr.startswith(b"Usage:"):
                continue  # click refused a directory for --output: exit 2 with usage
            assert_clean_error(proc)
    leftovers = [p for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []
