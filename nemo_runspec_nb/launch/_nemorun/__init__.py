"""The one place that imports nemo_run: the session adapter and the corrections it applies.

``_adapter`` holds :class:`NemoRun` (lazy import, console and logging kept, nemo-run's
exits and errors as typed errors); ``_patches`` the three version-guarded corrections to
nemo-run 0.11 and the one wrapper that installs and restores them.
"""

from __future__ import annotations

from ._adapter import LocalOutcome, NemoRun, SlurmSubmission, check_version
from ._patches import (
    MAIN_SOURCE_COPY,
    PATCHES,
    RAY_TEMPLATES,
    RSYNC_HOST_KEYS,
    SUPPORTED_SERIES,
    TEMPLATE_DIR,
    Patch,
    install,
    patch_main_source_copy,
    patch_ray_templates,
    patch_rsync_host_keys,
    restore,
)

__all__ = [
    "MAIN_SOURCE_COPY",
    "PATCHES",
    "RAY_TEMPLATES",
    "RSYNC_HOST_KEYS",
    "SUPPORTED_SERIES",
    "TEMPLATE_DIR",
    "LocalOutcome",
    "NemoRun",
    "Patch",
    "SlurmSubmission",
    "check_version",
    "install",
    "patch_main_source_copy",
    "patch_ray_templates",
    "patch_rsync_host_keys",
    "restore",
]
