"""Run the bundled graph in a real Oxigraph SPARQL server.

The ``oxigraph`` PyPI package ships the server binary into the ``bin/`` directory of the
environment it is installed in; :func:`find_oxigraph` looks there first (next to the
running interpreter, which is where it is even when ``nervegraph`` is started by full
path from a venv that is not activated), then in the package's installed-files record,
then on ``PATH``.

:func:`start_server` loads every file into its own named graph
(:mod:`nervegraph.interchange.dataset`) with ``oxigraph load``, then starts
``oxigraph serve-read-only`` (or ``serve`` when writable) with
``--union-default-graph``, so a query without ``GRAPH`` sees the same triples as
:func:`nervegraph.rdf.load.load_graph`.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from nervegraph.errors import ServerError
from nervegraph.interchange.dataset import NamedFile, named_files
from nervegraph.interchange.guard import (
    GuardServer,
    Upstream,
    is_loopback,
    private_loopback_address,
)

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
#: How long to wait for the server to answer its first query.
STARTUP_TIMEOUT = 30.0
EXAMPLE_QUERY = "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def find_oxigraph() -> Path:
    """Return the path of the ``oxigraph`` server binary.

    Looks next to the running interpreter (the venv's ``bin/``, also when the venv is
    not activated), then at the file list the ``oxigraph`` distribution recorded when it
    was installed, then on ``PATH``.

    Raises:
        ServerError: no binary was found (install the ``oxigraph`` package).
    """
    name = "oxigraph.exe" if os.name == "nt" else "oxigraph"
    candidates: list[Path] = [Path(sys.executable).parent / name]
    # sys.executable may be a symlink into a base interpreter; the venv's bin/ is where
    # the un-resolved path points, and sysconfig knows the scripts dir of this prefix.
    import sysconfig

    candidates.append(Path(sysconfig.get_path("scripts")) / name)
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        dist = distribution("oxigraph")
        for item in dist.files or []:
            if item.name == name:
                candidates.append(Path(str(dist.locate_file(item))).resolve())
    except PackageNotFoundError:
        pass
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ServerError(
        "the oxigraph server binary was not found next to "
        f"{sys.executable} nor on PATH; install it with: pip install oxigraph"
    )


@dataclass
class Server:
    """A running Oxigraph server behind nervegraph's guarding proxy.

    Attributes:
        host: the address the proxy listens on (the one clients use).
        port: its TCP port.
        location: the store directory.
        writable: whether ``/update`` and Graph Store writes are allowed.
        graphs: the named graphs loaded at start, with their source files.
        token: the bearer token writes need (writable servers), else ``None``.
        token_file: the 0600 file holding ``token``.
        upstream: the Oxigraph process behind the proxy (restarted after a runaway query).
        guard: the proxy (:class:`nervegraph.interchange.guard.GuardServer`).
    """

    host: str
    port: int
    location: Path
    writable: bool
    graphs: list[NamedFile] = field(default_factory=list)
    token: str | None = None
    token_file: Path | None = None
    upstream: Upstream | None = None
    guard: GuardServer | None = None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The Oxigraph process running now (a new one after each restart)."""
        return self.upstream.process if self.upstream is not None else None

    @property
    def restarts(self) -> int:
        """How many times the Oxigraph process was restarted to stop a query."""
        return self.upstream.restarts if self.upstream is not None else 0

    @property
    def base_url(self) -> str:
        """``http://host:port`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def query_url(self) -> str:
        """The SPARQL query endpoint."""
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        """The SPARQL update endpoint (only when writable)."""
        return self.base_url + "/update"

    @property
    def store_url(self) -> str:
        """The Graph Store Protocol endpoint."""
        return self.base_url + "/store"

    def auth_headers(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` for writes, or ``{}``."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def example_command(self) -> str:
        """Return a copy-paste ``curl`` command running :data:`EXAMPLE_QUERY`."""
        encoded = urllib.parse.quote(EXAMPLE_QUERY)
        return f"curl -H 'Accept: text/csv' '{self.query_url}?query={encoded}'"


def read_or_create_token(path: Path | None) -> tuple[str, Path | None, bool]:
    """Return ``(token, file, created)``: the token in ``path``, or a new one written there.

    A new token is ``secrets.token_urlsafe(32)``, written to ``path`` created with mode
    0600 (never overwriting). An existing file that others can read is refused.

    Raises:
        ServerError: the file is readable by group/others, empty or cannot be written.
    """
    if path is not None and path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ServerError(
                f"token file {path} is readable by others (mode {mode:o}); chmod 600 it"
            )
        token = path.read_text(encoding="utf-8").strip()
        if not token:
            raise ServerError(f"token file {path} is empty")
        return token, path, False
    token = secrets.token_urlsafe(32)
    if path is None:
        return token, None, True
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ServerError(f"cannot write token file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token, path, True


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`ServerError` when ``host:port`` cannot be bound (already in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Like the server (Rust's TcpListener): connections in TIME_WAIT do not block
        # the port, a listening socket does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServerError(
                    f"port {port} on {host} is already in use; "
                    "stop the other server or pick another --port"
                ) from None
            raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _run(args: list[str], what: str) -> None:
    log.debug("running %s", " ".join(args))
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ServerError(f"{what} failed: {detail[-1] if detail else done.returncode}")


def load_files(location: Path, files: Iterable[NamedFile]) -> None:
    """Replace each named graph of the store at ``location`` with its file's triples.

    Each graph is dropped then loaded with ``oxigraph load`` (which loads a file
    atomically), so a store directory reused across runs never keeps stale triples.

    Raises:
        ServerError: ``oxigraph`` failed (the message is its last line of output).
    """
    binary = str(find_oxigraph())
    for item in files:
        _run(
            [
                binary,
                "update",
                "--location",
                str(location),
                "--update",
                f"DROP SILENT GRAPH <{item.graph}>",
            ],
            f"clearing graph {item.graph}",
        )
        _run(
            [
                binary,
                "load",
                "--location",
                str(location),
                "--file",
                str(item.path),
                "--graph",
                item.graph,
            ],
            f"loading {item.path} into {item.graph}",
        )
        log.info("loaded %s into <%s>", item.path, item.graph)


def _wait_until_ready(
    process: subprocess.Popen[bytes], host: str, port: int, timeout: float
) -> None:
    """Wait until the Oxigraph ``process`` answers ``ASK {}`` on ``host:port``."""
    deadline = time.monotonic() + timeout
    # http.client, not urllib: urllib would send the probe through $http_proxy
    probe = "/query?query=" + urllib.parse.quote("ASK {}")
    while True:
        if process.poll() is not None:
            stderr = _read_log(process)
            last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            if "in use" in stderr.lower():
                raise ServerError(f"port {port} on {host} is already in use")
            raise ServerError(
                f"oxigraph exited with code {process.returncode} on start"
                + (f": {last}" if last else "")
            )
        conn = http.client.HTTPConnection(host, port, timeout=1.0)
        try:
            conn.request("GET", probe)
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise ServerError(f"oxigraph did not answer on {host}:{port} in {timeout:.0f}s")
        time.sleep(0.05)


def _read_log(process: subprocess.Popen[bytes]) -> str:
    """Return what the Oxigraph process wrote to stderr (its log file)."""
    log_file = getattr(process, "ng_log", None)
    if log_file is None:
        return process.stderr.read().decode(errors="replace") if process.stderr else ""
    log_file.seek(0)
    return log_file.read()[-65536:].decode(errors="replace")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """Stop a server process: SIGTERM, wait ``timeout`` s, then SIGKILL; return its code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("oxigraph did not stop on SIGTERM; killing it")
            process.kill()
            process.wait()
    log_file = getattr(process, "ng_log", None)
    if log_file is not None:
        log_file.close()
    return process.returncode


