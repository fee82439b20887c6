"""Plain-container helpers shared by the config modules: merge, flatten, dotted keys.

Everything here works on ``dict``/``list`` trees as parsed from YAML/TOML. The
merge follows ``OmegaConf.merge`` for plain containers: mappings merge key by
key, everything else (lists included) is replaced, and a ``???`` (missing)
value never erases a value that is already set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

MISSING = "???"

Recorder = Callable[[str], None]


def join_key(prefix: str, key: object) -> str:
    """``a.b`` + ``c`` -> ``a.b.c``."""
    return f"{prefix}.{key}" if prefix else str(key)


def iter_leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(dotted_key, value)`` for every leaf; lists and empty mappings are leaves."""
    if isinstance(obj, Mapping) and obj:
        for key, value in obj.items():
            yield from iter_leaves(value, join_key(prefix, key))
    elif prefix:
        yield prefix, obj


def record_tree(obj: Any, prefix: str, record: Recorder) -> None:
    """Call ``record`` for every leaf key of ``obj`` placed at ``prefix``."""
    if isinstance(obj, Mapping) and obj:
        for key, value in obj.items():
            record_tree(value, join_key(prefix, key), record)
    elif prefix:
        record(prefix)


def merge_into(
    dst: dict[Any, Any], src: Mapping[Any, Any], prefix: str = "", record: Recorder | None = None
) -> None:
    """Merge ``src`` into ``dst`` in place; ``record(key)`` is called for each leaf written.

    ``dst`` never shares a mapping with ``src`` afterwards (new mappings are
    copied), so later in-place edits of the result leave ``src`` alone.
    """
    for key, value in src.items():
        if isinstance(value, Mapping):
            current = dst.get(key)
            if not isinstance(current, dict):
                current = {}
                dst[key] = current
                if not value and record is not None:
                    record(join_key(prefix, key))
            merge_into(current, value, join_key(prefix, key), record)
        else:
            if value == MISSING and key in dst:
                continue
            dst[key] = value
            if record is not None:
                record(join_key(prefix, key))


def deep_copy(obj: Any) -> Any:
    """Copy mappings and lists (scalars are immutable)."""
    if isinstance(obj, Mapping):
        return {k: deep_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [deep_copy(v) for v in obj]
    return obj


def all_keys(obj: Any, prefix: str = "") -> list[str]:
    """Every dotted key of ``obj`` (inner nodes and leaves), for "did you mean"."""
    keys: list[str] = []
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            full = join_key(prefix, key)
            keys.append(full)
            keys.extend(all_keys(value, full))
    return keys
