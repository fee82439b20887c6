"""pandas views of a registry: ``table()``, ``versions(name)``, ``lineage(name, version)``.

pandas is imported inside each function, so importing the artifacts package stays cheap.
Every function takes an optional ``registry`` and otherwise uses :func:`registry`.
Each manifest is read once; on local disk the reads go straight through ``open``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nemo_runspec_nb.artifacts.manifest import ArtifactManifest
from nemo_runspec_nb.artifacts.registry import ArtifactRegistry
from nemo_runspec_nb.errors import ArtifactNotFoundError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LINEAGE_COLUMNS", "TABLE_COLUMNS", "VERSION_COLUMNS", "lineage", "table", "versions"]

TABLE_COLUMNS = ("name", "latest", "versions", "type", "created_at", "producer", "path")
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
)
LINEAGE_COLUMNS = ("from", "to", "relation", "depth")


def _registry(registry: ArtifactRegistry | None) -> ArtifactRegistry:
    if registry is not None:
        return registry
    from nemo_runspec_nb.artifacts.default_registry import registry as default_registry

    return default_registry()


def _timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    if len(frame):
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    else:
        frame["created_at"] = pd.Series([], dtype="datetime64[ns, UTC]")
    return frame


def table(registry: ArtifactRegistry | None = None) -> pd.DataFrame:
    """One row per artifact: name, latest, versions (count), type, created_at, producer, path.

    ``type``/``created_at``/``producer``/``path`` describe the latest version.
    """
    import pandas as pd

    reg = _registry(registry)
    columns: dict[str, list[Any]] = {c: [] for c in TABLE_COLUMNS}
    for name in reg.list():
        record = reg._latest_record(name)
        if record is None:
            continue  # a name whose first version is still being written
        columns["name"].append(name)
        columns["latest"].append(record["version"])
        columns["versions"].append(len(reg.versions(name)))
        for key in ("type", "created_at", "producer", "path"):
            columns[key].append(record.get(key))
    frame = pd.DataFrame(columns, columns=list(TABLE_COLUMNS))
    frame["latest"] = frame["latest"].astype("int64")
    frame["versions"] = frame["versions"].astype("int64")
    return _timestamps(frame)


def _flatten(metadata: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in metadata.items():
        if isinstance(value, Mapping) and value:
            _flatten(value, f"{prefix}{key}.", out)
        else:
            out[f"{prefix}{key}"] = value


def versions(name: str, registry: ArtifactRegistry | None = None) -> pd.DataFrame:
    """One row per version of ``name``, oldest first, metadata flattened into columns.

    Nested metadata becomes dotted columns (``stats.mean``); a metadata key that
    clashes with a fixed column is prefixed ``metadata.``. Versions lacking a key
    get ``NaN``/``None``. Raises :class:`ArtifactNotFoundError` for unknown names.
    """
    import pandas as pd

    reg = _registry(registry)
    records = reg._records(name)
    aliases_of: dict[int, list[str]] = {}
    for alias, number in reg.aliases(name).items():
        aliases_of.setdefault(number, []).append(alias)
    fixed: dict[str, list[Any]] = {c: [] for c in VERSION_COLUMNS}
    extra: dict[str, list[Any]] = {}
    reserved = set(VERSION_COLUMNS)
    for row, record in enumerate(records):
        number = record["version"]
        fixed["name"].append(name)
        fixed["version"].append(number)
        fixed["aliases"].append(aliases_of.get(number, []))
        fixed["type"].append(record.get("type"))
        fixed["created_at"].append(record.get("created_at"))
        fixed["producer"].append(record.get("producer"))
        fixed["path"].append(record.get("path"))
        fixed["inputs"].append(list(record.get("inputs") or ()))
        fixed["used_artifacts"].append(list(record.get("used_artifacts") or ()))
        metadata = record.get("metadata") or {}
        flat: dict[str, Any] = {}
        _flatten(metadata, "", flat)
        for key, value in flat.items():
            column = f"metadata.{key}" if key in reserved else key
            values = extra.get(column)
            if values is None:
                values = extra[column] = [None] * row
            values.append(value)
        for values in extra.values():
            if len(values) == row:
                values.append(None)
    frame = pd.DataFrame({**fixed, **extra})
    frame["version"] = frame["version"].astype("int64")
    return _timestamps(frame)


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
