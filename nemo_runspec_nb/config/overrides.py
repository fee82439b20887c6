"""Checked, Hydra-style overrides: dotlists and YAML mappings.

Grammar of one dotlist token (``key`` is ``seg(.seg)*``, each segment may be
followed by ``[N]`` list indices; ``a.list.0`` also indexes a list)::

    a.b=VALUE      set a key that exists (else OverrideError with "did you mean")
    +a.b=VALUE     add a key that does not exist yet (error if it does)
    ++a.b=VALUE    add or replace
    ~a.b           delete a key (``~a.b=VALUE`` only if it currently equals VALUE)

VALUE is parsed as YAML: ``x=[1,2]``, ``y={k: 1}``, ``z='quoted str'``,
``n=null``, ``lr=1e-3``; an empty value is the empty string; text YAML cannot
parse (``msg=@home``) stays a string unless it opens a list, mapping or quote.
Setting a mapping onto a mapping merges key by key, like Hydra.

A YAML mapping (a notebook cell body) goes through the same checks: nested
mappings are followed as long as the config has a mapping there, so
``{train: {lr: 0.1}}`` is the override ``train.lr=0.1``; mapping keys may carry
the ``+``/``++``/``~`` prefixes and dots (``"+train.new_key": 1``).

Two modes decide what ``a.b=VALUE`` does when ``a.b`` is not in the config:
``"strict"`` (the default) raises; ``"open"`` adds it, for a partial YAML over
a config the recipe builds in code, unless the missing name is one or two
edits away from an existing sibling (``micro_batch_sise`` next to
``micro_batch_size``): a typo stays an error in both modes, and ``+a.b=VALUE``
adds it anyway. Every key an override creates is reported to ``on_new``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import OverrideError, did_you_mean, suggest
from ..runspec._models import OVERRIDE_MODES, OverrideMode
from ._tree import all_keys, deep_copy, join_key, merge_into, record_tree
from ._yaml import is_unusable, parse_yaml_text, yaml_error_line, yaml_problem
from .provenance import ProvenanceRecorder

__all__ = [
    "OVERRIDE_MODES",
    "Override",
    "OverrideMode",
    "OverrideSet",
    "apply_dotlist_overrides",
    "apply_mapping_overrides",
    "parse_override",
]

OverrideOp = Literal["set", "add", "force_add", "delete"]
Segment = str | int
NewKeyCallback = Callable[[str], None]
_NO_VALUE: Any = object()
_KEY_STOP = frozenset(".[]=")
#: A list index: ASCII digits only ("²".isdigit() is true, int("²") fails), at most 18 of them.
_INDEX_RE = re.compile(r"-?[0-9]{1,18}")


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


def parse_override(token: str) -> Override:
    """Parse one dotlist token (see the module docstring for the grammar)."""
    if not isinstance(token, str):
        raise OverrideError(
            f"an override must be a string, not {type(token).__name__}: {token!r}", key=str(token)
        )
    op: OverrideOp
    if token.startswith("++"):
        op, start = "force_add", 2
    elif token.startswith("+"):
        op, start = "add", 1
    elif token.startswith("~"):
        op, start = "delete", 1
    else:
        op, start = "set", 0
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


# --------------------------------------------------------------------------- applying


def _describe(path: Sequence[Segment]) -> str:
    out = ""
    for seg in path:
        out = f"{out}[{seg}]" if isinstance(seg, int) else join_key(out, seg)
    return out


def _child_key(node: Any, seg: Segment, override: Override, depth: int, create: bool) -> Any:
    """The key/index under which ``seg`` lives in ``node`` (raises a helpful OverrideError)."""
    where = _describe(override.path[:depth]) or "the config root"
    if isinstance(node, dict):
        if seg in node:
            return seg
        if isinstance(seg, str) and _as_index(seg) in node:
            return _as_index(seg)
        if isinstance(seg, int) and str(seg) in node:
            return str(seg)
        if create:
            return seg
        raise _missing_key(override, depth, node)
    if isinstance(node, list):
        if isinstance(seg, str):
            index = _as_index(seg)
            if index is None:
                raise OverrideError(
                    f"override '{override}': '{where}' is a list; '{seg}' is not an index",
                    key=override.key,
                    hint=f"Use an index, e.g. {_describe(override.path[:depth])}[0]",
                )
            seg = index
        if -len(node) <= seg < len(node):
            return seg
        raise OverrideError(
            f"override '{override}': index {seg} is out of range for '{where}' (length {len(node)})",
            key=override.key,
            hint=f"Valid indices are 0..{len(node) - 1}" if node else "The list is empty",
        )
    raise OverrideError(
        f"override '{override}': '{where}' is a {type(node).__name__} value, not a mapping or list",
        key=override.key,
        hint=f"Set '{where}' itself, or use ++{override.key}=... to replace it",
    )


def _missing_key(override: Override, depth: int, node: Mapping[Any, Any]) -> OverrideError:
    prefix = _describe(override.path[:depth])
    wanted = _describe(override.path[: depth + 1])
    siblings = [join_key(prefix, k) for k in node]
    found = suggest(wanted, siblings) or suggest(override.key, all_keys(node, prefix))
    parts = [f"Did you mean '{found[0]}'?"] if found else []
    if override.op == "set":
        parts.append(f"To add a new key use '+{override.token or override.key}'")
        if not found:
            parts.append("(or allow new keys for the run: open overrides, e.g. --overrides open)")
    return OverrideError(
        f"override '{override}': key '{wanted}' is not in the config", key=override.key, hint=" ".join(parts)
    )


def _edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) turning ``a`` into ``b``."""
    previous: list[int] = []
    current = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        before, previous, current = previous, current, [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
    return current[len(b)]


def _typo_of(name: str, siblings: Sequence[Any]) -> str | None:
    """The existing sibling ``name`` is most likely a misspelling of, if any.

    Close means one edit for names up to 7 characters, two for longer ones,
    ignoring case: ``lrr``/``lr`` and ``micro_batch_sise``/``micro_batch_size``
    are typos, ``max_lr``/``min_lr`` and ``global_batch_size``/``micro_batch_size``
    are different keys.
    """
    limit = 1 if len(name) <= 7 else 2
    best: tuple[int, str] | None = None
    for sibling in siblings:
        text = str(sibling)
        if abs(len(text) - len(name)) > limit:
            continue
        distance = _edit_distance(name.lower(), text.lower())
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, text)
    return best[1] if best is not None else None


