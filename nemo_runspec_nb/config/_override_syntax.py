"""Override syntax: dotlist tokens, YAML mappings and override text, parsed into :class:`Override`.

Grammar of one dotlist token (``key`` is ``seg(.seg)*``, each segment may be
followed by ``[N]`` list indices; ``a.list.0`` also indexes a list)::

    a.b=VALUE      set a key that exists (else OverrideError with "did you mean")
    +a.b=VALUE     add a key that does not exist yet (error if it does)
    ++a.b=VALUE    add or replace
    ~a.b           delete a key (``~a.b=VALUE`` only if it currently equals VALUE)

VALUE is parsed as YAML: ``x=[1,2]``, ``y={k: 1}``, ``z='quoted str'``,
``n=null``, ``lr=1e-3``; an empty value is the empty string; text YAML cannot
parse (``msg=@home``) stays a string unless it opens a list, mapping or quote.

A YAML mapping (a notebook cell body) becomes the same overrides: nested
mappings are followed as long as the config has a mapping there, so
``{train: {lr: 0.1}}`` is the override ``train.lr=0.1``; mapping keys may carry
the ``+``/``++``/``~`` prefixes and dots (``"+train.new_key": 1``). One op parser
(:func:`split_op`) reads the prefix of a token and of a mapping key alike.

Override text (a ``%%recipe`` cell, the form's free-text box) is either dotlist
lines or a YAML mapping (:func:`overrides_from_text`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from ..errors import ConfigError, OverrideError
from ._tree import join_key
from ._yaml import is_unusable, parse_yaml_text, yaml_error_line, yaml_problem

__all__ = [
    "Override",
    "OverrideSet",
    "has_path",
    "mapping_to_overrides",
    "override_sets",
    "overrides_from_text",
    "parse_override",
    "parse_value",
    "split_op",
]

OverrideOp = Literal["set", "add", "force_add", "delete"]
Segment = str | int
_NO_VALUE: Any = object()
_KEY_STOP = frozenset(".[]=")
#: A list index: ASCII digits only ("²".isdigit() is true, int("²") fails), at most 18 of them.
_INDEX_RE = re.compile(r"-?[0-9]{1,18}")
#: The prefixes of a token or mapping key and the op each asks for, longest first.
_OPS: tuple[tuple[str, OverrideOp], ...] = (("++", "force_add"), ("+", "add"), ("~", "delete"))
_COMMENT = re.compile(r"\s+#")


def _as_index(text: str) -> int | None:
    """``text`` as a list index, or None when it is not one."""
    return int(text) if _INDEX_RE.fullmatch(text) else None


@dataclass(frozen=True)
class Override:
    """One parsed override: what to do (``op``) to which ``key``, with which ``value``."""

    op: OverrideOp
    key: str
    path: tuple[Segment, ...]
    value: Any = None
    has_value: bool = True
    token: str = ""

    def __str__(self) -> str:
        return self.token or self.key


@dataclass(frozen=True)
class OverrideSet:
    """Overrides from one source (``cli``, ``cell``, ``widget``): dotlist tokens, a mapping or YAML text."""

    source: str
    entries: Sequence[str] | Mapping[str, Any] | str = field(default_factory=tuple)

    @property
    def label(self) -> str:
        """The provenance label, e.g. ``override:cli``."""
        return f"override:{self.source}"


def _printable(text: str) -> str:
    """``text`` with each unprintable character (NUL, ESC, ...) shown as U+FFFD, so positions hold."""
    return text if text.isprintable() else "".join(c if c.isprintable() else "\ufffd" for c in text)


def _malformed(token: str, position: int, why: str, hint: str = "") -> OverrideError:
    shown = _printable(token)
    pointer = f"{shown}\n{' ' * position}^"
    return OverrideError(
        f"malformed override '{shown}' at position {position}: {why}",
        key=token,
        hint=hint or f"Expected key=value, +key=value, ++key=value or ~key\n{pointer}",
    )


def _parse_key(token: str, start: int, stop: int) -> tuple[str, tuple[Segment, ...]]:
    """Parse ``token[start:stop]`` as a key; raises OverrideError naming the position."""
    text = token[start:stop]
    if not text:
        raise _malformed(token, start, "expected a key")
    path: list[Segment] = []
    i = start
    while True:
        seg_start = i
        while i < stop and token[i] not in _KEY_STOP and token[i].isprintable() and not token[i].isspace():
            i += 1
        if i < stop and token[i].isspace():
            raise _malformed(token, i, "whitespace in a key")
        if i < stop and not token[i].isprintable():
            raise _malformed(token, i, f"unprintable character U+{ord(token[i]):04X} in a key")
        segment = token[seg_start:i]
        if not segment:
            raise _malformed(token, i, "empty key segment")
        if segment[0] in "+~":
            raise _malformed(token, seg_start, f"unexpected '{segment[0]}' in a key")
        path.append(segment)
        while i < stop and token[i] == "[":
            close = token.find("]", i, stop)
            if close < 0:
                raise _malformed(token, i, "'[' without a closing ']'")
            index_text = token[i + 1 : close]
            index = _as_index(index_text.strip())
            if index is None:
                why = (
                    f"list index {index_text.strip()} is too large"
                    if re.fullmatch(r"-?[0-9]+", index_text.strip())
                    else f"list index must be an integer, not {index_text!r}"
                )
                raise _malformed(token, i + 1, why, hint="Write the index in digits, e.g. key[0] or key[-1]")
            path.append(index)
            i = close + 1
        if i >= stop:
            break
        if token[i] == ".":
            i += 1
            if i >= stop:
                raise _malformed(token, i, "empty key segment")
            continue
        raise _malformed(token, i, f"unexpected '{token[i]}'")
    return text, tuple(path)


def parse_value(text: str, *, token: str = "", offset: int = 0) -> Any:
    """Parse an override value as YAML (``""`` for an empty value)."""
    if text == "":
        return ""
    try:
        return parse_yaml_text(text)
    except yaml.YAMLError as exc:
        if is_unusable(exc):  # valid YAML no config can hold: a set, a null key, an alias bomb
            why, hint = yaml_problem(exc)
            raise _malformed(
                token or text, offset, f"value is not usable in a config ({why})", hint
            ) from None
        if text.lstrip()[:1] in ("[", "{", "'", '"'):
            mark = getattr(exc, "problem_mark", None)
            column = int(mark.column) if mark is not None and int(mark.line) == 0 else 0
            raise _malformed(
                token or text,
                offset + column,
                f"value is not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})",
                hint="Quote the whole value, e.g. key='...', or fix the brackets",
            ) from None
        return text



def split_op(text: str) -> tuple[OverrideOp, int]:
    """The op the prefix of a token or mapping key asks for, and where its key starts.

    ``"++a=1"`` -> ``("force_add", 2)``, ``"+a=1"`` -> ``("add", 1)``, ``"~a"`` -> ``("delete", 1)``,
    ``"a=1"`` -> ``("set", 0)``.
    """
    for prefix, op in _OPS:
        if text.startswith(prefix):
            return op, len(prefix)
    return "set", 0


def parse_override(token: str) -> Override:
    """Parse one dotlist token (see the module docstring for the grammar)."""
    if not isinstance(token, str):
        raise OverrideError(
            f"an override must be a string, not {type(token).__name__}: {token!r}", key=str(token)
        )
    op, start = split_op(token)
    eq = _find_equals(token, start)
    stop = eq if eq >= 0 else len(token)
    key, path = _parse_key(token, start, stop)
    if eq < 0:
        if op != "delete":
            raise _malformed(
                token, len(token), "missing '=VALUE'", hint=f"Write {token}=VALUE, or ~{key} to delete"
            )
        return Override(op, key, path, None, False, token)
    value = parse_value(token[eq + 1 :], token=token, offset=eq + 1)
    return Override(op, key, path, value, True, token)


def _find_equals(token: str, start: int) -> int:
    depth = 0
    for i in range(start, len(token)):
        ch = token[i]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif ch == "=" and depth == 0:
            return i
    return -1


def _describe(path: Sequence[Segment]) -> str:
    out = ""
    for seg in path:
        out = f"{out}[{seg}]" if isinstance(seg, int) else join_key(out, seg)
    return out

def _lookup(data: Any, path: Sequence[Segment]) -> Any:
    node = data
    for seg in path:
        if isinstance(node, dict):
            if seg in node:
                node = node[seg]
            elif isinstance(seg, str) and _as_index(seg) in node:
                node = node[_as_index(seg)]
            else:
                return _NO_VALUE
        elif isinstance(node, list):
            index = seg if isinstance(seg, int) else _as_index(seg)
            if index is None or not -len(node) <= index < len(node):
                return _NO_VALUE
            node = node[index]
        else:
            return _NO_VALUE
    return node


def has_path(data: Any, path: Sequence[Segment]) -> bool:
    """Whether ``data`` has a value at ``path`` (the segments of a parsed override)."""
    return _lookup(data, path) is not _NO_VALUE


def _mapping_overrides(
    mapping: Mapping[Any, Any], data: Mapping[str, Any], prefix: tuple[Segment, ...], out: list[Override]
) -> None:
    for raw_key, value in mapping.items():
        text = str(raw_key)
        op, start = split_op(text)
        _, path = _parse_key(text, start, len(text))
        full = (*prefix, *path)
        key = _describe(full)
        shown = f"{text[:start]}{key}"
        if op == "delete":
            out.append(Override(op, key, full, value, value is not None, shown))
            continue
        if op == "set" and isinstance(value, Mapping) and value and isinstance(_lookup(data, full), dict):
            _mapping_overrides(value, data, full, out)
            continue
        out.append(Override(op, key, full, value, True, f"{shown}={value!r}" if op == "set" else shown))


def mapping_to_overrides(mapping: Mapping[str, Any] | str, data: Mapping[str, Any]) -> list[Override]:
    """Turn a YAML mapping (or its text) into overrides, guided by the config ``data``."""
    if isinstance(mapping, str):
        try:
            parsed = parse_yaml_text(mapping)
        except yaml.YAMLError as exc:
            line = yaml_error_line(exc, mapping)
            why, hint = yaml_problem(exc)
            if not is_unusable(exc):
                hint = "Write one 'key: value' per line; nested keys may be indented or dotted"
            raise OverrideError(
                f"override cell is not {'usable' if is_unusable(exc) else 'valid YAML'} ({why})",
                line=line,
                key=f"line {line}" if line else None,
                hint=hint,
            ) from None
        if parsed is None:
            return []
        if not isinstance(parsed, Mapping):
            raise OverrideError(
                f"an override cell must be a YAML mapping, not a {type(parsed).__name__}",
                line=1,
                hint="Write 'key: value' lines, e.g. 'train.lr: 0.001'",
            )
        mapping = parsed
    out: list[Override] = []
    _mapping_overrides(mapping, data, (), out)
    return out



# --------------------------------------------------------------------------- override text


def overrides_from_text(text: str, source: str = "cell") -> OverrideSet:
    """Overrides written as text (a ``%%recipe`` cell body, the form's free-text box).

    Either dotlist lines (``a.b=1``, ``+new=x``, ``++k=v``, ``~gone``) or a
    YAML mapping (``a: {b: 1}``); ``#`` comments and blank lines are allowed.
    """
    lines = [line.strip() for line in text.splitlines()]
    content = [_strip_comment(line) for line in lines if line and not line.startswith("#")]
    if content and all(_is_token_line(line) for line in content):
        return OverrideSet(source, tuple(content))
    return OverrideSet(source, text if content else ())


def _is_token_line(line: str) -> bool:
    """Whether a line of override text reads as one dotlist token rather than YAML.

    ``key=...`` with no whitespace in ``key`` (which does not start with ``:``), or ``~key``.
    """
    key, eq, _ = line.partition("=")
    if not eq:
        return line.startswith("~") and len(line) > 1 and not any(c.isspace() for c in line)
    return bool(key) and key[0] != ":" and not any(c.isspace() for c in key)


def _strip_comment(line: str) -> str:
    # "a=1  # note" -> "a=1"; a '#' inside quotes or without a space before it is kept.
    match = _COMMENT.search(line)
    if match and line.count("'", 0, match.start()) % 2 == 0 and line.count('"', 0, match.start()) % 2 == 0:
        return line[: match.start()].rstrip()
    return line


def override_sets(overrides: Any, source: str) -> list[OverrideSet | str]:
    """What a caller passed as overrides, as :class:`OverrideSet` objects (plain CLI tokens stay strings).

    ``overrides`` may be None, one set, override text (:func:`overrides_from_text`), a mapping,
    or a list of dotlist strings or of sets; ``source`` labels the plain ones (``cli``, ``cell`` ...).
    """
    if overrides is None:
        return []
    if isinstance(overrides, OverrideSet):
        return [overrides]
    if isinstance(overrides, str):
        return [overrides_from_text(overrides, source)]
    if isinstance(overrides, Mapping):
        return [OverrideSet(source, dict(overrides))]
    items = list(overrides)
    if all(isinstance(o, OverrideSet) for o in items):
        return items
    if all(isinstance(o, str) for o in items):
        # Plain CLI tokens stay strings: they become the context's dotlist (run.cli.dotlist).
        return list(items) if source == "cli" else [OverrideSet(source, tuple(items))]
    raise ConfigError(
        "overrides must be dotlist strings, a YAML mapping or text, or OverrideSet objects",
        key="overrides",
        hint="e.g. overrides=['model.lr=0.1'] or overrides={'model': {'lr': 0.1}}",
    )
