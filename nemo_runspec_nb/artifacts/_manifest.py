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
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import ArtifactError, did_you_mean

__all__ = ["MANIFEST_FIELDS", "ArtifactManifest", "manifest_problem"]

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
        """Plain JSON-ready dict with the fields of ``manifest.json``, in :data:`MANIFEST_FIELDS` order."""
        return {name: _thaw(getattr(self, name)) for name in MANIFEST_FIELDS}

    def to_json(self) -> str:
        """The text written to ``manifest.json``."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "") -> ArtifactManifest:
        """Build a manifest from parsed JSON; raise :class:`ArtifactError` if it is malformed."""
        problem = manifest_problem(data)
        if problem is not None:
            where = f" in {source}" if source else ""
            raise ArtifactError(
                f"Malformed manifest{where}: {problem}",
                path=source or None,
                hint="Restore the file from a backup, or remove that version directory",
            )
        return cls(
            name=data["name"],
            version=data["version"],
            path=data["path"],
            created_at=data["created_at"],
            type=data.get("type"),
            producer=data.get("producer"),
            metadata=data.get("metadata") or {},
            inputs=data.get("inputs") or (),
            used_artifacts=data.get("used_artifacts") or (),
        )


_REQUIRED = ("name", "version", "path", "created_at")
_OPT_STR = (str, type(None))
_OPT_DICT = (dict, type(None))
_OPT_LIST = (list, type(None))


def manifest_problem(data: Any) -> str | None:
    """What is wrong with a parsed ``manifest.json`` (``None`` if it is well formed).

    Cheap on purpose (a few type checks): the tables run it on every manifest they read.
    """
    get = data.get if type(data) is dict else None
    if (  # the common case, in one expression; anything else gets its reason below
        get is not None
        and type(get("version")) is int
        and data["version"] >= 1
        and type(get("name")) is str
        and type(get("path")) is str
        and type(get("created_at")) is str
        and type(get("type", "")) in _OPT_STR
        and type(get("producer", "")) in _OPT_STR
        and type(get("metadata", {})) in _OPT_DICT
        and type(get("inputs", [])) in _OPT_LIST
        and type(get("used_artifacts", [])) in _OPT_LIST
        and not any(type(r) is not str for r in get("inputs") or ())
        and not any(type(r) is not str for r in get("used_artifacts") or ())
    ):
        return None
    if type(data) is not dict:
        return f"expected a JSON object, got {_json_kind(data)}"
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        return f"missing {', '.join(missing)}"
    version = data["version"]
    if type(version) is not int or version < 1:
        return f"version must be a positive integer, got {_json_kind(version)} {version!r:.40}"
    for key in ("name", "path", "created_at"):
        if type(data[key]) is not str:
            return f"{key} must be a string, got {_json_kind(data[key])}"
    for key in ("type", "producer"):
        value = data.get(key)
        if value is not None and type(value) is not str:
            return f"{key} must be a string or null, got {_json_kind(value)}"
    metadata = data.get("metadata")
    if metadata is not None and type(metadata) is not dict:
        return f"metadata must be an object, got {_json_kind(metadata)}"
    for key in ("inputs", "used_artifacts"):
        refs = data.get(key)
        if refs is not None and (type(refs) is not list or any(type(r) is not str for r in refs)):
            return f"{key} must be a list of references (strings), got {_json_kind(refs)}"
    return None


def _json_kind(value: Any) -> str:
    """The JSON name of a parsed value's type (``array``, ``string``, ...)."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")
