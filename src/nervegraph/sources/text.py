"""Article texts: where a source's text file is, its normalised form, its sections.

The one owner of reading an article's text: the source check
(:mod:`nervegraph.sources.check`), the scaffold (:mod:`nervegraph.sources.scaffold`) and
the documentation site all call it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: typographic quotes as their ASCII forms, before any comparison with a quote
QUOTE_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Fold whitespace runs to one space and typographic quotes to ASCII; strip."""
    return _SPACE.sub(" ", text.translate(QUOTE_FOLD)).strip()


def default_source_dirs() -> list[Path]:
    """Directories searched for ``<ng:sourceFile>``: the project's sources, ../shared/source.

    First the current project's sources directory (:func:`nervegraph.resources.source_dirs`),
    then ``$NERVEGRAPH_SOURCE``'s directory, then ``../shared/source`` relative to the
    checkout the package runs from (an editable install) and to the checkout the
    current directory is in.
    """
    from nervegraph.resources import source_dirs

    dirs: list[Path] = list(source_dirs())
    override = os.environ.get("NERVEGRAPH_SOURCE")
    if override:
        dirs.append(Path(override).parent)
    package_root = Path(__file__).resolve().parents[3]
    for root in (package_root, *(p for p in (Path.cwd(), *Path.cwd().parents))):
        if (root / "pyproject.toml").is_file():
            dirs.append(root.parent / "shared" / "source")
            if root != package_root:
                break
    unique: dict[Path, None] = dict.fromkeys(d.resolve() for d in dirs)
    return list(unique)


def text_candidates(
    file_name: str, declared_in: Iterable[Path] = (), dirs: Iterable[Path] = ()
) -> list[Path]:
    """Return where the text file ``file_name`` may be, in the order to try.

    ``dirs`` first, then :func:`default_source_dirs`, then beside each data file that
    declares the article, in its project's ``sources/`` and in ``../shared/source``.
    """
    candidates = [Path(d) / file_name for d in dirs]
    candidates += [d / file_name for d in default_source_dirs()]
    for data_file in declared_in:
        here = Path(data_file).resolve().parent
        candidates += [
            here / file_name,
            here.parent / "sources" / file_name,
            here.parent.parent / "shared" / "source" / file_name,
        ]
    return list(dict.fromkeys(candidates))


def find_text(file_name: str, sha256: str | None, dirs: Iterable[Path]) -> tuple[str | None, str]:
    """Return ``(text, note)`` for the article file ``file_name``.

    The first file of that name in ``dirs`` whose SHA-256 equals ``sha256`` (when given)
    is read. ``text`` is ``None`` when there is none; ``note`` then says why.
    """
    tried = []
    for directory in dirs:
        path = directory / file_name
        tried.append(str(path))
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if sha256 and hashlib.sha256(raw).hexdigest() != sha256:
            return None, f"{file_name}: the text found differs from the recorded SHA-256"
        return raw.decode("utf-8"), ""
    return None, f"{file_name}: text file not found"


@dataclass
class SectionText:
    """One section's body: its paragraphs (original text) and their offsets."""

    heading: str
    body: str = ""
    found: bool = False
    paragraphs: list[tuple[int, int]] = field(default_factory=list)


def split_sections(text: str, headings: list[str]) -> list[SectionText]:
    """Split ``text`` by ``headings`` (in order); each heading is a whole line of the text.

    A heading is looked for after the previous one; one not found gets an empty body.
    The body runs to the next found heading's line.
    """
    lines = text.splitlines(keepends=True)
    starts: list[int | None] = []
    cursor = 0
    for heading in headings:
        wanted = normalise(heading)
        hit = next((i for i in range(cursor, len(lines)) if normalise(lines[i]) == wanted), None)
        starts.append(hit)
        if hit is not None:
            cursor = hit + 1
    out = []
    for k, heading in enumerate(headings):
        start = starts[k]
        if start is None:
            out.append(SectionText(heading))
            continue
        end = next((s for s in starts[k + 1 :] if s is not None), len(lines))
        body = "".join(lines[start + 1 : end]).strip("\n")
        out.append(SectionText(heading, body, True, _paragraphs(body)))
    return out


def _paragraphs(body: str) -> list[tuple[int, int]]:
    spans = []
    for match in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", body):
        if match.group().strip():
            spans.append((match.start(), match.end()))
    return spans
