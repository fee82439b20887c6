"""In-job tracking: ``setup_artifact_tracking(config)`` and ``log_artifact(...)``.

A recipe running inside a job publishes what it produced::

    tracker = setup_artifact_tracking(cfg)      # cfg: the job's config (dict or DictConfig)
    tracker.backends                            # ["manifest"] or ["manifest", "wandb"]
    tracker.log_artifact("tiny-data", out_dir, metadata={"rows": n}, inputs=["raw"])

The tracker is a plain object the recipe holds (there is no hidden global), and it
is also a read-only sequence of the active backend names, so ``"wandb" in tracker``
works. The module-level :func:`log_artifact` builds a tracker from the environment
on every call, for one-off use.

Where the registry is: ``config["artifacts"]`` (``root``, ``manifest.root``,
``wandb``) when the config has it, else :func:`registry` (``NEMOTRON_ARTIFACTS_ROOT``,
``NEMOTRON_ARTIFACTS_WANDB``, env.toml, local default). ``config["wandb"]``
(``project``, ``entity``) names the W&B project. The producer recorded in manifests
defaults to ``NEMOTRON_PRODUCER`` (the launcher sets it to the job's name).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, overload

from ._default_registry import ENV_PRODUCER
from ._default_registry import registry as default_registry
from ._manifest import ArtifactManifest
from ._registry import ArtifactRegistry

if TYPE_CHECKING:
    from typing import Unpack

__all__ = ["ArtifactTracker", "log_artifact", "setup_artifact_tracking"]


class PublishOptions(TypedDict, total=False):
    """What a publish takes besides name, path and metadata (see :meth:`ArtifactRegistry.publish`)."""

    type: str | None
    inputs: Iterable[str | ArtifactManifest]
    used: Iterable[str | ArtifactManifest]
    producer: str | None


class ArtifactTracker(Sequence[str]):
    """Publishes to every active backend; iterating it yields the backend names."""

    def __init__(self, registry: ArtifactRegistry, *, producer: str | None = None) -> None:
        self.registry = registry
        self.producer = producer

    def __repr__(self) -> str:
        return f"ArtifactTracker(backends={self.backends!r}, root={self.registry.root!r})"

    @property
    def backends(self) -> list[str]:
        """Names of the active backends, e.g. ``["manifest", "wandb"]``."""
        return self.registry.backends

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self.backends[index]

    def __len__(self) -> int:
        return len(self.backends)

    def log_artifact(
        self,
        name: str,
        path: str | os.PathLike[str],
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[PublishOptions],
    ) -> ArtifactManifest:
        """Publish ``path`` as the next version of ``name`` on every backend; return its manifest.

        ``options`` are the keywords of :meth:`ArtifactRegistry.publish`: ``type``,
        ``inputs``, ``used`` and ``producer`` (default: the tracker's).
        """
        if options.get("producer") is None:
            options["producer"] = self.producer
        version = self.registry.publish(name, path, metadata, **options)
        return self.registry.get(f"{name}:v{version}")


def _section(config: Any, key: str) -> Mapping[str, Any] | None:
    if config is None:
        return None
    try:
        value = config.get(key) if isinstance(config, Mapping) else getattr(config, key, None)
    except Exception:  # an OmegaConf node with missing/interpolation errors: treat as absent
        return None
    return value if isinstance(value, Mapping) else None


def setup_artifact_tracking(
    config: Any = None, *, env_file: str | os.PathLike[str] | None = None
) -> ArtifactTracker:
    """Build the tracker for this job from its ``config`` and the environment.

    Returns an :class:`ArtifactTracker`; ``list(tracker)`` (or ``tracker.backends``) is
    the list of active backends.
    """
    artifacts = _section(config, "artifacts") or {}
    manifest = artifacts.get("manifest")
    root = artifacts.get("root")
    if root is None and isinstance(manifest, Mapping):
        root = manifest.get("root")
    wandb_setting: Any = artifacts.get("wandb")
    wandb_section = _section(config, "wandb")
    if wandb_setting is True and wandb_section is not None:
        wandb_setting = {k: wandb_section[k] for k in ("project", "entity") if wandb_section.get(k)}
    reg = default_registry(
        env_file=env_file,
        root=str(root) if root is not None else None,
        wandb=dict(wandb_setting) if isinstance(wandb_setting, Mapping) else wandb_setting,
    )
    return ArtifactTracker(reg, producer=os.environ.get(ENV_PRODUCER) or None)


def log_artifact(
    name: str,
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
    *,
    config: Any = None,
    **options: Unpack[PublishOptions],
) -> ArtifactManifest:
    """One-off publish: ``setup_artifact_tracking(config).log_artifact(name, path, metadata, **options)``."""
    return setup_artifact_tracking(config).log_artifact(name, path, metadata, **options)
