"""Read what is under one artifact's directory, reporting every bad entry as a :class:`Damage`.

The tables call these instead of the strict readers of the registry: one unreadable
``manifest.json``, a ``latest`` file holding garbage or a stray ``v²`` directory is
returned as that entry's damage, and everything around it is still read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ._manifest import manifest_problem
from ._store import (
    UNCOMMITTED_REASON,
    Damage,
    Store,
    damage_reason,
    read_pointer,
    version_entries,
)

__all__ = [
    "LatestScan",
    "VersionsScan",
    "parse_manifest",
    "read_pointer_file",
    "scan_latest",
    "scan_versions",
]


def read_pointer_file(store: Store, path: str) -> tuple[int | None, Damage | None]:
    """The version a ``latest``/alias file names; ``(None, None)`` if it does not exist."""
    try:
        data = store.read_bytes(path)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, Damage(path, damage_reason(exc))
    number = read_pointer(data)
    if number is None:
        return None, Damage(path, f"holds {data[:24]!r}, expected a version such as 'v3'")
    return number, None


def parse_manifest(data: bytes, path: str, name: str, number: int) -> dict[str, Any] | Damage:
    """The manifest dict in ``data`` if it is well formed and is ``name:v{number}``, else a Damage."""
    parsed = _parse(data, name, number)
    return Damage(path, parsed, number) if isinstance(parsed, str) else parsed


def _parse(data: bytes, name: str, number: int) -> dict[str, Any] | str:
    """The manifest dict, or the reason it is damaged (the tables' hot path: no paths built)."""
    try:
        record = json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return f"is not valid JSON ({str(exc)[:80]})"
    problem = manifest_problem(record)
    if problem is not None:
        return f"is malformed: {problem}"
    if record["name"] != name or record["version"] != number:
        return f"says {record['name']}:v{record['version']}, expected {name}:v{number}"
    return record  # type: ignore[no-any-return]


@dataclass(frozen=True)
class VersionsScan:
    """Every version of one artifact: the good manifests and the damage, oldest first."""

    records: list[dict[str, Any]]
    damaged: list[Damage]
    aliases: dict[str, int]


@dataclass(frozen=True)
class LatestScan:
    """What ``table()`` shows of one artifact: its latest manifest, count and damage."""

    latest: int | None
    count: int
    record: dict[str, Any] | None
    damaged: list[Damage] = field(default_factory=list)


def _alias_scan(store: Store, name: str, numbers: set[int]) -> tuple[dict[str, int], list[Damage]]:
    alias_dir = store.join(name, "aliases")
    found: dict[str, int] = {}
    damaged: list[Damage] = []
    for entry in sorted(store.list_dir(alias_dir)):
        if entry.startswith("."):
            continue
        path = store.join(name, "aliases", entry)
        number, damage = read_pointer_file(store, path)
        if damage is not None:
            damaged.append(damage)
        elif number is not None and number not in numbers:
            damaged.append(Damage(path, f"points to v{number}, which does not exist"))
        elif number is not None:
            found[entry] = number
    return found, damaged


def scan_versions(store: Store, name: str) -> VersionsScan:
    """Read every version of ``name``; ``OSError`` only if its directory cannot be listed."""
    name_dir = store.join(name)
    try:
        contents, damaged = store.read_versions(name_dir)
    except FileNotFoundError:
        contents, damaged = [], []
    records: list[dict[str, Any]] = []
    for number, data in contents:
        parsed = _parse(data, name, number)
        if isinstance(parsed, str):
            damaged.append(Damage(store.join(name, f"v{number}", "manifest.json"), parsed, number))
        else:
            records.append(parsed)
    numbers = {d.version for d in damaged if d.version is not None} | {r["version"] for r in records}
    _, latest_damage = _latest_number(store, name, numbers)
    aliases, alias_damage = _alias_scan(store, name, numbers)
    damaged.extend(latest_damage)
    damaged.extend(alias_damage)
    return VersionsScan(records, damaged, aliases)


def _latest_number(store: Store, name: str, entries: set[int]) -> tuple[int | None, list[Damage]]:
    """Version the ``latest`` file names if that entry exists; the damage of the file."""
    path = store.join(name, "latest")
    number, damage = read_pointer_file(store, path)
    damaged = [damage] if damage is not None else []
    if number is not None and number not in entries:
        damaged.append(Damage(path, f"names v{number}, which does not exist"))
        number = None
    return number, damaged


def scan_latest(store: Store, name: str) -> LatestScan:
    """Latest version of ``name`` as ``table()`` shows it; ``OSError`` if the directory is unreadable."""
    name_dir = store.join(name)
    entries = os.listdir(name_dir) if store.is_local else store.list_dir(name_dir)
    found, damaged = version_entries(entries, lambda entry: store.join(name, entry))
    numbers = set(found)
    latest, pointer_damage = _latest_number(store, name, numbers)
    damaged.extend(pointer_damage)

    def committed(n: int) -> bool:
        return store.exists(store.join(name, f"v{n}", "manifest.json"))

    if latest is None:  # no usable pointer: the newest entry holding a manifest
        latest = next((n for n in sorted(numbers, reverse=True) if committed(n)), None)
    else:  # the pointer may lag a publisher that committed but has not raised it yet
        while latest + 1 in numbers and committed(latest + 1):
            latest += 1
    above = sorted(n for n in numbers if latest is None or n > latest)
    for n in above:
        damaged.extend(scan_one(store, name, n)[1:])
    aliases_damage = _alias_scan(store, name, numbers)[1]
    damaged.extend(aliases_damage)
    if latest is None:
        return LatestScan(None, 0, None, damaged)
    record, *version_damage = scan_one(store, name, latest)
    damaged[:0] = version_damage
    count = sum(1 for n in numbers if n <= latest)
    return LatestScan(latest, count, record if isinstance(record, dict) else None, damaged)


def scan_one(store: Store, name: str, number: int) -> list[Any]:
    """``[record]`` for a good version, ``[None, damage]`` for a bad one."""
    version_dir = store.join(name, f"v{number}")
    path = store.join(name, f"v{number}", "manifest.json")
    try:
        data = store.read_bytes(path)
    except FileNotFoundError:
        if store.is_local and os.path.isfile(version_dir):
            return [None, Damage(version_dir, "is a file, expected a version directory", number)]
        return [None, Damage(version_dir, UNCOMMITTED_REASON, number)]
    except NotADirectoryError:
        return [None, Damage(version_dir, "is a file, expected a version directory", number)]
    except OSError as exc:
        return [None, Damage(path, damage_reason(exc), number)]
    parsed = parse_manifest(data, path, name, number)
    return [None, parsed] if isinstance(parsed, Damage) else [parsed]
