"""Versioned artifacts: a registry on any fsspec store, ``art://`` URLs, W&B, pandas tables.

Importing this package is cheap: pandas and wandb are imported inside the functions
that need them, and fsspec only when ``ArtifactFileSystem`` or a non-local store is used.
See docs/artifacts.md.
"""

from __future__ import annotations

import typing as _typing

from .._exports import publish as _publish
from ._default_registry import artifact_env, registry
from ._manifest import ArtifactManifest
from ._refs import ArtifactRef, parse_art_url, parse_ref
from ._registry import ArtifactRegistry
from ._tables import lineage, table, versions
from ._tracking import ArtifactTracker, log_artifact, setup_artifact_tracking
from ._wandb_backend import WandbBackend

if _typing.TYPE_CHECKING:
    from ._filesystem import ArtifactFileSystem

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

# ArtifactFileSystem subclasses fsspec's AbstractFileSystem: fsspec is imported on first use.
_publish(globals(), lazy={"ArtifactFileSystem": "._filesystem"})
