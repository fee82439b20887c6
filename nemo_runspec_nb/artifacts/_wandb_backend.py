"""The W&B backend: log each published version as a W&B reference artifact, resolve through the API.

This is the only module that imports ``wandb``, and only inside methods, so the
package stays cheap to import and works without the ``wandb`` extra until a W&B
feature is used.

Publishing logs a *reference* artifact (no bytes are uploaded; the entries point at
``file://``/``s3://`` URLs of the data) to the active run, or to a short run of its own
when none is active. The registry's version, producer, lineage and data path travel
in the artifact's metadata under ``nemotron_registry`` and the alias
``registry-v{N}`` is added, so ``name:vN`` means the same version in both places.

Resolution uses ``wandb.Api().artifact("entity/project/name:alias")``. It needs a
reachable W&B server; the test suite exercises it against a stand-in API object.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import ArtifactError, ArtifactNotFoundError, ArtifactVersionNotFoundError
from ._manifest import ArtifactManifest
from ._refs import ArtifactRef

__all__ = ["REGISTRY_METADATA_KEY", "WandbBackend"]

REGISTRY_METADATA_KEY = "nemotron_registry"


def _reference_uri(path: str) -> str:
    if "://" in path:
        return path
    return "file://" + os.path.abspath(path)


def _strip_file_scheme(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri


class WandbBackend:
    """Log artifacts to W&B and resolve references through the W&B API.

    ``project``/``entity`` default to what wandb itself picks (``WANDB_PROJECT``,
    ``WANDB_ENTITY``, the logged-in user). ``api`` is any object with an
    ``artifact(name)`` method (``wandb.Api()`` when omitted) - pass a stand-in in tests.
    """

    name = "wandb"

    def __init__(
        self,
        *,
        project: str | None = None,
        entity: str | None = None,
        api: Any = None,
        job_type: str = "artifact-publish",
    ) -> None:
        self.project = project
        self.entity = entity
        self.job_type = job_type
        self._api = api

    def __repr__(self) -> str:
        return f"WandbBackend(project={self.project!r}, entity={self.entity!r})"

    @classmethod
    def from_settings(cls, settings: bool | Mapping[str, Any] | None) -> WandbBackend | None:
        """Build from an ``[artifacts] wandb`` value: ``true``, a table, or false/absent."""
        if not settings:
            return None
        if settings is True:
            return cls()
        if isinstance(settings, Mapping):
            unknown = sorted(set(settings) - {"project", "entity", "job_type", "enabled"})
            if unknown:
                raise ArtifactError(
                    f"Unknown key(s) {', '.join(unknown)} in [artifacts.wandb]",
                    key="artifacts.wandb",
                    hint="Accepted: project, entity, job_type, enabled",
                )
            if settings.get("enabled", True) is False:
                return None
            return cls(
                project=settings.get("project"),
                entity=settings.get("entity"),
                job_type=str(settings.get("job_type", "artifact-publish")),
            )
        raise ArtifactError(
            f"[artifacts] wandb must be true/false or a table, got {settings!r}", key="artifacts.wandb"
        )

    # -- logging ------------------------------------------------------------------------
    def log(self, manifest: ArtifactManifest) -> Any:
        """Log ``manifest`` as a reference artifact; returns the ``wandb.Artifact``."""
        import wandb

        metadata = dict(manifest.to_dict()["metadata"])
        metadata[REGISTRY_METADATA_KEY] = {
            "version": manifest.version,
            "ref": manifest.ref,
            "path": manifest.path,
            "producer": manifest.producer,
            "created_at": manifest.created_at,
            "inputs": list(manifest.inputs),
            "used_artifacts": list(manifest.used_artifacts),
        }
        artifact = wandb.Artifact(manifest.name, type=manifest.type or "artifact", metadata=metadata)
        artifact.add_reference(_reference_uri(manifest.path), checksum=False)
        run: Any = wandb.run
        owned = run is None
        if owned:
            run = wandb.init(
                project=self.project,
                entity=self.entity,
                job_type=self.job_type,
                settings=wandb.Settings(silent=True, console="off"),
            )
        try:
            run.log_artifact(artifact, aliases=["latest", f"registry-v{manifest.version}"])
        finally:
            if owned:
                run.finish()
        return artifact

    # -- resolving ----------------------------------------------------------------------
    def _api_object(self) -> Any:
        if self._api is None:
            import wandb

            self._api = wandb.Api()
        return self._api

    def _qualified(self, name: str, selector: str) -> str:
        prefix = "/".join(p for p in (self.entity, self.project) if p)
        return f"{prefix}/{name}:{selector}" if prefix else f"{name}:{selector}"

    def _fetch(self, name: str, selector: str) -> Any:
        try:
            return self._api_object().artifact(self._qualified(name, selector))
        except Exception as exc:  # the W&B client raises CommError, ValueError, ... for "not there"
            raise ArtifactVersionNotFoundError(
                f"W&B has no artifact {self._qualified(name, selector)}: {exc}", key=f"{name}:{selector}"
            ) from exc

    def get(self, ref: ArtifactRef) -> ArtifactManifest:
        """Resolve ``ref`` through the W&B API into a manifest.

        ``name:vN`` looks up the alias ``registry-vN`` (set when this registry logged it)
        and falls back to W&B's own ``v{N-1}`` (W&B counts from v0, the registry from 1).
        """
        if ref.kind == "version":
            try:
                artifact = self._fetch(ref.name, f"registry-v{ref.version}")
            except ArtifactNotFoundError:
                artifact = self._fetch(ref.name, f"v{(ref.version or 1) - 1}")
        else:
            artifact = self._fetch(ref.name, ref.alias if ref.kind == "alias" and ref.alias else "latest")
        return _manifest_from_wandb(ref.name, artifact)


def _manifest_from_wandb(name: str, artifact: Any) -> ArtifactManifest:
    metadata = dict(getattr(artifact, "metadata", None) or {})
    info = metadata.pop(REGISTRY_METADATA_KEY, None) or {}
    version = info.get("version")
    if version is None:
        wandb_version = str(getattr(artifact, "version", "v0"))
        version = int(wandb_version.lstrip("v") or 0) + 1
    path = info.get("path") or _reference_base(artifact)
    return ArtifactManifest(
        name=name,
        version=int(version),
        path=str(path),
        created_at=str(info.get("created_at") or getattr(artifact, "created_at", "") or ""),
        type=getattr(artifact, "type", None),
        producer=info.get("producer"),
        metadata=metadata,
        inputs=tuple(info.get("inputs") or ()),
        used_artifacts=tuple(info.get("used_artifacts") or ()),
    )


def _reference_base(artifact: Any) -> str:
    """The common directory of a reference artifact's entries."""
    entries = getattr(getattr(artifact, "manifest", None), "entries", None) or {}
    bases = set()
    for entry_path, entry in entries.items():
        ref = str(getattr(entry, "ref", "") or "")
        if not ref:
            continue
        ref = _strip_file_scheme(ref)
        suffix = "/" + str(entry_path)
        bases.add(ref[: -len(suffix)] if ref.endswith(suffix) else ref)
    if len(bases) != 1:
        raise ArtifactError(
            f"W&B artifact {_name_of(artifact)} is not a single-location reference artifact",
            hint="Publish it through ArtifactRegistry so its data path is recorded",
        )
    return bases.pop()


def _name_of(artifact: Any) -> str:
    """``name:version`` of a W&B artifact, for messages."""
    return f"{getattr(artifact, 'name', '?')}:{getattr(artifact, 'version', '?')}"
