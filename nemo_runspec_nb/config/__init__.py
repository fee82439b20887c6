"""The config pipeline: YAML with ``defaults:``, checked overrides, env.toml profiles, resolvers.

One import path for everything a front end needs::

    from nemo_runspec_nb.config import compose_job_config, load_env_profile, redact

See docs/configuration.md for the behaviour of each step.
"""

from __future__ import annotations

from .context import GlobalContext, Mode, split_unknown_args
from .job import (
    YAML_OWNED_KEYS,
    ComposedConfig,
    build_job_config,
    compose_job_config,
    extract_train_config,
    generate_job_dir,
    parse_config,
    resolve_override_mode,
    save_configs,
)
from .loader import (
    ConfigLayer,
    config_layers,
    find_config_file,
    list_configs,
    load_config,
)
from .overrides import (
    OVERRIDE_MODES,
    Override,
    OverrideMode,
    OverrideSet,
    apply_dotlist_overrides,
    apply_mapping_overrides,
    parse_override,
)
from .profiles import (
    ENV_FILE_VAR,
    SPECIAL_SECTIONS,
    ProfileLayer,
    find_env_file,
    get_artifacts_config,
    get_cache_config,
    get_cli_config,
    get_git_cache_dir,
    get_wandb_config,
    list_profiles,
    load_env_file,
    load_env_profile,
    profile_layers,
)
from .provenance import Provenance, ProvenanceRecord, ProvenanceRecorder
from .redact import MASK, is_secret_key, redact, redact_text
from .resolvers import (
    AUTO_MOUNT_MARKER,
    ArtifactLike,
    ArtifactRegistryLike,
    GitMount,
    ResolverSession,
    is_artifact_reference,
    register_resolvers,
    resolve_run_interpolations,
)

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
