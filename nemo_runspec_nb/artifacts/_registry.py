"""``ArtifactRegistry``: versioned artifact manifests on a local directory or any fsspec store.

Layout under the root (only metadata is written; the data stays where it is)::

    {root}/{name}/v{N}/manifest.json   the manifest (see manifest.py); its presence commits vN
    {root}/{name}/v{N}/metadata.json   the user metadata alone, for other tools
    {root}/{name}/latest               text "vN": the newest committed version
    {root}/{name}/aliases/{alias}      text "vN": where a named alias points

Publishing claims ``v{N}`` exclusively (``os.mkdir`` locally, ``open(..., "xb")`` on
other stores), writes the manifest last and atomically, then raises ``latest`` with a
compare-and-set, so concurrent publishers get distinct consecutive versions and
``latest`` never moves backwards. Resolving ``latest`` reads two files (pointer and
manifest) and checks that ``v{N+1}`` is absent, whatever the number of versions.
"""

from __future__ import annotations

import builtins
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from ..config._layout import STATE_DIR
from ..errors import ArtifactError, ArtifactNotFoundError
from ._manifest import ArtifactManifest
from ._refs import (
    ArtifactRef,
    parse_art_url,
    parse_ref,
    validate_alias,
    validate_name,
)
from ._registry_errors import damage_error, not_found_error, publish_failed
from ._scan import LatestScan, VersionsScan, parse_manifest, read_pointer_file, scan_latest, scan_versions
from ._store import UNCOMMITTED_REASON, Damage, Store, damage_reason, open_store

__all__ = ["DEFAULT_ROOT", "ArtifactRegistry", "RemoteBackend"]

DEFAULT_ROOT = str(Path(STATE_DIR) / "artifacts")
_MAX_CLAIM_ATTEMPTS = 100_000


class RemoteBackend(Protocol):
    """A second place artifacts are logged to and resolved from (W&B is the one shipped)."""

    def log(self, manifest: ArtifactManifest) -> Any:
        """Record a freshly published version."""
        ...

    def get(self, ref: ArtifactRef) -> ArtifactManifest:
        """Resolve ``ref``; raise :class:`ArtifactNotFoundError` if the backend lacks it."""
        ...


