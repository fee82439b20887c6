"""The public surface of nemo_runspec_nb.config: exactly the intended names."""

from __future__ import annotations

import nemo_runspec_nb.config as config

SEED_NAMES = {
    "load_config",
    "find_config_file",
    "apply_dotlist_overrides",
    "build_job_config",
    "extract_train_config",
    "save_configs",
    "generate_job_dir",
    "GlobalContext",
    "split_unknown_args",
    "find_env_file",
    "load_env_file",
    "load_env_profile",
    "list_profiles",
    "get_wandb_config",
    "get_cli_config",
    "get_cache_config",
    "get_artifacts_config",
    "get_git_cache_dir",
    "parse_config",
}

OURS = {
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
    "Mode",
    "Override",
    "OverrideMode",
    "OverrideSet",
    "ProfileLayer",
    "Provenance",
    "ProvenanceRecord",
    "ProvenanceRecorder",
    "ResolverSession",
    "apply_mapping_overrides",
    "compose_job_config",
    "config_layers",
    "is_artifact_reference",
    "is_secret_key",
    "list_configs",
    "overrides_from_text",
    "parse_override",
    "profile_layers",
    "redact",
    "redact_text",
    "register_resolvers",
    "resolve_override_mode",
    "resolve_run_interpolations",
}


def test_all_is_exactly_the_intended_set():
    assert set(config.__all__) == SEED_NAMES | OURS
    assert len(config.__all__) == len(set(config.__all__))


def test_every_name_resolves():
    for name in config.__all__:
        assert getattr(config, name) is not None, name
