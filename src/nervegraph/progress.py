"""Progress on stderr for work that can take more than a couple of seconds.

The one place that decides whether and how progress is shown; commands and library
functions call :func:`track` (a loop over known items) or :func:`status` (one step of
unknown length). A bar is drawn (with tqdm) only when standard error is a terminal, so
pipes, CI logs, ``2>file`` and tests see no progress output at all; set
``NERVEGRAPH_PROGRESS=0`` to switch it off on a terminal too. The bar is removed when
the work is done, so what stays on the screen is the command's own output.

Nothing here imports tqdm until a bar is actually drawn (``nervegraph --help`` stays
light, ``tests/test_startup.py``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

#: environment variable: ``0`` switches progress off even on a terminal
ENV_PROGRESS = "NERVEGRAPH_PROGRESS"

__all__ = ["ENV_PROGRESS", "enabled", "status", "track"]


def enabled() -> bool:
    """Whether progress is drawn: stderr is a terminal and ``$NERVEGRAPH_PROGRESS`` is not 0."""
    if os.environ.get(ENV_PROGRESS, "").strip() in ("0", "false", "no", "off"):
        return False
    stream = sys.stderr
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def _bar(**kwargs: Any) -> Any:
    from tqdm import tqdm

    class Bar(tqdm):  # type: ignore[type-arg,misc]
        # No monitor thread: validation forks its worker (guards.call_with_timeout), and
        # a thread alive at a fork can leave a lock held in the child.
        monitor_interval = 0

    return Bar(file=sys.stderr, leave=False, dynamic_ncols=True, **kwargs)


def track(
    items: Iterable[T],
    what: str,
    *,
    total: int | None = None,
    unit: str = "item",
    note: Callable[[T], str] | None = None,
) -> Iterator[T]:
    """Yield ``items`` while a bar ``what: 3/10 unit`` counts them on a terminal.

    Args:
        items: the work, one item per step.
        what: what is being done ("checking mappings").
        total: the number of items (default: ``len(items)`` when it has one).
        unit: what one item is ("row", "graph").
        note: text shown after the bar for the current item (e.g. its terminology).
    """
    if not enabled():
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    bar = _bar(desc=what, total=total, unit=f" {unit}")
    shown = None
    try:
        for item in items:
            if note is not None and note(item) != shown:
                shown = note(item)
                bar.set_postfix_str(shown)  # before the item's work: it may be the slow one
            yield item
            bar.update(1)
    finally:
        bar.close()


@contextlib.contextmanager
def status(what: str) -> Iterator[None]:
    """Show ``what…`` on a terminal while the block runs (one step of unknown length)."""
    if not enabled():
        yield
        return
    bar = _bar(desc=f"{what}…", total=None, bar_format="{desc} {elapsed}")
    try:
        bar.refresh()
        yield
    finally:
        bar.close()
