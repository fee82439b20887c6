"""Find the line of a key inside a TOML document, for error messages.

Only used when something is wrong, so it favours clarity over speed. It
understands table headers (``[a.b]``, ``[[a]]``), bare, quoted and dotted
keys, and falls back to the closest enclosing table or inline table.
"""

from __future__ import annotations

import re

# No lazy group followed by optional spaces: that backtracks quadratically on a long line without "]".
_HEADER_RE = re.compile(r"^\s*\[\[?(?P<path>[^\]]*)\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(
    r"^\s*(?P<key>(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="
)
_PART_RE = re.compile(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)")


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(a or b or c for a, b, c in _PART_RE.findall(text))


def key_line(toml: str, path: tuple[str, ...]) -> int | None:
    """1-based line of ``path`` (e.g. ``("tool", "runspec", "name")``) in ``toml``.

    Returns the line that sets the key itself when it can be found, else the
    line of the deepest enclosing table or inline table, else None.
    """
    table: tuple[str, ...] = ()
    best: tuple[int, int] | None = None  # (depth matched, line)
    for number, line in enumerate(toml.splitlines(), start=1):
        header = _HEADER_RE.match(line)
        if header and header.group("path").strip():
            table = _split_key(header.group("path"))
            full = table
        else:
            key = _KEY_RE.match(line)
            if not key:
                continue
            full = table + _split_key(key.group("key"))
        if full == path:
            return number
        depth = len(full)
        if depth < len(path) and path[:depth] == full and (best is None or depth > best[0]):
            best = (depth, number)
    return best[1] if best else None
