"""The manifest of one artifact version: a frozen value read from ``manifest.json``.

On disk (``{root}/{name}/v{N}/manifest.json``)::

    {"name": "tiny-data", "version": 3, "type": "dataset",
     "path": "/data/tiny", "created_at": "2026-11-29T10:30:00.123456+00:00",
     "producer": "data_prep", "metadata": {"rows": 1000},
     "inputs": ["raw:v1"], "used_artifacts": ["tokenizer:v2"]}

``inputs`` and ``used_artifacts`` hold pinned references (``name:vN``), so lineage
stays exact when newer versions are published later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from nemo_runspec_nb.errors import ArtifactError, did_you_mean

__all__ = ["MANIFEST_FIELDS", "ArtifactManifest"]

MANIFEST_FIELDS = (
    "name",
    "version",
    "type",
    "path",
    "created_at",
    "producer",
    "metadata",
    "inputs",
    "used_artifacts",
)


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class ArtifactManifest:
    """One published version of an artifact.

    ``metadata`` is a read-only mapping (nested dicts and lists are frozen too);
    :meth:`to_dict` gives back plain JSON-ready values.
    """

    name: str
    version: int
    path: str
    created_at: str
    type: str | None = None
    producer: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    inputs: tuple[str, ...] = ()
    used_artifacts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.metadata, MappingProxyType):
            object.__setattr__(self, "metadata", _freeze(dict(self.metadata)))
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "used_artifacts", tuple(self.used_artifacts))

    @property
    def ref(self) -> str:
        """The pinned reference ``name:vN``."""
        return f"{self.name}:v{self.version}"

    def lookup(self, key: str) -> Any:
        """Value of a manifest field, else of a metadata key (dotted for nested metadata).

        This is what ``${art:NAME,FIELD}`` reads: ``path``, ``version``, ``name``,
        ``type`` ... or any key of ``metadata`` such as ``num_rows`` or ``stats.mean``.
        """
        if key in MANIFEST_FIELDS:
            value = getattr(self, key)
            return _thaw(value)
        node: Any = self.metadata
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                choices = [*MANIFEST_FIELDS, *self.metadata.keys()]
                raise ArtifactError(
                    f"Artifact {self.ref} has no field or metadata key {key!r}",
                    key=key,
                    hint=did_you_mean(key, choices) or f"Available: {', '.join(choices)}",
                )
            node = node[part]
        return _thaw(node)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict with the fields of ``manifest.json``."""
        return {
            "name": self.name,
            "version": self.version,
            "type": self.type,
            "path": self.path,
            "created_at": self.created_at,
            "producer": self.producer,
            "metadata": _thaw(self.metadata),
            "inputs": list(self.inputs),
            "used_artifacts": list(self.used_artifacts),
        }

    def to_json(self) -> str:
        """The text written to ``manifest.json``."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "") -> ArtifactManifest:
        """Build a manifest from parsed JSON; raise :class:`ArtifactError` if it is malformed."""
        where = f" in {source}" if source else ""
        if not isinstance(data, Mapping):
            raise ArtifactError(f"Malformed manifest{where}: expected a JSON object")
        missing = [k for k in ("name", "version", "path", "created_at") if k not in data]
        if missing:
            raise ArtifactError(f"Malformed manifest{where}: missing {', '.join(missing)}")
        version = data["version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ArtifactError(f"Malformed manifest{where}: version must be a positive integer")
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise ArtifactError(f"Malformed manifest{where}: metadata must be an object")
        return cls(
            name=str(data["name"]),
            version=version,
            path=str(data["path"]),
            created_at=str(data["created_at"]),
            type=_opt_str(data.get("type")),
            producer=_opt_str(data.get("producer")),
            metadata=metadata,
            inputs=_str_tuple(data.get("inputs")),
            used_artifacts=_str_tuple(data.get("used_artifacts")),
        )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _str_tuple(value: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if value else ()
