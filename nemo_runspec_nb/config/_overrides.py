"""Checked, Hydra-style overrides applied to a config (the syntax is in :mod:`._override_syntax`).

Setting a mapping onto a mapping merges key by key, like Hydra. A YAML mapping
goes through the same checks as dotlist tokens.

Two modes decide what ``a.b=VALUE`` does when ``a.b`` is not in the config:
``"strict"`` (the default) raises; ``"open"`` adds it, for a partial YAML over
a config the recipe builds in code, unless the missing name is one or two
edits away from an existing sibling (``micro_batch_sise`` next to
``micro_batch_size``): a typo stays an error in both modes, and ``+a.b=VALUE``
adds it anyway. Every key an override creates is reported to ``on_new``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import ConfigError, OverrideError, did_you_mean, suggest
from ..runspec._models import OVERRIDE_MODES, OverrideMode
from ._override_syntax import (
    Override,
    Segment,
    _as_index,
    _describe,
    mapping_to_overrides,
    parse_override,
)
from ._provenance import ProvenanceRecorder
from ._tree import all_keys, deep_copy, join_key, merge_into, record_tree

__all__ = [
    "OVERRIDE_MODES",
    "OverrideMode",
    "apply_dotlist_overrides",
    "apply_mapping_overrides",
    "apply_overrides_data",
    "check_override_mode",
    "overridden_config",
    "plain_config",
]

NewKeyCallback = Callable[[str], None]

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



def plain_config(config: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    """A config as a plain dict of its own (interpolations unresolved); ConfigError for a non-mapping."""
    if isinstance(config, DictConfig):
        data = OmegaConf.to_container(config, resolve=False)
    else:
        data = deep_copy(config)
    if not isinstance(data, dict):
        raise ConfigError(f"a job config must be a mapping, not {type(data).__name__}")
    return data  # type: ignore[return-value]


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
    data = plain_config(config)
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
    data = plain_config(config)
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
