"""Find PEP 723 inline-metadata blocks in a script's text.

The grammar is the canonical one from PEP 723: a block opens with
``# /// TYPE``, every content line is ``#`` or ``# `` + text, and it closes
with ``# ///``. The content pattern is greedy, so a ``# ///`` line followed
by more content lines (e.g. inside a TOML multi-line string) does not close
the block early: the last ``# ///`` of the comment run does.

:func:`find_blocks` finds exactly what PEP 723's reference regular
expression (:data:`BLOCK_RE`) finds, but in one pass over the lines: the
regular expression backtracks over the rest of a comment run at every
opener, which is quadratic in a file of many ``# /// script`` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError

BLOCK_RE = re.compile(
    r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$",
)

_OPENER_RE = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)\n")
#: The start of the first line that is not a content line (``#`` or ``# text``, then a newline).
_NOT_CONTENT_RE = re.compile(r"(?m)^(?!#\n|# [^\n]*\n)")
_CLOSER = "# ///"

#: Bytes every script with a ``script`` block contains; cheap pre-filter.
SCRIPT_MARKER = b"# /// script"


@dataclass(frozen=True)
class Block:
    """One metadata block: its type, its TOML text and where it sits."""

    type: str
    toml: str
    #: 1-based line number of the ``# /// TYPE`` opening line in the script.
    start_line: int

    def script_line(self, toml_line: int) -> int:
        """Map a 1-based line of :attr:`toml` to its line in the script."""
        return self.start_line + toml_line


def normalize_text(text: str) -> str:
    """Drop a UTF-8 BOM and turn CRLF / CR line endings into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_CONTENT_PREFIX_RE = re.compile(r"^# ?", re.MULTILINE)


def find_blocks(text: str) -> list[Block]:
    """Every well-formed block of ``text`` (already normalized), in order.

    Linear time: for an opener, the block ends at the last ``# ///`` line of
    the comment run after it (what the greedy :data:`BLOCK_RE` picks). When
    there is none, no later opener of that run has one either, so the scan
    goes on after the run instead of trying each of them.
    """
    blocks: list[Block] = []
    pos = 0
    line = 1  # the line number of ``counted``
    counted = 0
    while True:
        opener = _OPENER_RE.search(text, pos)
        if opener is None:
            return blocks
        first = opener.end()  # the first content line
        run_end = _NOT_CONTENT_RE.search(text, first)
        stop = run_end.start() if run_end is not None else len(text)
        close = _last_closer(text, first, stop)
        if close is None:
            pos = max(stop, first)
            continue
        line += text.count("\n", counted, opener.start())
        counted = opener.start()
        # Every content line is "#" or "# ..." and ends with "\n": drop the prefix of each.
        body = _CONTENT_PREFIX_RE.sub("", text[first:close])
        blocks.append(Block(opener.group("type"), body, line))
        pos = close + len(_CLOSER)


def _last_closer(text: str, first: int, stop: int) -> int | None:
    """Start of the last ``# ///`` line after at least one content line from ``first``, up to ``stop``.

    Lines ``first .. stop`` are content lines (each ends with a newline); the
    line at ``stop`` is not, but may still close the block when it is the
    file's last line, without a newline.
    """
    if stop > first and text.endswith(_CLOSER) and len(text) - len(_CLOSER) == stop:
        return stop
    found = text.rfind(f"\n{_CLOSER}\n", first, stop)
    return found + 1 if found >= 0 else None


def script_block(text: str, path: Path | None = None) -> Block | None:
    """The single ``script`` block of ``text``, or None when there is none.

    Two ``script`` blocks are an error, as PEP 723 requires.
    """
    found = [b for b in find_blocks(text) if b.type == "script"]
    if len(found) > 1:
        raise SpecError(
            f"two '# /// script' blocks (lines {found[0].start_line} and {found[1].start_line})",
            path=path,
            line=found[1].start_line,
            hint="PEP 723 allows one script block per file: merge them into one",
        )
    return found[0] if found else None
