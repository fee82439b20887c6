"""Versioned artifacts: a registry on any fsspec store, ``art://`` URLs, W&B, pandas tables.

Importing this package is cheap: pandas and wandb are imported inside the functions
that need them, and fsspec only when ``ArtifactFileSystem`` or a non-local store is used.
See docs/artifacts.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .default_registry import artifact_env, registry
from .manifest import ArtifactManifest
from .refs import ArtifactRef, parse_art_url, parse_ref
from .registry import ArtifactRegistry
from .tables import lineage, table, versions
from .tracking import ArtifactTracker, log_artifact, setup_artifact_tracking
from .wandb_backend import WandbBackend

if TYPE_CHECKING:
    from .filesystem import ArtifactFileSystem

__all__ = [
    "ArtifactFileSystem",
    "ArtifactManifest",
    "ArtifactRef",
    "ArtifactRegistry",
    "ArtifactTracker",
    "WandbBackend",
    "artifact_env",
    "lineage",
    "log_artifact",
    "parse_art_url",
    "parse_ref",
    "registry",
    "setup_artifact_tracking",
    "table",
    "versions",
]


def __getattr__(name: str) -> Any:
    # ArtifactFileSystem subclasses fsspec's AbstractFileSystem: import fsspec on first use.
    if name == "ArtifactFileSystem":
        from .filesystem import ArtifactFileSystem

        return ArtifactFileSystem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
