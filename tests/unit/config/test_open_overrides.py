"""Open and strict overrides over a partial YAML; profile-only keys in the seed-style flow.

The recipe below is shaped like the real ones: its YAML holds one key, the
script builds the rest in code (``train.train_iters``, ``checkpoint.load``,
``optimizer.lr`` ...), and the env.toml profile provides ``partition``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from nemo_runspec_nb import parse
from nemo_runspec_nb.config import (
    GlobalContext,
    OverrideSet,
    apply_dotlist_overrides,
    apply_mapping_overrides,
    build_job_config,
    compose_job_config,
    extract_train_config,
    parse_config,
    resolve_override_mode,
)
from nemo_runspec_nb.errors import OverrideError, ProfileError, SpecError

NEW = "new key (not in the YAML)"
PARTIAL = {"train": {"micro_batch_size": 2}}


def _recipe(root: Path, *, mode: str | None = None, env_config: str = "") -> Path:
    extra = f'# [tool.runspec.config]\n# overrides = "{mode}"\n' if mode else ""
    script = root / "pretrain.py"
    script.write_text(
        '# /// script\n# [tool.runspec]\n# name = "demo/pretrain"\n'
        f"{extra}# [tool.runspec.resources]\n# nodes = 1\n# gpus_per_node = 0\n# ///\nprint('hi')\n",
        encoding="utf-8",
    )
    (root / "config").mkdir()
    (root / "config" / "default.yaml").write_text("train:\n  micro_batch_size: 2\n", encoding="utf-8")
    (root / "env.toml").write_text(
        env_config
        + textwrap.dedent(
            """
            [cluster]
            executor = "slurm"
            account = "acct"
            partition = "interactive"
            """
        ),
        encoding="utf-8",
    )
    return script


@pytest.fixture
def strict_recipe(tmp_path: Path) -> Path:
    return _recipe(tmp_path)


@pytest.fixture
def open_recipe(tmp_path: Path) -> Path:
    return _recipe(tmp_path, mode="open")


def _compose(script: Path, *overrides: str, **kwargs: object) -> object:
    return compose_job_config(
        parse(script), overrides=list(overrides), env_file=script.parent / "env.toml", **kwargs
    )


# --------------------------------------------------------------------------- the documented invocations

DOCUMENTED = [
    ("train.train_iters=5000",),
    ("train.train_iters=5000", "optimizer.lr=3e-4"),
    ("checkpoint.load=/ckpt/iter_0001000",),
    ("grpo.num_iterations=10", "train.micro_batch_size=4"),
]


@pytest.mark.parametrize("tokens", DOCUMENTED)
def test_strict_mode_rejects_keys_the_code_defines_and_says_how_to_allow_them(strict_recipe, tokens):
    with pytest.raises(OverrideError, match="is not in the config") as info:
        _compose(strict_recipe, *tokens)
    assert "To add a new key use '+" in str(info.value)
    assert "--overrides open" in str(info.value)


@pytest.mark.parametrize("tokens", DOCUMENTED)
def test_open_mode_adds_keys_the_code_defines_and_marks_them_new(open_recipe, tokens):
    composed = _compose(open_recipe, *tokens)
    assert composed.override_mode == "open"
    prov = composed.provenance
    for token in tokens:
        key, _, _ = token.partition("=")
        assert prov.source_of(key) == "override:cli"
        expected = "" if key == "train.micro_batch_size" else NEW
        assert next(r.note for r in prov if r.key == key) == expected
    assert "train.micro_batch_size" not in prov.new_keys()


def test_open_mode_values_reach_train_yaml(open_recipe):
    composed = _compose(open_recipe, "train.train_iters=5000", "optimizer.lr=3e-4")
    train = extract_train_config(composed.job_config)
    assert train.train.train_iters == 5000 and train.train.micro_batch_size == 2
    assert train.optimizer.lr == pytest.approx(3e-4)
    assert composed.provenance.new_keys() == ["train.train_iters", "optimizer.lr"]


@pytest.mark.parametrize("mode", ["strict", "open"])
def test_a_typo_of_an_existing_key_is_an_error_in_both_modes(strict_recipe, mode):
    with pytest.raises(OverrideError, match=r"Did you mean 'train\.micro_batch_size'") as info:
        _compose(strict_recipe, "train.micro_batch_sise=4", override_mode=mode)
    assert info.value.key == "train.micro_batch_sise"
    assert "+train.micro_batch_sise=4" in str(info.value)


def test_a_typo_of_an_existing_section_is_an_error_in_open_mode(open_recipe):
    with pytest.raises(OverrideError, match="Did you mean 'train'"):
        _compose(open_recipe, "trian.train_iters=5")


def test_plus_forces_a_name_close_to_an_existing_key(open_recipe):
    composed = _compose(open_recipe, "+train.micro_batch_sise=4")
    assert composed.job_config.train.micro_batch_sise == 4
    assert composed.provenance.new_keys() == ["train.micro_batch_sise"]


def test_names_that_are_not_typos_are_added_in_open_mode():
    out = apply_dotlist_overrides(
        {"train": {"micro_batch_size": 2, "min_lr": 0.0}},
        ["train.global_batch_size=64", "train.max_lr=1e-3"],
        mode="open",
    )
    assert out.train.global_batch_size == 64 and out.train.max_lr == pytest.approx(1e-3)


def test_open_mode_cell_mapping_adds_sections_and_keys():
    cell = "train:\n  train_iters: 5000\noptimizer:\n  lr: 3.0e-4\n"
    out = apply_mapping_overrides(PARTIAL, cell, mode="open")
    assert out.train.train_iters == 5000 and out.train.micro_batch_size == 2
    assert out.optimizer.lr == pytest.approx(3e-4)
    with pytest.raises(OverrideError, match="is not in the config"):
        apply_mapping_overrides(PARTIAL, cell)
    with pytest.raises(OverrideError, match=r"Did you mean 'train\.micro_batch_size'"):
        apply_mapping_overrides(PARTIAL, "train:\n  micro_batch_sise: 4\n", mode="open")


def test_open_mode_keeps_the_other_checks():
    data = {"train": {"micro_batch_size": 2, "tags": ["a"]}}
    with pytest.raises(OverrideError, match="out of range"):
        apply_dotlist_overrides(data, ["train.tags[3]=x"], mode="open")
    with pytest.raises(OverrideError, match="not a mapping or list"):
        apply_dotlist_overrides(data, ["train.micro_batch_size.x=1"], mode="open")
    with pytest.raises(OverrideError, match="already exists"):
        apply_dotlist_overrides(data, ["+train.micro_batch_size=1"], mode="open")


# --------------------------------------------------------------------------- where the mode comes from


def test_mode_precedence_explicit_then_env_toml_then_recipe(tmp_path):
    script = _recipe(tmp_path, mode="open", env_config='[config]\noverrides = "strict"\n')
    runspec = parse(script)
    env = tmp_path / "env.toml"
    assert runspec.config.overrides == "open"
    assert resolve_override_mode(runspec=runspec) == "open"
    assert resolve_override_mode(runspec=runspec, env_file=env) == "strict"
    assert resolve_override_mode("open", runspec=runspec, env_file=env) == "open"
    ctx = GlobalContext(overrides="open")
    assert resolve_override_mode(None, ctx, runspec=runspec, env_file=env) == "open"
    with pytest.raises(OverrideError, match="is not in the config"):
        _compose(script, "train.train_iters=5")
    assert _compose(script, "train.train_iters=5", override_mode="open").job_config.train.train_iters == 5


def test_env_toml_config_section_is_not_a_profile(tmp_path):
    from nemo_runspec_nb.config import list_profiles

    script = _recipe(tmp_path, env_config='[config]\noverrides = "open"\n')
    assert list_profiles(tmp_path / "env.toml") == ["cluster"]
    assert _compose(script, "train.train_iters=5").job_config.train.train_iters == 5


def test_bad_mode_in_the_runspec_names_the_key_and_line(tmp_path):
    script = _recipe(tmp_path, mode="opne")
    with pytest.raises(SpecError) as info:
        parse(script)
    assert info.value.key == "tool.runspec.config.overrides"
    assert info.value.line == 5
    assert "Did you mean 'open'?" in str(info.value)


def test_bad_mode_in_env_toml_is_a_profile_error(tmp_path):
    script = _recipe(tmp_path, env_config="[config]\noverrides = true\n")
    with pytest.raises(ProfileError) as info:
        _compose(script, "train.micro_batch_size=3")
    assert info.value.key == "config.overrides"
    assert "Use 'strict' or 'open'" in str(info.value)


def test_bad_mode_argument_is_an_override_error(strict_recipe):
    with pytest.raises(OverrideError, match="Did you mean 'open'"):
        _compose(strict_recipe, override_mode="opn")
    with pytest.raises(OverrideError) as info:
        parse_config(GlobalContext(overrides="loose"), strict_recipe.parent / "config")  # type: ignore[arg-type]
    assert info.value.key == "--overrides"


# --------------------------------------------------------------------------- profile-only keys


def test_compose_overrides_a_key_only_the_profile_provides(strict_recipe):
    composed = _compose(strict_recipe, "run.env.partition=batch", profile="cluster", mode="batch")
    assert composed.job_config.run.env.partition == "batch"
    assert composed.provenance.source_of("run.env.partition") == "override:cli"
    assert composed.provenance.new_keys() == []


def _seed_flow(script: Path, ctx: GlobalContext) -> object:
    runspec = parse(script)
    env = script.parent / "env.toml"
    train = parse_config(ctx, runspec.config_dir, runspec.config.default, runspec=runspec, env_file=env)
    return build_job_config(train, ctx, argv=["pretrain"], runspec=runspec, env_file=env)


def test_seed_flow_overrides_a_profile_key_after_the_profile_is_merged(strict_recipe):
    ctx = GlobalContext(batch="cluster", dotlist=["run.env.partition=batch", "train.micro_batch_size=4"])
    job = _seed_flow(strict_recipe, ctx)
    assert job.run.env.partition == "batch"
    assert job.run.env.account == "acct"
    assert job.train.micro_batch_size == 4
    assert list(job.run.cli.dotlist) == ctx.dotlist


def test_seed_flow_applies_adds_and_deletes_once(strict_recipe):
    ctx = GlobalContext(
        batch="cluster",
        dotlist=["+train.seed=7", "~run.env.account", "+run.env.qos=high", "~train.micro_batch_size"],
    )
    job = _seed_flow(strict_recipe, ctx)
    assert job.train.seed == 7 and "micro_batch_size" not in job.train
    assert "account" not in job.run.env and job.run.env.qos == "high"


def test_seed_flow_parse_config_alone_applies_the_train_overrides(strict_recipe):
    ctx = GlobalContext(dotlist=["train.micro_batch_size=8", "run.env.partition=batch"])
    train = parse_config(ctx, strict_recipe.parent / "config")
    assert train.train.micro_batch_size == 8
    assert list(train.run.cli.dotlist) == [
        "train.micro_batch_size=8"
    ]  # the profile key waits for build_job_config


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("run.env.partiton=batch", "Did you mean 'run.env.partition'"),
        ("run.env.brand_new=1", "is not in the config"),
        ("train.train_iters=5000", "is not in the config"),
    ],
)
def test_seed_flow_strict_mode_still_rejects_unknown_keys(strict_recipe, token, message):
    with pytest.raises(OverrideError, match=message):
        _seed_flow(strict_recipe, GlobalContext(batch="cluster", dotlist=[token]))


def test_seed_flow_open_mode_adds_code_keys_and_profile_overrides(strict_recipe):
    ctx = GlobalContext(
        batch="cluster",
        overrides="open",
        dotlist=["train.train_iters=5000", "optimizer.lr=3e-4", "run.env.partition=batch"],
    )
    job = _seed_flow(strict_recipe, ctx)
    assert job.train.train_iters == 5000 and job.optimizer.lr == pytest.approx(3e-4)
    assert job.run.env.partition == "batch"
    with pytest.raises(OverrideError, match=r"Did you mean 'train\.micro_batch_size'"):
        _seed_flow(strict_recipe, GlobalContext(overrides="open", dotlist=["train.micro_batch_sise=4"]))


def test_build_job_config_with_sets_keeps_the_mode(open_recipe):
    runspec = parse(open_recipe)
    job = build_job_config(
        PARTIAL,
        GlobalContext(),
        runspec=runspec,
        env_file=open_recipe.parent / "env.toml",
        overrides=[OverrideSet("cell", "checkpoint:\n  load: /ckpt\n")],
    )
    assert job.checkpoint.load == "/ckpt"


def test_seed_flow_with_an_empty_run_section_applies_adds_once(tmp_path):
    script = _recipe(tmp_path)
    (tmp_path / "config" / "default.yaml").write_text(
        "train:\n  micro_batch_size: 2\nrun:\n", encoding="utf-8"
    )
    job = _seed_flow(script, GlobalContext(batch="cluster", dotlist=["+train.seed=7", "run.env.partition=b"]))
    assert job.train.seed == 7 and job.run.env.partition == "b"
