"""A guarding reverse proxy in front of the Oxigraph server.

The Oxigraph binary has no authentication, checks neither ``Origin`` nor ``Host``, and
its ``--timeout-s`` does not stop an aggregate (``COUNT``, ``ORDER BY``) over a large
join: the query runs on, even after the client went away. ``nervegraph serve`` therefore
runs Oxigraph on a private loopback address and puts this proxy (stdlib
``ThreadingHTTPServer`` + ``http.client``, bodies streamed) on the public port. It:

* refuses (403) a request whose ``Host`` is not the server's own ``host:port`` (or
  ``localhost:port``): DNS rebinding;
* classifies requests by an allow-list: only ``GET``/``HEAD`` without an ``update``
  parameter (and not on ``/update``) and ``POST /query`` with a SPARQL query body
  (``application/sparql-query``, or a form without ``update=``) are reads; everything
  else changes state;
* refuses a state-changing request on a read-only server (405), one whose ``Origin`` (or
  ``Referer``) is another origin (403), and on a writable server one without the bearer
  token (401);
* bounds every query and update by a deadline (``--timeout-s`` + 1 s; Oxigraph's own
  timeout gets the first chance) and answers 503 when it passes; because a running query
  cannot be cancelled over HTTP, the Oxigraph process is then killed and restarted on
  the same store directory (the data is on disk and survives). A client that disconnects
  before its answer is complete has the same effect, so an abandoned query never runs on.

The upstream listens on a random address of 127.0.0.0/8 (Linux routes all of it to the
loopback interface) and a random port, so a web page cannot find it by scanning
``127.0.0.1``; where such an address cannot be bound it falls back to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import hmac
import http.client
import ipaddress
import logging
import random
import select
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)

#: Seconds added to the query timeout before the proxy stops a query itself.
DEADLINE_GRACE = 1.0
#: Largest form body (``application/x-www-form-urlencoded``) read to classify a request.
MAX_FORM_BODY = 16 * 1024 * 1024
#: Headers that belong to one connection and are never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "authorization",
    }
)
CHUNK = 64 * 1024


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def private_loopback_address() -> str:
    """Return a random 127.x.y.z address that can be bound here, else ``127.0.0.1``."""
    rng = random.SystemRandom()
    for _ in range(5):
        address = f"127.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(2, 255)}"
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((address, 0))
            except OSError:
                continue
            return address
    return "127.0.0.1"


class Upstream:
    """The Oxigraph process behind the proxy: started, probed, killed and restarted.

    Args:
        command: builds the Oxigraph command line for a ``host:port`` bind address.
        host: the private loopback address it listens on.
        start: starts a process from a command line.
        wait_ready: waits until the process at ``(host, port)`` answers (raises if not).
        stop: stops a process.
    """

    def __init__(
        self,
        command: Callable[[str], list[str]],
        host: str,
        *,
        start: Callable[[list[str]], subprocess.Popen[bytes]],
        wait_ready: Callable[[subprocess.Popen[bytes], str, int], None],
        stop: Callable[[subprocess.Popen[bytes]], int],
        free_port: Callable[[str], int],
    ) -> None:
        self._command = command
        self.host = host
        self._start = start
        self._wait_ready = wait_ready
        self._stop = stop
        self._free_port = free_port
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.generation = 0
        self.restarts = 0
        self.closed = False

    def launch(self) -> None:
        """Start the process on a fresh port and wait until it answers."""
        self.port = self._free_port(self.host)
        process = self._start(self._command(f"{self.host}:{self.port}"))
        self.process = process
        try:
            self._wait_ready(process, self.host, self.port)
        except BaseException:
            self._stop(process)
            raise
        self._ready.set()

    def address(self, timeout: float) -> tuple[int, str, int]:
        """Return ``(generation, host, port)`` once the process answers (waits ``timeout``)."""
        if not self._ready.wait(timeout):
            raise ConnectionError("the SPARQL server is restarting")
        return self.generation, self.host, self.port

    def kill(self, generation: int, why: str) -> bool:
        """Kill the process of ``generation`` (no-op if it was replaced); return whether it did."""
        with self._lock:
            if generation != self.generation or self.closed or self.process is None:
                return False
            log.warning("stopping the Oxigraph process: %s", why)
            self._ready.clear()
            self.generation += 1
            self.process.kill()
            self.process.wait()
            return True

    def restart(self) -> None:
        """Start a new process after :meth:`kill` (same store directory, new port)."""
        with self._lock:
            if self.closed or self._ready.is_set():
                return
            log_file = getattr(self.process, "ng_log", None)
            if log_file is not None:
                log_file.close()
            for attempt in range(3):
                try:
                    self.launch()
                    break
                except Exception as exc:  # noqa: BLE001 - the serve loop reports a dead upstream
                    log.warning("restarting Oxigraph failed (attempt %d): %s", attempt + 1, exc)
            else:
                return
            self.restarts += 1
            log.info("Oxigraph restarted on %s:%d", self.host, self.port)

    def kill_and_restart(self, generation: int, why: str) -> None:
        """Kill now (the CPU is freed at once); start the new process in the background."""
        if self.kill(generation, why):
            threading.Thread(target=self.restart, name="oxigraph-restart", daemon=True).start()

    def close(self) -> int | None:
        """Stop the process for good; return its exit code."""
        with self._lock:
            self.closed = True
            self._ready.clear()
            if self.process is None:
                return None
            return self._stop(self.process)


class GuardServer(ThreadingHTTPServer):
    """The public listening socket; its handler guards and forwards every request."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        host: str,
        port: int,
        upstream: Upstream,
        *,
        writable: bool,
        token: str | None,
        timeout_s: float | None,
        allowed_hosts: set[str] | None = None,
        allow_ip_literal_hosts: bool = False,
        connect_timeout: float = 30.0,
    ) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), GuardHandler)
        self.public_host = host
        self.public_port = self.server_address[1]
        self.upstream = upstream
        self.writable = writable
        self.token = token
        self.timeout_s = timeout_s
        self.connect_timeout = connect_timeout
        self.allow_ip_literal_hosts = allow_ip_literal_hosts
        port_ = self.public_port
        bracketed = f"[{host}]" if ":" in host else host
        hosts = {f"{bracketed}:{port_}", f"localhost:{port_}"}
        if host in ("127.0.0.1", "localhost"):
            hosts.add(f"127.0.0.1:{port_}")
        if host in ("::1", "localhost"):
            hosts.add(f"[::1]:{port_}")
        hosts |= {h.lower() for h in allowed_hosts or ()}
        self.allowed_hosts = {h.lower() for h in hosts}
        self.origins = {f"http://{h}" for h in self.allowed_hosts}

    def host_allowed(self, value: str | None) -> bool:
        """Whether a ``Host`` header names this server (not another name resolving here)."""
        if not value:
            return False
        value = value.strip().lower()
        if value in self.allowed_hosts:
            return True
        if self.allow_ip_literal_hosts:
            # A DNS rebinding attack needs a name; an IP literal cannot be rebound.
            name, _, port = value.rpartition(":")
            if port == str(self.public_port):
                with contextlib.suppress(ValueError):
                    ipaddress.ip_address(name.strip("[]"))
                    return True
        return False

    def origin_allowed(self, origin: str) -> bool:
        """Whether an ``Origin`` (or the origin of a ``Referer``) is this server's own."""
        parts = urllib.parse.urlsplit(origin.strip())
        if parts.scheme != "http" or not parts.netloc:
            return False
        own = f"http://{parts.netloc.lower()}"
        return own in self.origins or (
            self.allow_ip_literal_hosts and self.host_allowed(parts.netloc)
        )


