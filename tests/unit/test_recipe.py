"""The facade: Recipe -> ComposedJob (compose, provenance, preview, save), Session, overrides text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

import nemo_runspec_nb as nrs
from nemo_runspec_nb.config import overrides_from_text
from nemo_runspec_nb.errors import ConfigNotFoundError, OverrideError, ProfileError, RunspecError

RECIPES = Path(__file__).resolve().parents[2] / "notebooks" / "recipes"


@pytest.fixture
def recipes(tmp_path: Path, monkeypatch) -> Path:
    target = tmp_path / "recipes"
    shutil.copytree(RECIPES, target, ignore=shutil.ignore_patterns(".nemotron"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEMOTRON_ENV_FILE", raising=False)
    monkeypatch.delenv("NEMOTRON_ARTIFACTS_ROOT", raising=False)
    return target


def test_recipe_finds_its_env_toml_and_configs(recipes: Path):
    recipe = nrs.Recipe(recipes / "train" / "train.py")
    assert recipe.name == "tiny/train"
    assert recipe.configs() == ["default", "tiny"]
    assert recipe.session.env_file == recipes / "env.toml"
    assert recipe.profiles() == ["local", "local-slurm", "local-slurm-long"]
    assert recipe.session.jobs_dir == recipes / ".nemotron" / "jobs"


def test_compose_applies_config_defaults_and_overrides_with_provenance(recipes: Path):
    job = nrs.Recipe(recipes / "prep" / "prep.py").compose("tiny", ["data.rows=300", "+extra.flag=true"])
    assert job.job_config.data.rows == 300
    assert job.job_config.data.features == 4  # tiny.yaml
    assert job.job_config.data.noise == 0.1  # default.yaml through defaults:
    assert job.job_config.extra.flag is True
    prov = job.provenance.set_index("key")["source"]
    assert prov["data.rows"] == "override:cli"
    assert prov["data.features"].startswith("config:") and prov["data.features"].endswith("tiny.yaml")
    assert prov["data.noise"].endswith("default.yaml")
    assert prov["run.env.gpus_per_node"] == "runspec"


def test_profile_goes_into_execution_with_its_chain(recipes: Path):
    job = nrs.Recipe(recipes / "prep" / "prep.py").compose(profile="local-slurm-long", mode="batch")
    assert job.execution["executor"] == "slurm"
    assert job.execution["time"] == "01:00:00"  # the child wins
    assert job.execution["partition"] == "debug"  # from the parent
    prov = job.provenance.set_index("key")["source"]
    assert prov["run.env.time"] == "profile:local-slurm-long"
    assert prov["run.env.partition"] == "profile:local-slurm"


def test_cell_text_overrides_dotlist_and_yaml(recipes: Path):
    recipe = nrs.Recipe(recipes / "prep" / "prep.py")
    dotlist = recipe.compose(overrides="# comment\ndata.rows=10   # inline\n\n~output.dir\n", source="cell")
    assert dotlist.job_config.data.rows == 10 and "dir" not in dotlist.job_config.output
    assert dotlist.provenance.set_index("key")["source"]["data.rows"] == "override:cell"
    mapping = recipe.compose(overrides="data:\n  rows: 11\n  noise: 0.5\n", source="cell")
    assert (mapping.job_config.data.rows, mapping.job_config.data.noise) == (11, 0.5)


def test_overrides_from_text_classifies():
    assert overrides_from_text("a=1\n+b=2\n~c").entries == ("a=1", "+b=2", "~c")
    assert overrides_from_text("a: 1\n").entries == "a: 1\n"
    assert overrides_from_text("# only comments\n\n").entries == ()
    assert overrides_from_text("url=http://x/#frag").entries == ("url=http://x/#frag",)


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"config": "tinyy"}, ConfigNotFoundError, "tiny"),
        ({"overrides": ["data.rowz=1"]}, OverrideError, "data.rows"),
        ({"overrides": ["data.rows"]}, OverrideError, "data.rows"),
        ({"profile": "local-slurmm", "mode": "batch"}, ProfileError, "local-slurm"),
        ({"mode": "batch"}, RunspecError, "needs a profile"),
        ({"mode": "detached"}, RunspecError, "unknown mode"),
    ],
)
def test_bad_input_is_a_typed_error_with_the_fix(recipes: Path, kwargs, error, text):
    with pytest.raises(error) as info:
        nrs.Recipe(recipes / "prep" / "prep.py").compose(**kwargs)
    assert text in str(info.value)
    assert "\n" not in str(info.value).strip() or isinstance(info.value, OverrideError)


def test_missing_recipe_is_file_not_found(recipes: Path):
    with pytest.raises(FileNotFoundError):
        nrs.Recipe(recipes / "nope.py")


def test_preview_shows_what_will_run_and_masks_secrets(recipes: Path, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "sekrit-value-123")
    job = nrs.Recipe(recipes / "prep" / "prep.py").compose(
        "tiny", ["+api_token=plain-secret-456", "+run.env.env_vars.HF_TOKEN=hf-secret-789"]
    )
    preview = job.preview()
    text = str(preview)
    for secret in ("sekrit-value-123", "plain-secret-456", "hf-secret-789"):
        assert secret not in text
        assert secret not in preview._repr_html_()
    assert "WANDB_API_KEY" in preview.env  # the name shows, the value does not
    assert preview.script_kind == "command"
    assert f"--config {job.job_dir}/train.yaml" in preview.script
    assert "python" in preview.script and str(job.runspec.script_path) in preview.script
    assert yaml.safe_load(preview.train_yaml)["data"]["rows"] == 200
    assert "run" not in yaml.safe_load(preview.train_yaml)
    assert not job.job_dir.exists()  # previewing writes nothing


def test_preview_on_slurm_is_the_sbatch_script(recipes: Path):
    job = nrs.Recipe(recipes / "prep" / "prep.py").compose("tiny", profile="local-slurm", mode="batch")
    preview = job.preview()
    assert preview.script_kind == "sbatch"
    assert "#SBATCH" in preview.script and "--partition=debug" in preview.script


def test_unpublished_artifact_is_a_note_in_preview_and_an_error_at_save(recipes: Path):
    job = nrs.Recipe(recipes / "train" / "train.py").compose("tiny")
    preview = job.preview()
    assert any("tiny-data" in note for note in preview.notes)
    assert "${art:data,path}" in preview.train_yaml
    with pytest.raises(nrs.errors.ArtifactNotFoundError, match="tiny-data"):
        job.save()
    assert not job.job_dir.exists()


def test_published_artifact_is_pinned_in_train_yaml(recipes: Path, tmp_path: Path):
    recipe = nrs.Recipe(recipes / "train" / "train.py")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    registry = recipe.session.registry()
    registry.publish("tiny-data", data_dir, metadata={"rows": 7})
    registry.publish("tiny-data", data_dir, metadata={"rows": 9})
    job = recipe.compose("tiny", ["run.data=tiny-data:v1"])
    job_yaml, train_yaml = job.save()
    train = yaml.safe_load(train_yaml.read_text())
    assert train["data"] == {"path": str(data_dir), "name": "tiny-data", "version": 1, "rows": 7}
    assert "${art:data,path}" in job_yaml.read_text()  # job.yaml keeps what the user wrote


def test_session_with_missing_env_file_is_a_profile_error(tmp_path: Path):
    with pytest.raises(ProfileError, match="does not exist"):
        nrs.Session(tmp_path / "env.toml")


def test_jobs_of_an_empty_project_is_an_empty_frame(recipes: Path):
    frame = nrs.jobs(env_file=recipes / "env.toml")
    assert frame.empty and {"name", "status", "job_dir"} <= set(frame.columns)


# --------------------------------------------------------------------------- profile keys a launch checks


def _add_profiles(recipes: Path, text: str) -> Path:
    env = recipes / "env.toml"
    env.write_text(env.read_text() + text)
    return env


def _line(path: Path, start: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(start))


def _assert_located(error: ProfileError, env: Path, line: int, profile: str) -> None:
    assert (error.path, error.line, error.profile) == (env, line, profile)
    assert str(error).startswith(f"{env}:{line}: profile '{profile}'"), str(error)


@pytest.mark.parametrize(
    ("profile", "error", "line_start"),
    [
        # a bad key: its own line
        ('packager = "slef_contained"', "unknown packager 'slef_contained'", 'packager = "slef'),
        # a key the profile lacks: the profile's table
        ('packager = "pattern"', "needs packager_patterns", "[launchable]"),
    ],
)
def test_a_packager_key_is_reported_at_its_line_of_env_toml(recipes: Path, profile, error, line_start):
    env = _add_profiles(recipes, f'\n[launchable]\nextends = "local-slurm"\n{profile}\n')
    job = nrs.Recipe(recipes / "prep" / "prep.py").compose(profile="launchable", mode="batch")
    with pytest.raises(ProfileError, match=re.escape(error)) as info:
        job.preview()
    _assert_located(info.value, env, _line(env, line_start), "launchable")
    assert info.value.key.startswith("launchable.packager")


def test_a_bad_env_var_is_reported_in_the_profile_that_set_it(recipes: Path):
    env = _add_profiles(
        recipes,
        '\n[vars]\nextends = "local"\n[vars.env_vars]\nOK = "1"\nNESTED = { a = 1 }\n'
        '\n[child]\nextends = "vars"\n',
    )
    job = nrs.Recipe(recipes / "prep" / "prep.py").compose(profile="child")
    with pytest.raises(ProfileError, match=r"env_vars\.NESTED must be a string") as info:
        job.env_vars()
    _assert_located(info.value, env, _line(env, "NESTED"), "vars")


def test_a_bad_key_the_yaml_set_is_not_blamed_on_env_toml(recipes: Path):
    job = nrs.Recipe(recipes / "prep" / "prep.py").compose(overrides=["+run.env.env_vars.X={a: 1}"])
    with pytest.raises(ProfileError, match=r"env_vars\.X must be a string") as info:
        job.env_vars()
    assert (info.value.path, info.value.profile) == (None, None)
