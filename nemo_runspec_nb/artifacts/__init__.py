"""Versioned artifacts: a registry on any fsspec store, ``art://`` URLs, W&B, pandas tables.

Importing this package is cheap: pandas and wandb are imported inside the functions
that need them, and fsspec only when ``ArtifactFileSystem`` or a non-local store is used.
See docs/artifacts.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_runspec_nb.artifacts.default_registry import artifact_env, registry
from nemo_runspec_nb.artifacts.manifest import ArtifactManifest
from nemo_runspec_nb.artifacts.refs import ArtifactRef, parse_art_url, parse_ref
from nemo_runspec_nb.artifacts.registry import ArtifactRegistry
from nemo_runspec_nb.artifacts.tables import lineage, table, versions
from nemo_runspec_nb.artifacts.tracking import ArtifactTracker, log_artifact, setup_artifact_tracking
from nemo_runspec_nb.artifacts.wandb_backend import WandbBackend

if TYPE_CHECKING:
    from nemo_runspec_nb.artifacts.filesystem import ArtifactFileSystem

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
        from nemo_runspec_nb.artifacts.filesystem import ArtifactFileSystem

        return ArtifactFileSystem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