class _Abandoned(Exception):
    """The client went away before its answer was complete."""


class GuardHandler(BaseHTTPRequestHandler):
    """Check, then forward one request to Oxigraph and stream the answer back."""

    protocol_version = "HTTP/1.1"
    server: GuardServer
    server_version = "nervegraph-guard"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        """Log requests at debug level (not to stderr)."""
        log.debug("%s " + format, self.address_string(), *args)

    # every method goes through the same checks
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        """Guard and forward a request (every method)."""
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

    # -------------------------------------------------------------- answers of our own

    def _refuse(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        body = (message + "\n").encode()
        self.close_connection = True  # the request body may be unread
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(OSError):
                self.wfile.write(body)

    # -------------------------------------------------------------- classification

    def _read_body(self) -> bytes | None:
        """Read a request body that must be inspected (bounded); ``None`` if too large."""
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b"".join(self._chunks(limit=MAX_FORM_BODY))
            return data if len(data) <= MAX_FORM_BODY else None
        size = int(length) if length and length.isdigit() else 0
        if size > MAX_FORM_BODY:
            return None
        return self.rfile.read(size)

    def _chunks(self, limit: int | None = None):  # type: ignore[no-untyped-def]
        """Yield the chunks of a ``Transfer-Encoding: chunked`` request body."""
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return
            data = self.rfile.read(size)
            self.rfile.readline(1024)
            total += size
            yield data
            if limit is not None and total > limit:
                return

    def _classify(self) -> tuple[bool, bytes | None]:
        """Return ``(changes_state, body_already_read)``; anything unknown is a write."""
        parts = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        if "update" in params or parts.path.rstrip("/").lower().endswith("/update"):
            return True, None
        if self.command in ("GET", "HEAD", "OPTIONS"):
            return False, None
        if self.command == "POST" and parts.path == "/query":
            kind = self.headers.get_content_type()
            if kind == "application/sparql-query":
                return False, None
            if kind == "application/x-www-form-urlencoded":
                body = self._read_body()
                if body is None:
                    return True, b""
                form = urllib.parse.parse_qs(body.decode("latin-1"), keep_blank_values=True)
                return "update" in form or "query" not in form, body
        return True, None

    # -------------------------------------------------------------- the request

    def _handle(self) -> None:
        guard = self.server
        if not guard.host_allowed(self.headers.get("Host")):
            self._refuse(
                403,
                f"refused: Host {self.headers.get('Host')!r} is not this server "
                f"({guard.public_host}:{guard.public_port}); DNS rebinding is not allowed",
            )
            return
        writes, body = self._classify()
        if writes:
            if not guard.writable:
                self._refuse(
                    405,
                    "refused: this server is read-only (start it with --writable)",
                    {"Allow": "GET, HEAD, POST"},
                )
                return
            origin = self.headers.get("Origin") or self.headers.get("Referer")
            if origin is not None and not guard.origin_allowed(origin):
                self._refuse(403, f"refused: a write from another origin ({origin.strip()[:200]})")
                return
            if guard.token is not None and not self._token_ok():
                self._refuse(
                    401,
                    "refused: writes need 'Authorization: Bearer <token>' "
                    "(the token nervegraph serve printed; nervegraph load --token)",
                    {"WWW-Authenticate": 'Bearer realm="nervegraph"'},
                )
                return
        if body == b"" and writes and self.command == "POST":
            self._refuse(413, "refused: form body too large")
            return
        self._forward(body)

    def _token_ok(self) -> bool:
        value = self.headers.get("Authorization", "")
        scheme, _, given = value.partition(" ")
        assert self.server.token is not None
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.server.token.encode()
        )

    def _deadline(self) -> float | None:
        """The absolute deadline of this request: queries and updates, not Graph Store I/O."""
        if self.server.timeout_s is None:
            return None
        if urllib.parse.urlsplit(self.path).path.startswith("/store"):
            return None
        return time.monotonic() + self.server.timeout_s + DEADLINE_GRACE

    def _connect(self) -> tuple[int, http.client.HTTPConnection]:
        upstream = self.server.upstream
        give_up = time.monotonic() + self.server.connect_timeout
        while True:
            generation, host, port = upstream.address(max(give_up - time.monotonic(), 0.01))
            conn = http.client.HTTPConnection(host, port, timeout=self.server.connect_timeout)
            try:
                conn.connect()
                return generation, conn
            except ConnectionRefusedError:
                conn.close()
                if time.monotonic() > give_up:
                    raise
                time.sleep(0.05)  # it is being replaced: ask for the new address

    def _forward(self, body: bytes | None) -> None:  # noqa: C901, PLR0912, PLR0915
        upstream = self.server.upstream
        deadline = self._deadline()
        self._answer_started = False
        # only a query is stopped when its client leaves: an update or an upload is a write
        # that Oxigraph applies whole or not at all, and killing the server for it would
        # also abort every other client's request
        self._is_query = urllib.parse.urlsplit(self.path).path == "/query"
        try:
            generation, conn = self._connect()
        except (ConnectionError, OSError) as exc:
            self._refuse(503, f"the SPARQL server is not available ({exc}); retry")
            return
        finished = False
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", f"{upstream.host}:{upstream.port}")
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    conn.putheader(name, value)
            chunked_in = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            elif chunked_in:
                conn.putheader("Transfer-Encoding", "chunked")
            elif self.headers.get("Content-Length"):
                conn.putheader("Content-Length", self.headers["Content-Length"])
            conn.endheaders()
            if body is not None:
                conn.send(body)
            elif chunked_in:
                for piece in self._chunks():
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            else:
                remaining = int(self.headers.get("Content-Length") or 0)
                while remaining > 0:
                    piece = self.rfile.read(min(CHUNK, remaining))
                    if not piece:
                        raise _Abandoned
                    conn.send(piece)
                    remaining -= len(piece)
            self._await_answer(conn, deadline)
            sock = conn.sock
            assert sock is not None
            if deadline is not None:
                sock.settimeout(max(deadline - time.monotonic(), 0.01))
            response = conn.getresponse()
            self._relay(response, sock, deadline)
            finished = True
        except _Abandoned:
            if self._is_query:
                upstream.kill_and_restart(generation, "the client disconnected before its answer")
            # an upload cut short is dropped by Oxigraph when the connection closes
            self.close_connection = True
        except TimeoutError:
            upstream.kill_and_restart(generation, "a query ran past --timeout-s")
            self._timed_out()
        except _TimedOutStreaming:
            upstream.kill_and_restart(generation, "a query ran past --timeout-s (mid-answer)")
            self.close_connection = True
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            if self._answer_started:
                pass  # the status line is out: cutting the connection is all that is left
            elif upstream.generation != generation:
                self._refuse(
                    503,
                    "the SPARQL server was restarted to stop a runaway query while this "
                    "request ran; nothing of it was applied; retry",
                )
            else:
                self._refuse(502, f"the SPARQL server failed: {exc}")
        finally:
            conn.close()
            if not finished:
                self.close_connection = True

    def _timed_out(self) -> None:
        seconds = self.server.timeout_s
        self._refuse(
            503,
            f"timed out: the query did not finish within {seconds:g} s (--timeout-s) and "
            "was stopped (the server was restarted; the data is unchanged)",
            {"Retry-After": "1"},
        )

    def _await_answer(self, conn: http.client.HTTPConnection, deadline: float | None) -> None:
        """Wait for the first byte of Oxigraph's answer; notice a client that went away."""
        assert conn.sock is not None
        watched: list[socket.socket] = [conn.sock, self.connection]
        while True:
            step = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if step <= 0:
                raise TimeoutError
            readable, _, _ = select.select(watched, [], [], step)
            if conn.sock in readable:
                return
            if self.connection in readable:
                try:
                    peek = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    peek = b""
                if not peek:
                    raise _Abandoned
                watched = [conn.sock]  # a pipelined request: stop watching the client

    def _relay(
        self, response: http.client.HTTPResponse, sock: socket.socket, deadline: float | None
    ) -> None:
        """Send Oxigraph's answer to the client, streaming the body."""
        self._answer_started = True
        self.send_response(response.status, response.reason)
        length = response.getheader("Content-Length")
        no_body = self.command == "HEAD" or response.status in (204, 304) or response.status < 200
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() not in ("server", "date"):
                self.send_header(name, value)
        chunked = not no_body and length is None
        if no_body:
            if length is not None:
                self.send_header("Content-Length", length)
        elif chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if no_body:
            response.read()
            return
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _TimedOutStreaming
                sock.settimeout(left)
            try:
                piece = response.read1(CHUNK) if chunked else response.read(CHUNK)
            except TimeoutError:
                raise _TimedOutStreaming from None
            try:
                if not piece:
                    if chunked:
                        self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    return
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    self.wfile.write(piece)
            except OSError:
                raise _Abandoned from None


class _TimedOutStreaming(Exception):
    """The deadline passed after the answer had begun: the connection is cut."""
