"""The magics through a real InteractiveShell: values returned, settings, one-line UsageErrors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError

from nemo_runspec_nb import ComposedJob, Recipe


def test_load_ext_imports_nothing_heavy() -> None:
    code = (
        "import json, sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'nemo_runspec_nb')\n"
        "heavy = ['pandas', 'ipywidgets', 'nemo_run', 'omegaconf', 'fsspec', 'yaml']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
        "print(json.dumps(sorted(ip.magics_manager.magics['cell'])))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded, cell_magics = (json.loads(line) for line in out.splitlines()[-2:])
    assert loaded == []
    assert "recipe" in cell_magics


def test_runspec_returns_the_recipe(shell, project: Path) -> None:
    recipe = shell.run_line_magic("runspec", "prep/prep.py")
    assert isinstance(recipe, Recipe)
    assert recipe.name == "tiny/prep"
    assert recipe.session.env_file == project / "env.toml"
    assert "tiny" in recipe._repr_html_()


def test_runspec_list_returns_the_catalog(shell) -> None:
    frame = shell.run_line_magic("runspec", "--list .")
    assert isinstance(frame, pd.DataFrame)
    assert sorted(frame.name) == ["tiny/eval", "tiny/prep", "tiny/train"]
    assert sorted(shell.run_line_magic("runspec", ".").name) == sorted(frame.name)


def test_recipe_dry_run_composes_with_the_cell_overrides(shell) -> None:
    job = shell.run_cell_magic(
        "recipe", "train/train.py -c tiny -d --name planned", "model.lr=0.2  # faster\n"
    )
    assert isinstance(job, ComposedJob)
    assert job.job_config.model.lr == 0.2
    assert shell.user_ns["planned"] is job
    row = job.provenance.set_index("key").loc["model.lr"]
    assert row.source == "override:cell"
    assert not job.job_dir.exists()  # nothing was launched


def test_recipe_cell_may_be_yaml(shell) -> None:
    job = shell.run_cell_magic(
        "recipe", "train/train.py -c tiny -d", "# YAML this time\nmodel:\n  epochs: 3\n"
    )
    assert job.job_config.model.epochs == 3


def test_recipe_line_form_has_no_overrides(shell) -> None:
    job = shell.run_line_magic("recipe", "train/train.py -d")
    assert job.config_path.name == "default.yaml"


def test_batch_flag_composes_for_the_profile(shell) -> None:
    job = shell.run_cell_magic("recipe", "train/train.py -c tiny -b local-slurm-long -d", "# none")
    assert (job.profile, job.mode) == ("local-slurm-long", "batch")
    assert job.execution["time"] == "01:00:00"


def test_config_profile_is_the_default_profile(shell) -> None:
    shell.run_line_magic("config", 'RunspecMagics.profile = "local-slurm"')
    assert shell.run_line_magic("config", "RunspecMagics.profile") == "local-slurm"
    job = shell.run_line_magic("recipe", "prep/prep.py -d")
    assert (job.profile, job.mode) == ("local-slurm", "batch")
    explicit = shell.run_line_magic("recipe", "prep/prep.py -r local -d")
    assert (explicit.profile, explicit.mode) == ("local", "run")


def test_config_env_file_and_artifacts_root(shell, project: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "env.toml"
    other.parent.mkdir()
    other.write_text('[only-here]\nexecutor = "local"\n')
    shell.run_line_magic("config", f'RunspecMagics.env_file = "{other}"')
    shell.run_line_magic("config", f'RunspecMagics.artifacts_root = "{tmp_path / "arts"}"')
    recipe = shell.run_line_magic("runspec", "prep/prep.py")
    assert recipe.profiles() == ["only-here"]
    assert Path(recipe.session.registry().root) == tmp_path / "arts"


def test_jobs_and_artifacts_start_empty(shell) -> None:
    shell.run_line_magic("runspec", "prep/prep.py")
    jobs = shell.run_line_magic("jobs", "")
    assert list(jobs.columns[:3]) == ["name", "status", "exit_code"] and jobs.empty
    table = shell.run_line_magic("artifacts", "")
    assert table.empty and "latest" in table.columns


@pytest.mark.parametrize(
    ("line", "body", "expected"),
    [
        ("train/train.py -c tiny -b local-slurmm -d", "# none", "Did you mean 'local-slurm'?"),
        ("train/train.py -c tiny -d", "model.lrr=0.1", "Did you mean 'model.lr'?"),
        ("train/train.py -c tiny -d", "model.lr 0.1 x", "must be a YAML mapping"),
        ("train/train.py -c tinyy -d", "# none", "Did you mean 'tiny'?"),
        ("train/trian.py -d", "# none", "Did you mean 'train.py'?"),
        ("nowhere/train.py -d", "# none", "does not exist either"),
        ("train/train.py --bogus", "# none", "unrecognized arguments: --bogus"),
        ("train/train.py -r local -b local", "# none", "not allowed with argument"),
        ("train/train.py -d --name 1x", "# none", "not a valid Python variable name"),
        ("'train/train.py", "# none", "cannot split the arguments"),
    ],
)
def test_bad_input_is_one_line_usage_error(shell, line: str, body: str, expected: str) -> None:
    with pytest.raises(UsageError) as info:
        shell.run_cell_magic("recipe", line, body)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_bad_flags_of_the_line_magics(shell) -> None:
    with pytest.raises(UsageError, match="unrecognized arguments: --nope"):
        shell.run_line_magic("jobs", "--nope")
    with pytest.raises(UsageError, match="give a recipe script"):
        shell.run_line_magic("runspec", "")
    with pytest.raises(UsageError, match="give the artifact name too"):
        shell.run_line_magic("artifacts", "--lineage 3")
    with pytest.raises(UsageError, match="Artifact 'nope' not found"):
        shell.run_line_magic("artifacts", "nope")


def test_help_prints_and_returns_nothing(shell, capsys) -> None:
    assert shell.run_cell_magic("recipe", "--help", "# none") is None
    assert "The cell body holds overrides" in capsys.readouterr().out


def test_unexpected_errors_keep_their_traceback(shell, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(Recipe, "compose", broken)
    with pytest.raises(RuntimeError, match="a real bug"):
        shell.run_cell_magic("recipe", "prep/prep.py -d", "# none")


def test_error_in_a_cell_shows_no_traceback(shell, capsys) -> None:
    result = shell.run_cell("%%recipe train/train.py -c tiny -d\nmodel.lrr=0.1\n")
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert "UsageError: override 'model.lrr=0.1'" in err
    assert "Traceback" not in err


@pytest.mark.nemorun
def test_recipe_launches_and_returns_the_handle(shell) -> None:
    handle = shell.run_cell_magic("recipe", "prep/prep.py -c tiny --name job", "data.rows=50")
    assert shell.user_ns["job"] is handle
    state = handle.wait(timeout=120, poll=0.3)
    assert state.status.value == "SUCCEEDED", handle.logs()
    jobs = shell.run_line_magic("jobs", "-n 1")
    assert jobs.loc[0, "status"] == "SUCCEEDED"
    versions = shell.run_line_magic("artifacts", "tiny-data")
    assert versions.loc[0, "rows"] == 50
    lineage = shell.run_line_magic("artifacts", "tiny-data --lineage latest")
    assert lineage.empty
    assert "SUCCEEDED" in str(handle) and "nrs-status-succeeded" in handle._repr_html_()


@pytest.mark.nemorun
def test_run_flag_waits_and_streams_the_output(shell, capsys) -> None:
    handle = shell.run_cell_magic("recipe", "prep/prep.py -c tiny -r local", "data.rows=40")
    assert handle.status().status.value == "SUCCEEDED"
    assert "prep: wrote 40 rows" in capsys.readouterr().out