def _json_default(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _encode(data: Any, what: str) -> bytes:
    try:
        return json.dumps(data, indent=2, default=_json_default).encode()
    except (TypeError, ValueError) as exc:
        raise ArtifactError(
            f"{what} is not JSON-serializable: {exc}", hint="Use str, numbers, lists, dicts"
        ) from exc


class ArtifactRegistry:
    """Versioned artifacts under ``root`` (a local path or any fsspec URL).

    >>> reg = ArtifactRegistry("memory://doc-registry")
    >>> reg.publish("tiny-data", "memory://data/tiny", metadata={"rows": 3})
    1
    >>> reg.get("tiny-data:v1").metadata["rows"]
    3

    ``wandb`` (optional, see :class:`~nemo_runspec_nb.artifacts.wandb_backend.WandbBackend`)
    also logs every publish there and resolves names the manifest store lacks.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] = DEFAULT_ROOT,
        *,
        storage_options: Mapping[str, Any] | None = None,
        wandb: RemoteBackend | None = None,
    ) -> None:
        self.storage_options: dict[str, Any] = dict(storage_options or {})
        self._store: Store = open_store(root, self.storage_options)
        text = os.fspath(root)
        self.root: str = self._store.root if self._store.is_local else text.rstrip("/")
        self.wandb = wandb

    def __repr__(self) -> str:
        extra = ", wandb=True" if self.wandb is not None else ""
        return f"ArtifactRegistry({self.root!r}{extra})"

    @property
    def backends(self) -> list[str]:
        """Active backends: ``["manifest"]`` or ``["manifest", "wandb"]``."""
        return ["manifest", "wandb"] if self.wandb is not None else ["manifest"]

    @property
    def is_local(self) -> bool:
        """Whether the root is on a local (or mounted) file system."""
        return self._store.is_local

    # -- paths -------------------------------------------------------------------------
    def _name_dir(self, name: str) -> str:
        return self._store.join(name)

    def _manifest_path(self, name: str, version: int) -> str:
        return self._store.join(name, f"v{version}", "manifest.json")

    # -- publishing --------------------------------------------------------------------
    def publish(
        self,
        name: str,
        path: str | os.PathLike[str],
        metadata: Mapping[str, Any] | None = None,
        type: str | None = None,
        inputs: Iterable[str | ArtifactManifest] = (),
        used: Iterable[str | ArtifactManifest] = (),
        producer: str | None = None,
    ) -> int:
        """Record ``path`` as the next version of ``name`` and return that version number.

        ``inputs`` (what the artifact was made from) and ``used`` (what the producing job
        read, e.g. through ``${art:...}``) are references or manifests; they are pinned
        to exact versions (``name:vN``) so lineage stays exact. Local data paths are
        made absolute and must exist. Only metadata is written.
        """
        validate_name(name)
        data_path = self._normalize_data_path(path)
        meta = dict(metadata or {})
        metadata_bytes = _encode(meta, f"metadata of {name!r}")
        pinned_inputs = tuple(self._pin(ref, "inputs") for ref in inputs)
        pinned_used = tuple(self._pin(ref, "used") for ref in used)
        created_at = datetime.now(timezone.utc).isoformat()
        version = self._next_version_hint(name)
        for _ in range(_MAX_CLAIM_ATTEMPTS):
            manifest = ArtifactManifest(
                name=name,
                version=version,
                path=data_path,
                created_at=created_at,
                type=type,
                producer=producer,
                metadata=meta,
                inputs=pinned_inputs,
                used_artifacts=pinned_used,
            )
            files = [("metadata.json", metadata_bytes), ("manifest.json", manifest.to_json().encode())]
            version_dir = self._store.join(name, f"v{version}")
            try:
                if self._store.create_version(version_dir, files):
                    break
            except OSError as exc:  # create_version already removed what it had written
                raise publish_failed(name, version, exc, self.root, self._store.join(name)) from exc
            version += 1
        else:  # pragma: no cover - would need 100k concurrent publishers
            raise ArtifactError(f"Could not claim a new version of {name!r} under {self.root}")
        try:
            self._store.raise_pointer(self._store.join(name, "latest"), version)
        except OSError as exc:
            self._store.remove_version(version_dir)
            raise publish_failed(name, version, exc, self.root, self._store.join(name)) from exc
        if self.wandb is not None:
            try:
                self.wandb.log(manifest)
            except Exception as exc:  # W&B client errors vary (CommError, UsageError, ...)
                raise ArtifactError(
                    f"Published {manifest.ref} to {self.root}, but logging it to W&B failed: {exc}",
                    key=manifest.ref,
                    hint="The manifest store has the version; log it again with registry.wandb.log(manifest)",
                ) from exc
        return version

    def _normalize_data_path(self, path: str | os.PathLike[str]) -> str:
        text = os.fspath(path)
        if not text:
            raise ArtifactError("Artifact data path is empty")
        if "://" in text:
            return text
        absolute = str(Path(text).expanduser().absolute())
        if not Path(absolute).exists():
            raise ArtifactError(
                f"Artifact data path {absolute} does not exist",
                path=absolute,
                hint="Publish after the data is written, or pass a URL (s3://...) for remote data",
            )
        return absolute

    def _pin(self, ref: str | ArtifactManifest, field: str) -> str:
        if isinstance(ref, ArtifactManifest):
            return ref.ref
        text = str(ref)
        parsed = parse_art_url(text)[0] if text.startswith("art://") else parse_ref(text)
        try:
            return self.get(parsed).ref
        except ArtifactNotFoundError as exc:
            raise type(exc)(f"{field}: {exc.message}", key=exc.key, hint=exc.hint) from exc

    def _next_version_hint(self, name: str) -> int:
        current, _ = read_pointer_file(self._store, self._store.join(name, "latest"))
        if current is None:
            existing = self._store.committed_versions(self._name_dir(name))
            current = existing[-1] if existing else 0
        return current + 1

    def alias(self, name: str, alias: str, version: int | str) -> int:
        """Point ``name:alias`` at ``version`` (a number, ``vN``, ``latest`` or another alias).

        Returns the version number the alias now names. Aliases can be moved; ``latest``
        cannot be set this way.
        """
        validate_name(name)
        validate_alias(alias)
        selector = (
            f"v{version}" if isinstance(version, int) and not isinstance(version, bool) else str(version)
        )
        target = self.get(f"{name}:{selector}").version
        self._store.write_atomic(self._store.join(name, "aliases", alias), f"v{target}".encode())
        return target

    def aliases(self, name: str) -> dict[str, int]:
        """Aliases of ``name`` and the versions they point at."""
        validate_name(name)
        alias_dir = self._store.join(name, "aliases")
        found: dict[str, int] = {}
        for entry in sorted(self._store.list_dir(alias_dir)):
            if entry.startswith("."):
                continue
            number, _ = read_pointer_file(self._store, self._store.join(name, "aliases", entry))
            if number is not None:  # damaged alias files show in versions(name)
                found[entry] = number
        return found

    # -- reading -----------------------------------------------------------------------
    def list(self) -> list[str]:
        """Names of the artifacts in the registry, sorted."""
        names = []
        for entry in self._store.list_subdirs(self._store.root):
            try:
                names.append(validate_name(entry))
            except ArtifactError:
                continue
        return sorted(names)

    def versions(self, name: str) -> builtins.list[int]:
        """Committed version numbers of ``name``, ascending (use :meth:`history` for manifests)."""
        validate_name(name)
        found = self._store.committed_versions(self._name_dir(name))
        if not found and not self._store.exists(self._name_dir(name)):
            raise self._not_found(ArtifactRef(name))
        return found

    def history(self, name: str) -> builtins.list[ArtifactManifest]:
        """Manifests of every committed version of ``name``, oldest first.

        Raises :class:`ArtifactError` naming the first damaged version, if any
        (``versions(name)`` lists them all with the damage instead).
        """
        scan = self.scan_versions(name)
        for damage in scan.damaged:
            if damage.version is not None and damage.reason != UNCOMMITTED_REASON:
                raise damage_error(damage, f"{name}:v{damage.version}")
        return [ArtifactManifest.from_dict(record) for record in scan.records]

    def get(self, ref: str | ArtifactRef) -> ArtifactManifest:
        """The manifest ``ref`` names (``name``, ``name:latest``, ``name:vN``, ``name:N``, ``name:ALIAS``)."""
        parsed = parse_ref(ref)
        try:
            version = self._resolve_version(parsed)
            return self._read_manifest(parsed, version)
        except ArtifactNotFoundError:
            if self.wandb is None:
                raise
            original = self._not_found(parsed)
            try:
                return self.wandb.get(parsed)
            except ArtifactNotFoundError:
                raise original from None

    def resolve(self, ref: str | ArtifactRef) -> str:
        """The data path of the artifact ``ref`` names."""
        return self.get(ref).path

    def exists(self, ref: str | ArtifactRef) -> bool:
        """Whether ``ref`` resolves (malformed refs still raise :class:`ArtifactError`)."""
        try:
            self.get(ref)
        except ArtifactNotFoundError:
            return False
        return True

    def _resolve_version(self, ref: ArtifactRef) -> int:
        if ref.kind == "version":
            assert ref.version is not None
            return ref.version
        if ref.kind == "alias":
            assert ref.alias is not None
            number, damage = read_pointer_file(self._store, self._store.join(ref.name, "aliases", ref.alias))
            if damage is not None:
                raise damage_error(
                    damage, str(ref), f"Point it again with registry.alias({ref.name!r}, ...)"
                )
            if number is None:
                raise self._not_found(ref)
            return number
        number, _ = read_pointer_file(self._store, self._store.join(ref.name, "latest"))
        if number is None or not self._store.exists(self._store.join(ref.name, f"v{number}")):
            existing = self._store.committed_versions(self._name_dir(ref.name))
            if not existing:
                raise self._not_found(ref)
            return existing[-1]
        # The pointer may lag a publisher that committed but has not raised it yet.
        while self._store.exists(self._manifest_path(ref.name, number + 1)):
            number += 1
        return number

    def _read_manifest(self, ref: ArtifactRef, version: int) -> ArtifactManifest:
        source = self._manifest_path(ref.name, version)
        try:
            data = self._store.read_bytes(source)
        except FileNotFoundError:
            raise self._not_found(
                ref if ref.kind != "latest" else ArtifactRef.pinned(ref.name, version)
            ) from None
        except NotADirectoryError:
            where = self._store.join(ref.name, f"v{version}")
            raise damage_error(Damage(where, "is a file, expected a version directory"), str(ref)) from None
        except OSError as exc:
            raise damage_error(Damage(source, damage_reason(exc)), str(ref)) from exc
        parsed = parse_manifest(data, source, ref.name, version)
        if isinstance(parsed, Damage):
            raise damage_error(parsed, str(ref))
        return ArtifactManifest.from_dict(parsed, source=source)

    # -- scans (what the tables show: damage is reported, not raised) ---------------
    def scan_versions(self, name: str) -> VersionsScan:
        """Every version of ``name``, good and damaged; raises if the name does not exist."""
        validate_name(name)
        name_dir = self._name_dir(name)
        try:
            scan = scan_versions(self._store, name)
        except OSError as exc:
            raise damage_error(Damage(name_dir, damage_reason(exc)), name) from exc
        if not scan.records and not scan.damaged and not self._store.exists(name_dir):
            raise self._not_found(ArtifactRef(name))
        return scan

    def scan_latest(self, name: str) -> LatestScan:
        """The latest version of ``name``, the count and the damage (an unreadable directory too)."""
        try:
            return scan_latest(self._store, name)
        except OSError as exc:
            return LatestScan(None, 0, None, [Damage(self._store.join(name), damage_reason(exc))])

    # -- errors ------------------------------------------------------------------------
    def _not_found(self, ref: ArtifactRef) -> ArtifactNotFoundError:
        names = self.list()
        if ref.name not in names:
            return not_found_error(ref, self.root, names)
        numbers = self._store.committed_versions(self._name_dir(ref.name))
        return not_found_error(ref, self.root, names, numbers, self.aliases(ref.name))
