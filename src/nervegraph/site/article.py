"""Quotes shown in their article's text: locate a quote, cut the excerpt to mark.

Quotes match the text up to whitespace and typographic quotes (as the fidelity test
checks them); a match is mapped back to the original characters for ``<mark>``.
"""

from __future__ import annotations

from nervegraph.sources.text import QUOTE_FOLD, SectionText, normalise


def locate(body: str, quote: str) -> tuple[int, int] | None:
    """Return the ``(start, end)`` of ``quote`` in ``body`` up to whitespace and quotes."""
    norm_chars: list[str] = []
    index: list[int] = []
    in_space = False
    for i, char in enumerate(body.translate(QUOTE_FOLD)):
        if char.isspace():
            if not in_space and norm_chars:
                norm_chars.append(" ")
                index.append(i)
            in_space = True
            continue
        in_space = False
        norm_chars.append(char)
        index.append(i)
    wanted = normalise(quote)
    if not wanted:
        return None
    pos = "".join(norm_chars).find(wanted)
    if pos < 0:
        return None
    return index[pos], index[pos + len(wanted) - 1] + 1


def excerpt(section: SectionText, quote: str) -> tuple[str, int, int] | None:
    """Return ``(text, start, end)``: the paragraphs around ``quote`` and its span in them."""
    span = locate(section.body, quote)
    if span is None:
        return None
    start, end = span
    first = next((a for a, b in section.paragraphs if a <= start < b), 0)
    last = next((b for a, b in section.paragraphs if a < end <= b), len(section.body))
    return section.body[first:last], start - first, end - first