def _may_add(node: Any, override: Override, depth: int, mode: OverrideMode) -> bool:
    """Open mode: may ``override`` create the missing key at ``depth`` of ``node``? (raises for a typo)."""
    if mode != "open" or override.op != "set" or not isinstance(node, dict):
        return False
    seg = override.path[depth]
    close = _typo_of(str(seg), list(node))
    if close is None:
        return True
    prefix = _describe(override.path[:depth])
    wanted = _describe(override.path[: depth + 1])
    raise OverrideError(
        f"override '{override}': key '{wanted}' is not in the config",
        key=override.key,
        hint=f"Did you mean '{join_key(prefix, close)}'? A name this close to an existing key is "
        f"not added as a new key; to add it anyway use '+{override.token or override.key}'",
    )


def apply_override(
    data: dict[str, Any],
    override: Override,
    record: Any = None,
    *,
    mode: OverrideMode = "strict",
    on_new: NewKeyCallback | None = None,
) -> None:
    """Apply one parsed override to a plain config dict, in place.

    ``mode="open"`` lets ``key=value`` add a key the config lacks (see the
    module docstring); ``on_new`` gets the dotted key of the top-most key the
    override created, whatever the mode.
    """
    create = override.op in ("add", "force_add")
    node: Any = data
    prov_parts: list[str] = []
    in_list = False
    created: str | None = None
    for depth, seg in enumerate(override.path[:-1]):
        missing = isinstance(node, dict) and _child_key(node, seg, override, depth, True) not in node
        key = _child_key(
            node, seg, override, depth, create or (missing and _may_add(node, override, depth, mode))
        )
        if not in_list:
            if isinstance(node, list):
                in_list = True
            else:
                prov_parts.append(str(key))
        if isinstance(node, dict) and key not in node:
            node[key] = {}
            if created is None and not in_list:
                created = ".".join(prov_parts)
        node = node[key]
    last = override.path[-1]
    depth = len(override.path) - 1
    exists_key = _child_key(node, last, override, depth, create=True) if isinstance(node, dict) else None
    exists = isinstance(node, dict) and exists_key in node
    if isinstance(node, list):
        exists_key = _child_key(node, last, override, depth, create=False)
        exists = True
        in_list = True
    elif not isinstance(node, dict):
        _child_key(node, last, override, depth, create=False)  # raises: not a container
    if not in_list:
        prov_parts.append(str(exists_key))
    prov_key = ".".join(prov_parts)

    if override.op == "delete":
        if not exists:
            raise _missing_key(override, depth, node)
        if override.has_value and node[exists_key] != override.value:
            raise OverrideError(
                f"override '{override}': '{override.key}' is {node[exists_key]!r}, not {override.value!r}",
                key=override.key,
                hint=f"Use ~{override.key} to delete it whatever its value",
            )
        del node[exists_key]
        return
    if override.op == "set" and not exists and not _may_add(node, override, depth, mode):
        raise _missing_key(override, depth, node)
    if not exists and not in_list and created is None:
        created = prov_key
    if created is not None and on_new is not None:
        on_new(created)
    if override.op == "add" and exists:
        raise OverrideError(
            f"override '{override}': key '{override.key}' already exists",
            key=override.key,
            hint=f"Use {override.key}=... to change it, or ++{override.key}=... to add or replace",
        )
    value = deep_copy(override.value)
    current = node[exists_key] if exists else None
    if in_list:
        node[exists_key] = value
        if record is not None:
            record(prov_key)
    elif isinstance(current, dict) and isinstance(value, dict) and value:
        merge_into(current, value, prov_key, record)
    else:
        node[exists_key] = value
        if record is not None:
            record_tree(value, prov_key, record)


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
        op: OverrideOp = "set"
        start = 0
        if text.startswith("++"):
            op, start = "force_add", 2
        elif text.startswith("+"):
            op, start = "add", 1
        elif text.startswith("~"):
            op, start = "delete", 1
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


