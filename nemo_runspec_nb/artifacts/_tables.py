"""pandas views of a registry: ``table()``, ``versions(name)``, ``lineage(name, version)``.

pandas is imported inside each function, so importing the artifacts package stays cheap.
Every function takes an optional ``registry`` and otherwise uses :func:`registry`.
Each manifest is read once; on local disk the reads go straight through ``open``.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from ..errors import ArtifactNotFoundError
from ._manifest import ArtifactManifest
from ._registry import ArtifactRegistry
from ._store import Damage

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LINEAGE_COLUMNS", "TABLE_COLUMNS", "VERSION_COLUMNS", "lineage", "table", "versions"]

TABLE_COLUMNS = ("name", "latest", "versions", "type", "created_at", "producer", "path", "status", "problem")
VERSION_COLUMNS = (
    "name",
    "version",
    "aliases",
    "type",
    "created_at",
    "producer",
    "path",
    "inputs",
    "used_artifacts",
    "status",
    "problem",
)
OK = "OK"
DAMAGED = "DAMAGED"
_SHOWN_PROBLEMS = 3


def _problem(damaged: list[Damage]) -> str:
    """``path: reason`` of the first few damaged entries, one string."""
    text = "; ".join(str(d) for d in damaged[:_SHOWN_PROBLEMS])
    more = len(damaged) - _SHOWN_PROBLEMS
    return f"{text} (and {more} more)" if more > 0 else text


LINEAGE_COLUMNS = ("from", "to", "relation", "depth")


def _registry(registry: ArtifactRegistry | None) -> ArtifactRegistry:
    if registry is not None:
        return registry
    from ._default_registry import registry as default_registry

    return default_registry()


def _timestamps(values: list[Any]) -> Any:
    """ISO 8601 strings -> a UTC ``DatetimeIndex`` (fast path for the registry's own ``+00:00``)."""
    import numpy as np
    import pandas as pd

    if values and all(type(v) is str and v.endswith("+00:00") for v in values):
        try:
            naive = np.array([v[:-6] for v in values], dtype="datetime64[us]")
            return pd.DatetimeIndex(naive).tz_localize("UTC")
        except ValueError:
            pass
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce")


def table(registry: ArtifactRegistry | None = None) -> pd.DataFrame:
    """One row per artifact: name, latest, versions, type, created_at, producer, path, status, problem.

    ``type``/``created_at``/``producer``/``path`` describe the latest version.
    ``status`` is ``"OK"``, or ``"DAMAGED"`` when the latest version, the ``latest`` or
    alias files, or an entry of the artifact's directory cannot be read; ``problem``
    then says which file and why (``None`` otherwise). Damage in older versions shows
    in :func:`versions`. ``latest``/``versions`` are nullable integers (``<NA>`` when
    no version can be read at all).
    """
    import pandas as pd

    reg = _registry(registry)
    columns: dict[str, list[Any]] = {c: [] for c in TABLE_COLUMNS}
    for name in reg.list():
        scan = reg.scan_latest(name)
        if scan.latest is None and not scan.damaged:
            continue  # a name whose first version is still being written
        record = scan.record or {}
        columns["name"].append(name)
        columns["latest"].append(scan.latest)
        columns["versions"].append(scan.count)
        for key in ("type", "created_at", "producer", "path"):
            columns[key].append(record.get(key))
        columns["status"].append(DAMAGED if scan.damaged else OK)
        columns["problem"].append(_problem(scan.damaged) if scan.damaged else None)
    columns["created_at"] = _timestamps(columns["created_at"])
    columns["problem"] = pd.Series(columns["problem"], dtype=object)  # None stays None, not NaN
    frame = pd.DataFrame(columns, columns=list(TABLE_COLUMNS))
    return frame.astype({"latest": "Int64", "versions": "Int64"})


def _metadata_columns(metadata: list[Any], prefix: str = "") -> dict[str, list[Any]]:
    """Column-wise flattening: ``[{"a": {"b": 1}}, {"c": 2}]`` -> ``{"a.b": [1, None], "c": [None, 2]}``.

    A key holding a dict in some rows and a plain value in others keeps the plain
    values under its own name and the dict's keys as dotted columns.
    """
    rows = [m if type(m) is dict else {} for m in metadata]
    out: dict[str, list[Any]] = {}
    for key in dict.fromkeys(k for row in rows for k in row):
        values = [row.get(key) for row in rows]
        if any(type(v) is dict and v for v in values):
            if any(v is not None and type(v) is not dict for v in values):
                out[f"{prefix}{key}"] = [None if type(v) is dict else v for v in values]
            out.update(_metadata_columns(values, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = values
    return out


def versions(name: str, registry: ArtifactRegistry | None = None) -> pd.DataFrame:
    """One row per version of ``name``, oldest first, metadata flattened into columns.

    Nested metadata becomes dotted columns (``stats.mean``); a metadata key that
    clashes with a fixed column is prefixed ``metadata.``. Versions lacking a key
    get ``None``/``NaN``. Raises :class:`ArtifactNotFoundError` for unknown names.

    A version whose manifest cannot be read is a row with ``status`` ``"DAMAGED"``
    and the file and reason in ``problem``; a bad ``latest`` or alias file or a stray
    entry (``v²``) is a ``DAMAGED`` row with version ``<NA>`` at the end.
    """
    import pandas as pd

    reg = _registry(registry)
    scan = reg.scan_versions(name)
    aliases_of: dict[int, list[str]] = {}
    for alias, number in scan.aliases.items():
        aliases_of.setdefault(number, []).append(alias)
    damaged_versions = {d.version: d for d in scan.damaged if d.version is not None}
    loose = [d for d in scan.damaged if d.version is None]
    rows: list[tuple[Any, dict[str, Any], Damage | None]] = [(r["version"], r, None) for r in scan.records]
    if damaged_versions:
        rows += [(n, {}, d) for n, d in damaged_versions.items()]
        rows.sort(key=lambda row: row[0])
    rows += [(None, {}, d) for d in loose]
    records = [r for _, r, _ in rows]
    numbers = [n for n, _, _ in rows]
    columns: dict[str, Any] = {
        "name": [name] * len(rows),
        "version": pd.array(numbers, dtype="Int64"),
        "aliases": [aliases_of.get(n, []) if n is not None else [] for n in numbers],
    }
    for key in ("type", "created_at", "producer", "path"):
        columns[key] = [r.get(key) for r in records]
    columns["created_at"] = _timestamps(columns["created_at"])
    columns["inputs"] = [r.get("inputs") or [] for r in records]
    columns["used_artifacts"] = [r.get("used_artifacts") or [] for r in records]
    columns["status"] = [OK if d is None else DAMAGED for _, _, d in rows]
    columns["problem"] = pd.Series([None if d is None else str(d) for _, _, d in rows], dtype=object)
    reserved = set(VERSION_COLUMNS)
    for key, values in _metadata_columns([r.get("metadata") for r in records]).items():
        columns[f"metadata.{key}" if key in reserved else key] = values
    return pd.DataFrame(columns)


def lineage(
    name: str, version: int | str | None = None, registry: ArtifactRegistry | None = None
) -> pd.DataFrame:
    """Edges from ``name`` (latest, or ``version``) to its inputs and used artifacts, to any depth.

    Columns: ``from`` (the artifact, ``name:vN``), ``to`` (what it was made from or
    used), ``relation`` (``"input"`` or ``"used"``), ``depth`` (1 for direct edges).
    Upstream artifacts that no longer resolve still appear as ``to`` but are not
    followed further.
    """
    import pandas as pd

    reg = _registry(registry)
    if version is None:
        start = reg.get(name)
    else:
        selector = f"v{version}" if isinstance(version, int) else str(version)
        start = reg.get(f"{name}:{selector}")
    edges: dict[str, list[Any]] = {c: [] for c in LINEAGE_COLUMNS}
    seen = {start.ref}
    queue: deque[tuple[ArtifactManifest, int]] = deque([(start, 1)])
    while queue:
        manifest, depth = queue.popleft()
        for relation, refs in (("input", manifest.inputs), ("used", manifest.used_artifacts)):
            for ref in refs:
                edges["from"].append(manifest.ref)
                edges["to"].append(ref)
                edges["relation"].append(relation)
                edges["depth"].append(depth)
                if ref in seen:
                    continue
                seen.add(ref)
                try:
                    queue.append((reg.get(ref), depth + 1))
                except ArtifactNotFoundError:
                    continue
    frame = pd.DataFrame(edges, columns=list(LINEAGE_COLUMNS))
    frame["depth"] = frame["depth"].astype("int64")
    return frame