@contextlib.contextmanager
def start_server(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    location: str | Path | None = None,
    writable: bool = False,
    paths: Iterable[str | Path] | None = None,
    load: bool = True,
    timeout_s: int | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    token: str | None = None,
    token_file: str | Path | None = None,
    allow_public: bool = False,
) -> Iterator[Server]:
    """Load the graph into an Oxigraph store and serve it, guarded, until the block ends.

    Oxigraph listens on a private loopback address; clients talk to the guarding proxy
    (:mod:`nervegraph.interchange.guard`) on ``host:port``, which checks ``Host``,
    ``Origin`` and, for writes, the bearer token, and stops queries at the deadline.

    Args:
        host: address to listen on (default loopback only). Any other address needs
            ``allow_public=True``.
        port: TCP port; ``0`` picks a free one.
        location: the store directory; default a temporary directory removed at the end.
        writable: allow SPARQL Update and Graph Store writes (``oxigraph serve``), with
            the bearer token; otherwise ``oxigraph serve-read-only`` and writes get 405.
        paths: files to load (one named graph each); ``None`` means the bundled graph.
        load: load the files before serving; ``False`` serves ``location`` as it is.
        timeout_s: query timeout in seconds: Oxigraph's ``--timeout-s``, and the proxy
            stops the query (restarting Oxigraph) 1 s later.
        startup_timeout: seconds to wait for the server to answer.
        token: the token writes need (default: read from ``token_file`` or generated).
        token_file: where the token is read from (if it exists) or written (mode 0600);
            default a private temporary file removed at the end.
        allow_public: allow a ``host`` that is not loopback.

    Yields:
        The running :class:`Server`; it is stopped (SIGTERM, then waited) on exit.

    Raises:
        ServerError: the port is in use, the binary is missing, loading or start failed,
            a public host without ``allow_public``, a bad token file.
        InputError: a file to load is missing or malformed.
    """
    if not is_loopback(host) and not allow_public:
        raise ServerError(
            f"refusing to listen on {host}: it is not a loopback address, so anyone who "
            "can reach this machine could query"
            + (" and write to" if writable else "")
            + " the store; pass --i-know-this-is-public to do it anyway"
        )
    binary = find_oxigraph()
    if port == 0:
        port = free_port(host)
    check_port_free(host, port)
    with contextlib.ExitStack() as stack:
        if location is None:
            store_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ng-oxi-")))
        else:
            store_dir = Path(location)
            store_dir.mkdir(parents=True, exist_ok=True)
        the_token: str | None = None
        the_token_file: Path | None = None
        if writable:
            if token is not None:
                the_token = token
                the_token_file = Path(token_file) if token_file is not None else None
            else:
                if token_file is None:
                    secret_dir = Path(
                        stack.enter_context(tempfile.TemporaryDirectory(prefix="ng-token-"))
                    )
                    token_file = secret_dir / "token"
                the_token, the_token_file, _ = read_or_create_token(Path(token_file))
        files = named_files(paths) if load else []
        if files:
            # Parse with rdflib first: a malformed file becomes an InputError with a line.
            from nervegraph.rdf.load import parse_file

            for item in files:
                parse_file(item.path)
            load_files(store_dir, files)

        def command(bind: str) -> list[str]:
            args = [
                str(binary),
                "serve" if writable else "serve-read-only",
                "--location",
                str(store_dir),
                "--bind",
                bind,
                "--union-default-graph",
            ]
            if timeout_s is not None:
                args += ["--timeout-s", str(timeout_s)]
            return args

        def start(args: list[str]) -> subprocess.Popen[bytes]:
            log.debug("starting %s", " ".join(args))
            # stderr to a file, not a pipe: nobody reads a pipe while the server runs,
            # and a full one (an error line per aborted upload) would block Oxigraph
            log_file = tempfile.TemporaryFile(prefix="ng-oxigraph-log-")
            process = subprocess.Popen(  # noqa: S603
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
                start_new_session=True,  # Ctrl-C reaches us; we forward it and wait
            )
            process.ng_log = log_file  # type: ignore[attr-defined]
            return process

        upstream = Upstream(
            command,
            private_loopback_address(),
            start=start,
            wait_ready=lambda p, h, n: _wait_until_ready(p, h, n, startup_timeout),
            stop=stop_process,
            free_port=free_port,
        )
        upstream.launch()
        try:
            guard = GuardServer(
                host,
                port,
                upstream,
                writable=writable,
                token=the_token,
                timeout_s=timeout_s,
                allow_ip_literal_hosts=not is_loopback(host),
                allowed_hosts={f"{socket.gethostname()}:{port}", f"{socket.getfqdn()}:{port}"}
                if not is_loopback(host)
                else None,
            )
        except OSError as exc:
            upstream.close()
            if exc.errno == errno.EADDRINUSE:
                raise ServerError(f"port {port} on {host} is already in use") from None
            raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        worker = threading.Thread(
            target=guard.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        worker.start()
        server = Server(
            host, port, store_dir, writable, files, the_token, the_token_file, upstream, guard
        )
        try:
            log.info("oxigraph serving %s at %s", store_dir, server.query_url)
            yield server
        finally:
            guard.shutdown()
            guard.server_close()
            worker.join(5)
            upstream.close()
            log.info("oxigraph stopped")


def free_port(host: str = DEFAULT_HOST) -> int:
    """Return a TCP port on ``host`` that is free right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    location: str | Path | None = None,
    writable: bool = False,
    timeout_s: int | None = None,
    on_ready: Callable[[Server], None] | None = None,
    token_file: str | Path | None = None,
    allow_public: bool = False,
) -> int:
    """Serve the bundled graph until SIGINT or SIGTERM; return the server's exit code.

    Args:
        host: address to listen on.
        port: TCP port.
        location: store directory (default: a temporary one, removed on exit).
        writable: allow updates.
        timeout_s: server-side query timeout in seconds.
        on_ready: called once with the :class:`Server` when it answers queries (the
            CLI prints the endpoint and an example query there).
        token_file: see :func:`start_server`.
        allow_public: see :func:`start_server`.

    Raises:
        ServerError: the port is in use, the binary is missing, or the server died.
    """
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with start_server(
            host=host,
            port=port,
            location=location,
            writable=writable,
            timeout_s=timeout_s,
            token_file=token_file,
            allow_public=allow_public,
        ) as server:
            if on_ready is not None:
                on_ready(server)
            assert server.upstream is not None
            upstream = server.upstream
            dead_since: float | None = None
            while not stop.is_set():
                process = upstream.process
                if process is not None and process.poll() is not None:
                    # a restart after a runaway query takes a moment; a death does not heal
                    dead_since = dead_since or time.monotonic()
                    if time.monotonic() - dead_since > STARTUP_TIMEOUT:
                        raise ServerError(
                            f"oxigraph exited unexpectedly with code {process.returncode}"
                        )
                else:
                    dead_since = None
                stop.wait(0.5)
            code = upstream.close()
        return 0 if code in (None, 0, -signal.SIGTERM, 128 + signal.SIGTERM) else code
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