def apply_overrides_data(
    data: dict[str, Any],
    entries: Sequence[str | Override] | Mapping[str, Any] | str,
    *,
    record: Any = None,
    mode: OverrideMode = "strict",
    on_new: NewKeyCallback | None = None,
) -> list[Override]:
    """Apply dotlist tokens, a mapping or YAML text to a plain dict in place; returns what was applied."""
    if isinstance(entries, (Mapping, str)):
        parsed = mapping_to_overrides(entries, data)
    else:
        parsed = [e if isinstance(e, Override) else parse_override(e) for e in entries]
    for override in parsed:
        apply_override(data, override, record, mode=mode, on_new=on_new)
    return parsed


def check_override_mode(value: Any, *, key: str = "overrides") -> OverrideMode:
    """``value`` if it is ``"strict"`` or ``"open"``, else an OverrideError naming ``key``."""
    if value in OVERRIDE_MODES:
        return value  # type: ignore[no-any-return]
    hint = " ".join(p for p in (did_you_mean(str(value), OVERRIDE_MODES), "Use 'strict' or 'open'") if p)
    raise OverrideError(f"{key} = {value!r} is not an override mode", key=key, hint=hint)


def _to_plain(config: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(config, DictConfig):
        plain = OmegaConf.to_container(config, resolve=False)
        assert isinstance(plain, dict)
        return plain  # type: ignore[return-value]
    copied = deep_copy(config)
    assert isinstance(copied, dict)
    return copied


def apply_dotlist_overrides(
    config: DictConfig | Mapping[str, Any],
    dotlist: Sequence[str],
    *,
    source: str = "cli",
    provenance: ProvenanceRecorder | None = None,
    mode: OverrideMode = "strict",
) -> DictConfig:
    """Apply Hydra-style dotlist overrides; returns a new config (the input is not modified).

    ``mode="open"`` adds keys the config lacks (typos of existing keys still
    raise); ``provenance`` also learns which keys are new.

    Raises:
        OverrideError: a malformed token (naming it and the position) or a key
            the config does not have (naming it, with the closest real key).

    """
    data = _to_plain(config)
    record = provenance.recorder(f"override:{source}") if provenance is not None else None
    on_new = provenance.mark_new if provenance is not None else None
    apply_overrides_data(data, list(dotlist), record=record, mode=check_override_mode(mode), on_new=on_new)
    return overridden_config(data)


def apply_mapping_overrides(
    config: DictConfig | Mapping[str, Any],
    mapping: Mapping[str, Any] | str,
    *,
    source: str = "cell",
    provenance: ProvenanceRecorder | None = None,
    mode: OverrideMode = "strict",
) -> DictConfig:
    """Apply overrides given as a YAML mapping (or YAML text, e.g. a cell body), with the same checks."""
    data = _to_plain(config)
    record = provenance.recorder(f"override:{source}") if provenance is not None else None
    on_new = provenance.mark_new if provenance is not None else None
    apply_overrides_data(data, mapping, record=record, mode=check_override_mode(mode), on_new=on_new)
    return overridden_config(data)


def overridden_config(data: dict[str, Any]) -> DictConfig:
    """``data`` (a config with overrides applied) as a ``DictConfig``; OverrideError if it cannot be one."""
    try:
        return OmegaConf.create(data)
    except OmegaConfBaseException as exc:  # e.g. a value a Python mapping override brought in
        key = str(getattr(exc, "full_key", "") or "") or None
        raise OverrideError(
            f"an override made the config invalid: {str(exc).splitlines()[0]}",
            key=key,
            hint="Give that key a string, number, boolean, null, list or mapping",
        ) from None
