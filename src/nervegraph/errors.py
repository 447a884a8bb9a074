"""Exceptions raised by nervegraph; the CLI turns them into exit code 2."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

#: the longest message an error prints (excerpts of the input are cut to fit)
MAX_MESSAGE_CHARS = 480

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def bounded(text: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    r"""Return ``text`` safe to print: control characters escaped, at most ``limit`` characters.

    Messages quote the offending input (a parser's excerpt, a file name, a value), which
    may be megabytes long or hold control characters that rewrite the terminal; every
    error message goes through here (``NervegraphError.__str__``). Newlines and tabs become
    ``\n``/``\t`` too, so an error is one line. A cut is marked with ``…``.
    """
    text = str(text)
    if len(text) > 4 * limit:  # do not escape megabytes only to throw them away
        text = text[: 4 * limit]
        cut = True
    else:
        cut = False
    text = text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    text = _UNPRINTABLE.sub(_escape, text)
    if cut or len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class NervegraphError(Exception):
    """Base class of every error nervegraph raises on purpose.

    Its text is :func:`bounded`: however long or binary the input it quotes, the message
    is one printable line of at most :data:`MAX_MESSAGE_CHARS` characters.
    """

    def __str__(self) -> str:
        return bounded(super().__str__())


class InputError(NervegraphError):
    """An input file is missing, empty or malformed.

    Attributes:
        path: the offending file (or directory).
        line: 1-based line of the problem, when known.
        column: 1-based column of the problem, when known.
        message: what is wrong, in the parser's words where it gave any.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        from pathlib import Path  # here: `nervegraph --help` does without pathlib

        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = bounded(self.path, 160)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {bounded(self.message, MAX_MESSAGE_CHARS - len(where) - 2)}"

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by constructor arguments (errors cross process boundaries)."""
        return (_rebuild_input_error, (str(self.path), self.message, self.line, self.column))


def _rebuild_input_error(
    path: str, message: str, line: int | None, column: int | None
) -> InputError:
    return InputError(path, message, line=line, column=column)


class QueryError(NervegraphError):
    """A stored or ad-hoc SPARQL query cannot be found, parsed or run."""


class ParameterError(QueryError):
    """A query parameter is missing, unknown or has an invalid value.

    Attributes:
        parameter: the name of the offending parameter.
    """

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by constructor arguments."""
        return (type(self), (self.parameter, str(self)))


class OutputError(NervegraphError):
    """The output file cannot be written (missing parent, a directory, no permission).

    Attributes:
        path: the output path.
    """

    def __init__(self, path: str | Path, message: str) -> None:
        from pathlib import Path  # here: `nervegraph --help` does without pathlib

        self.path = Path(path)
        self.message = message
        super().__init__(f"{path}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by constructor arguments."""
        return (type(self), (str(self.path), self.message))


class ServerError(NervegraphError):
    """The local SPARQL server cannot be started or died (port in use, binary missing)."""


class RemoteError(NervegraphError):
    """A remote SPARQL endpoint or graph store is unreachable, timed out or refused a request.

    Attributes:
        url: the endpoint that failed.
    """

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(f"{url}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by constructor arguments."""
        return (type(self), (self.url, self.message))


class NetworkRefused(NervegraphError):
    """A local operation tried to reach the network, which nervegraph refuses by default.

    Attributes:
        target: what would have been contacted (a URL or ``host:port``).
        option: the option that allows it, for the message (e.g. ``--allow-network``).
    """

    def __init__(self, target: str, what: str, option: str | None = None) -> None:
        self.target = target
        self.option = option
        self.what = what
        hint = f"; pass {option} to allow it" if option else ""
        super().__init__(
            f"{what} tried to contact {target}; nervegraph works offline by default{hint}"
        )

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by constructor arguments."""
        return (type(self), (self.target, self.what, self.option))


class DeadlineExceeded(NervegraphError):
    """A validation or local query ran longer than its timeout and was stopped.

    Attributes:
        seconds: the timeout that was exceeded.
    """

    def __init__(self, what: str, seconds: float, option: str = "--timeout") -> None:
        self.seconds = seconds
        self.what = what
        self.option = option
        super().__init__(
            f"{what} did not finish within {seconds:g} s and was stopped "
            f"(raise the limit with {option} SECONDS)"
        )

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by constructor arguments."""
        return (type(self), (self.what, self.seconds, self.option))
