"""The config pipeline: YAML with ``defaults:``, checked overrides, env.toml profiles, resolvers.

One import path for everything a front end needs::

    from nemo_runspec_nb.config import compose_job_config, load_env_profile, redact

See docs/configuration.md for the behaviour of each step.
"""

from __future__ import annotations

from .._exports import publish as _publish
from ._compose import ComposedConfig, compose_job_config, parse_config
from ._context import GlobalContext, Mode, split_unknown_args
from ._env_file import (
    ENV_FILE_VAR,
    SPECIAL_SECTIONS,
    find_env_file,
    get_artifacts_config,
    get_cache_config,
    get_cli_config,
    get_git_cache_dir,
    get_wandb_config,
    list_profiles,
    load_env_file,
)
from ._job_config import YAML_OWNED_KEYS, build_job_config, resolve_override_mode
from ._loader import ConfigLayer, config_layers, find_config_file, list_configs, load_config
from ._override_syntax import Override, OverrideSet, overrides_from_text, parse_override
from ._overrides import OVERRIDE_MODES, OverrideMode, apply_dotlist_overrides, apply_mapping_overrides
from ._profiles import ProfileLayer, load_env_profile, profile_layers
from ._provenance import Provenance, ProvenanceRecord, ProvenanceRecorder
from ._redact import MASK, is_secret_key, redact, redact_text
from ._resolvers import (
    AUTO_MOUNT_MARKER,
    ArtifactLike,
    ArtifactRegistryLike,
    GitMount,
    ResolverSession,
    register_resolvers,
)
from ._run_refs import is_artifact_reference, resolve_run_interpolations
from ._save import extract_train_config, generate_job_dir, save_configs

__all__ = [
    "AUTO_MOUNT_MARKER",
    "ENV_FILE_VAR",
    "MASK",
    "OVERRIDE_MODES",
    "SPECIAL_SECTIONS",
    "YAML_OWNED_KEYS",
    "ArtifactLike",
    "ArtifactRegistryLike",
    "ComposedConfig",
    "ConfigLayer",
    "GitMount",
    "GlobalContext",
    "Mode",
    "Override",
    "OverrideMode",
    "OverrideSet",
    "ProfileLayer",
    "Provenance",
    "ProvenanceRecord",
    "ProvenanceRecorder",
    "ResolverSession",
    "apply_dotlist_overrides",
    "apply_mapping_overrides",
    "build_job_config",
    "compose_job_config",
    "config_layers",
    "extract_train_config",
    "find_config_file",
    "find_env_file",
    "generate_job_dir",
    "get_artifacts_config",
    "get_cache_config",
    "get_cli_config",
    "get_git_cache_dir",
    "get_wandb_config",
    "is_artifact_reference",
    "is_secret_key",
    "list_configs",
    "list_profiles",
    "load_config",
    "load_env_file",
    "load_env_profile",
    "overrides_from_text",
    "parse_config",
    "parse_override",
    "profile_layers",
    "redact",
    "redact_text",
    "register_resolvers",
    "resolve_override_mode",
    "resolve_run_interpolations",
    "save_configs",
    "split_unknown_args",
]

_publish(globals())
