"""Find PEP 723 inline-metadata blocks in a script's text.

The grammar is the canonical one from PEP 723: a block opens with
``# /// TYPE``, every content line is ``#`` or ``# `` + text, and it closes
with ``# ///``. The content pattern is greedy, so a ``# ///`` line followed
by more content lines (e.g. inside a TOML multi-line string) does not close
the block early: the last ``# ///`` of the comment run does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError

BLOCK_RE = re.compile(
    r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$",
)

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


def _strip_comment(line: str) -> str:
    return line[2:] if line.startswith("# ") else line[1:]


def find_blocks(text: str) -> list[Block]:
    """Every well-formed block of ``text`` (already normalized), in order."""
    blocks = []
    for match in BLOCK_RE.finditer(text):
        # Split on "\n" only: str.splitlines() would also cut at U+2028 and friends.
        lines = match.group("content").split("\n")[:-1]
        content = "".join(_strip_comment(line) + "\n" for line in lines)
        start_line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(match.group("type"), content, start_line))
    return blocks


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
