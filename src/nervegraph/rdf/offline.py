"""Keep rdflib off the network.

Importing this module changes nothing; :func:`offline` guards a block of code:

* while any guard is active, rdflib's ``SPARQL_LOAD_GRAPHS`` is ``False``, so its
  SPARQL engine does not dereference the IRI of a ``FROM``/``FROM NAMED`` clause or a
  ``GRAPH`` it does not hold; the caller's setting comes back when the last guard ends.
* rdflib's JSON-LD parser has no switch to refuse remote ``@context``/``@import``
  documents, so ``graph.load_graph`` scans JSON-LD input itself and rejects any
  context given by IRI (see ``remote_jsonld_contexts``).
* RDF/XML is parsed by expat, which since Python 3.7.1 does not fetch external
  entities (``feature_external_ges`` is off by default); ``limits.check_xml_entities``
  also refuses external and nested entities before any parser sees the file.
* Belt and braces: :func:`offline` also refuses, in the calling
  thread, every outbound connection attempt (``socket.connect``,
  ``socket.getaddrinfo``, ``urllib.Request`` audit events, see :func:`sys.addaudithook`).
  ``load_graph``, ``validate_graph`` and ``run_query`` run inside it unless the caller
  passes ``allow_network=True``; an attempt becomes :class:`NetworkRefused` even when
  the library that made it swallowed the socket error (rdflib's ``SERVICE`` does).
  The audit hook is added the first time a guard starts (hooks cannot be removed; it
  does nothing outside a guard). Oxigraph's own ``SERVICE`` client is native code that
  no audit hook sees: queries are refused from their parse tree before they run
  (:func:`nervegraph.rdf.sparql.check_offline`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from nervegraph.errors import NetworkRefused


def remote_jsonld_contexts(document: Any) -> list[str]:
    """Return the IRIs of the contexts a JSON-LD document would fetch.

    Args:
        document: the decoded JSON value.

    Returns:
        Every string value of an ``@context`` (directly or inside a list) and of an
        ``@import``, wherever it appears in the document; ``[]`` for a self-contained one.
    """
    found: list[str] = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("@context", "@import"):
                    values = value if isinstance(value, list) else [value]
                    found.extend(v for v in values if isinstance(v, str))
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: audit events that mean "about to talk to the network"
_NETWORK_EVENTS = frozenset(
    {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"}
)


class _State(threading.local):
    """Per-thread guard state: nesting depth and the attempts refused so far."""

    def __init__(self) -> None:
        self.depth = 0
        self.attempts: list[str] = []


_state = _State()
_hook_lock = threading.Lock()
_hook_installed = False
#: guards active in any thread, and rdflib's SPARQL_LOAD_GRAPHS from before the first
_active = 0
_saved_load_graphs: bool | None = None


def _describe(event: str, args: tuple[Any, ...]) -> str:
    if event == "urllib.Request":
        return str(args[0])
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2:
            return f"{address[0]}:{address[1]}"
        return str(address)
    if event == "socket.getaddrinfo":
        return f"{args[0]}:{args[1]}"
    return str(args[0]) if args else event


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Called for every audit event of the process: return fast.
    if event not in _NETWORK_EVENTS or not _state.depth:
        return
    target = _describe(event, args)
    _state.attempts.append(target)
    log.warning("refused network access to %s (%s)", target, event)
    raise NetworkRefused(target, "a local operation")


def _enter() -> None:
    """Install the audit hook once, and switch rdflib's graph loading off while guarded."""
    global _hook_installed, _active, _saved_load_graphs
    # Only an rdflib that is already loaded can evaluate SPARQL in the block (its graph
    # exists before the guard starts); importing it here would cost the Oxigraph path.
    sparql = sys.modules.get("rdflib.plugins.sparql")
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True
        if _active == 0 and sparql is not None:
            _saved_load_graphs = sparql.SPARQL_LOAD_GRAPHS
            sparql.SPARQL_LOAD_GRAPHS = False
        _active += 1


def _leave() -> None:
    global _active, _saved_load_graphs
    sparql = sys.modules.get("rdflib.plugins.sparql")
    with _hook_lock:
        _active -= 1
        if _active == 0 and _saved_load_graphs is not None and sparql is not None:
            sparql.SPARQL_LOAD_GRAPHS = _saved_load_graphs
            _saved_load_graphs = None


@contextlib.contextmanager
def offline(
    allow_network: bool = False, *, what: str = "a local operation", option: str | None = None
) -> Iterator[None]:
    """Refuse outbound network access in this thread for the duration of the block.

    Args:
        allow_network: when true the block runs unguarded (the caller opted in).
        what: names the operation in the error (``"query"``, ``"SHACL validation"``).
        option: the option that allows network access, named in the error.

    Raises:
        NetworkRefused: something in the block tried to connect, resolve a host name or
            open a URL, whether or not the code in the block caught the refusal.
    """
    if allow_network:
        yield
        return
    _enter()
    outer = _state.attempts
    _state.attempts = []
    _state.depth += 1
    try:
        try:
            yield
        except NetworkRefused:
            raise NetworkRefused(
                _state.attempts[0] if _state.attempts else "the network", what, option
            ) from None
        except Exception:
            if _state.attempts:  # the refusal surfaced as some other error
                raise NetworkRefused(_state.attempts[0], what, option) from None
            raise
        if _state.attempts:  # the refusal was swallowed: the answer cannot be trusted
            raise NetworkRefused(_state.attempts[0], what, option)
    finally:
        _state.depth -= 1
        outer.extend(_state.attempts)
        _state.attempts = outer
        _leave()


def guarded(what: str, option: str | None = None) -> Callable[[F], F]:
    """Decorate a function taking ``allow_network=`` so it runs inside :func:`offline`."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with offline(bool(kwargs.get("allow_network", False)), what=what, option=option):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
