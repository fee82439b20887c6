"""A fast reader for the plain TOML that ``# /// script`` blocks are written in.

``tomllib`` spends most of a cold ``discover()`` on blocks that use a small part of TOML:
``[tables]``, ``key = "string"``, integers, booleans and arrays of those (one line or several).
:func:`loads_subset` reads exactly that part and returns ``None`` for anything else (floats,
escapes, multi-line strings, inline tables, dotted or quoted keys, arrays of tables, nested
arrays, any redefinition), so the caller falls back to ``tomllib``: results and errors are
``tomllib``'s in every case, only faster in the common one. A property test compares the two.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = r"[A-Za-z0-9_-]+"
_SPACE = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*")  # blank lines, comments, indentation
_END = re.compile(r"[ \t]*(?:#[^\n]*)?(?:\n|\Z)")  # end of a line, with an optional comment
_PAIR = re.compile(rf"({_KEY})[ \t]*=[ \t]*")
_BASIC = re.compile(r'"([^"\\\x00-\x08\x0a-\x1f\x7f]*)"')
_LITERAL = re.compile(r"'([^'\x00-\x08\x0a-\x1f\x7f]*)'")
_WORD = re.compile(r"(true|false|[+-]?(?:0|[1-9][0-9]*))(?=[ \t,\]#\n]|\Z)")
_CONTROL_IN_COMMENT = re.compile(r"#[^\n]*[\x00-\x08\x0b-\x1f\x7f]")


# One match for the most common lines, blank and comment lines before them included:
# ``key = "value"`` / ``key = 'value'`` / ``key = 8`` / ``key = true`` and ``[table.header]``.
_SIMPLE_LINE = re.compile(
    r"(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*"
    rf"(?:({_KEY})[ \t]*=[ \t]*(?:"
    r'"([^"\\\x00-\x08\x0a-\x1f\x7f]*)"(?!")'
    r"|'([^'\x00-\x08\x0a-\x1f\x7f]*)'(?!')"
    r"|(true|false|[+-]?(?:0|[1-9][0-9]*))(?=[ \t#\n]|\Z))"
    rf"|\[[ \t]*({_KEY}(?:[ \t]*\.[ \t]*{_KEY})*)[ \t]*\])"
    r"[ \t]*(?:#[^\n]*)?(?:\n|\Z)"
)


class _Unsupported(Exception):
    """Outside the subset: let tomllib read it."""


def _scalar(text: str, pos: int) -> tuple[Any, int]:
    if text.startswith(('"""', "'''"), pos):
        raise _Unsupported
    for pattern in (_BASIC, _LITERAL):
        match = pattern.match(text, pos)
        if match:
            return match.group(1), match.end()
    match = _WORD.match(text, pos)
    if match is None:
        raise _Unsupported
    word = match.group(1)
    value: Any = word == "true" if word in ("true", "false") else int(word)
    return value, match.end()


def _value(text: str, pos: int) -> tuple[Any, int]:
    if not text.startswith("[", pos):
        return _scalar(text, pos)
    items: list[Any] = []
    pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
    while not text.startswith("]", pos):
        if text.startswith(("[", "{"), pos):
            raise _Unsupported
        item, pos = _scalar(text, pos)
        items.append(item)
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
        elif not text.startswith("]", pos):
            raise _Unsupported
    return items, pos + 1


def _table(root: dict[str, Any], path: str, defined: set[str]) -> dict[str, Any]:
    parts = path.split(".")
    if " " in path or "\t" in path:
        parts = [part.strip(" \t") for part in parts]
    name = ".".join(parts)
    if name in defined:
        raise _Unsupported  # a table defined twice: tomllib says where
    defined.add(name)
    table = root
    for part in parts:
        child = table.setdefault(part, {})
        if child.__class__ is not dict:
            raise _Unsupported
        table = child
    return table


def loads_subset(text: str) -> dict[str, Any] | None:
    """``tomllib.loads(text)`` for plain TOML, ``None`` when ``text`` leaves the subset."""
    if "\r" in text or _CONTROL_IN_COMMENT.search(text):
        return None
    root: dict[str, Any] = {}
    current = root
    defined: set[str] = set()
    pos = 0
    try:
        while True:
            simple = _SIMPLE_LINE.match(text, pos)
            if simple is not None:
                key, basic, literal, word, header = simple.groups()
                pos = simple.end()
                if header is not None:
                    current = _table(root, header, defined)
                elif key in current:
                    raise _Unsupported  # a duplicate key: tomllib says where
                elif basic is not None:
                    current[key] = basic
                elif literal is not None:
                    current[key] = literal
                else:
                    current[key] = word == "true" if word in ("true", "false") else int(word)
                continue
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= len(text) or text.startswith("#", pos):  # the end, or a last comment line
                return root
            if text.startswith("[", pos):
                raise _Unsupported  # every plain [header] line took the line match: [[x]], quoted keys ...
            pair = _PAIR.match(text, pos)
            if pair is None:
                raise _Unsupported
            key = pair.group(1)
            if key in current:
                raise _Unsupported  # a duplicate key: tomllib says where
            current[key], pos = _value(text, pair.end())
            end = _END.match(text, pos)
            if end is None:
                raise _Unsupported
            pos = end.end()
    except _Unsupported:
        return None
