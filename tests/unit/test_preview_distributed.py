"""Previews of distributed and remote jobs: the per-node torchrun command, passthrough
arguments for the script, and the paths a job on a remote cluster gets."""

from __future__ import annotations

import io
import shutil
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

import nemo_runspec_nb as nrs
from nemo_runspec_nb.cli._display import print_dry_run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "recipes"

# nemo-run -> leptonai -> fastapi imports starlette.middleware.wsgi, deprecated in starlette.
pytestmark = pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning")

PROFILES = textwrap.dedent(
    """
    [two-nodes]
    executor = "slurm"
    account = "acct"
    partition = "gpu"
    nodes = 2
    gpus_per_node = 2
    packager = "none"
    container_image = ""

    [remote]
    executor = "slurm"
    account = "acct"
    host = "login.example.org"
    user = "me"
    remote_job_dir = "/lustre/me/jobs"

    [remote-mapped]
    extends = "remote"
    remote_artifacts_root = "/lustre/me/artifacts"
    """
)


@pytest.fixture
def recipes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "recipes"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns(".nemotron", "__pycache__"))
    env = target / "env.toml"
    env.write_text(env.read_text() + PROFILES)
    monkeypatch.chdir(tmp_path)
    for var in ("NEMOTRON_ENV_FILE", "NEMOTRON_ARTIFACTS_ROOT"):
        monkeypatch.delenv(var, raising=False)
    return target


def _ddp(recipes: Path) -> nrs.Recipe:
    return nrs.Recipe(recipes / "ddp" / "allreduce.py")


def _per_node_command(recipes: Path, job: nrs.ComposedJob, args: str = "") -> str:
    ddp = recipes / "ddp"
    return textwrap.dedent(
        f"""\
        #!/usr/bin/env bash
        # Job ddp/allreduce: written by nemo_runspec_nb; this is exactly what the job runs.
        set -uo pipefail
        export PYTHONUNBUFFERED=1

        # recipe setup notes:
        #   CPU PyTorch (torch==2.13.0+cpu), omegaconf; nemo_runspec_nb for artifact tracking

        cd {ddp} || exit 1
        torchrun --nproc_per_node=2 --nnodes=2 --node_rank="$SLURM_NODEID" --rdzv_id="$SLURM_JOB_ID" \
--rdzv_backend=c10d --rdzv_endpoint="$MASTER_ADDR:$MASTER_PORT" {ddp / "allreduce.py"} \
--config {job.job_dir / "train.yaml"}{args}
        """
    )


def test_the_slurm_preview_shows_the_per_node_torchrun_command(recipes: Path) -> None:
    job = _ddp(recipes).compose(profile="two-nodes", mode="batch")
    preview = job.preview()
    assert preview.script_kind == "sbatch"
    assert preview.command == _per_node_command(recipes, job)
    # the batch script resolves the head node (outside the container) and exports it for srun
    sbatch = preview.script.splitlines()
    exports = [
        'export MASTER_ADDR="${head_node:-$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)}"',
        "export MASTER_PORT=$((29500 + SLURM_JOB_ID % 10000))",
    ]
    at = sbatch.index(exports[0])
    assert sbatch[at + 1] == exports[1]
    srun = next(i for i, line in enumerate(sbatch) if line.startswith("srun "))
    assert at < srun and sbatch[srun].endswith(f"bash {job.job_dir / 'run.sh'}")
    text = str(preview)
    assert "## per-node command (run.sh, started by srun on each node)\n" + preview.command in text
    assert "## sbatch script\n" in text


def test_the_cli_dry_run_prints_the_per_node_command_after_the_sbatch_script(recipes: Path) -> None:
    job = _ddp(recipes).compose(profile="two-nodes", mode="batch")
    preview = job.preview()
    console = Console(file=io.StringIO(), width=80)
    print_dry_run(console, job, preview)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    rule = "per-node command (run.sh, started by srun on each node) " + "─" * 24
    environment = "environment (secrets masked) " + "─" * 51
    assert out.index("sbatch script ─") < out.index(rule)
    section = out[out.index(rule) + len(rule) + 1 : out.index(environment)]
    assert section == preview.command


def test_a_local_preview_has_no_separate_per_node_command(recipes: Path) -> None:
    preview = _ddp(recipes).compose(profile="local").preview()
    assert preview.script_kind == "command" and preview.command == ""
    assert "torchrun --nproc_per_node=2 --standalone" in preview.script
    assert "## per-node command" not in str(preview)


def test_passthrough_arguments_reach_the_script_and_the_preview(recipes: Path) -> None:
    job = _ddp(recipes).compose(profile="two-nodes", mode="batch", passthrough=["--note", "two words"])
    assert job.preview().command == _per_node_command(recipes, job, " --note 'two words'")
    local = _ddp(recipes).compose(profile="local", passthrough=["--note=x"])
    assert local.preview().script.splitlines()[-4].endswith("train.yaml --note=x")


def test_a_remote_profile_warns_about_this_machines_artifact_root(recipes: Path) -> None:
    job = _ddp(recipes).compose(profile="remote", mode="batch")
    env = job.env_vars()
    # the job dir is where the job's files are on the cluster
    assert env["NEMOTRON_JOB_DIR"] == f"/lustre/me/jobs/{job.job_dir.name}"
    local_root = str(recipes / ".nemotron" / "artifacts")
    assert env["NEMOTRON_ARTIFACTS_ROOT"] == local_root
    note = (
        f"the job runs on login.example.org but gets this machine's artifact root "
        f"(NEMOTRON_ARTIFACTS_ROOT={local_root}); set remote_artifacts_root in profile 'remote' "
        "to where the cluster sees the registry (a shared path or an s3:// URL)"
    )
    preview = job.preview()
    assert preview.notes == (note,)
    assert f"# note: {note}\n" in str(preview)
    assert f"export NEMOTRON_JOB_DIR=/lustre/me/jobs/{job.job_dir.name}" in preview.script.splitlines()


def test_a_remote_profile_maps_the_artifact_root(recipes: Path) -> None:
    job = _ddp(recipes).compose(profile="remote-mapped", mode="batch")
    env = job.env_vars()
    assert env["NEMOTRON_ARTIFACTS_ROOT"] == "/lustre/me/artifacts"
    assert env["NEMOTRON_JOB_DIR"] == f"/lustre/me/jobs/{job.job_dir.name}"
    assert job.preview().notes == ()


def test_a_shared_artifact_url_needs_no_mapping(recipes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", "memory://shared")
    job = _ddp(recipes).compose(profile="remote", mode="batch")
    assert job.env_vars()["NEMOTRON_ARTIFACTS_ROOT"] == "memory://shared"
    assert job.preview().notes == ()


def test_a_local_tunnel_shares_this_machines_paths(recipes: Path) -> None:
    job = _ddp(recipes).compose(profile="two-nodes", mode="batch")
    assert job.env_vars()["NEMOTRON_JOB_DIR"] == str(job.job_dir)
    assert job.preview().notes == ()


def test_a_slurm_profile_without_a_tunnel_key_is_this_machine_and_gets_its_interpreter(recipes: Path) -> None:
    import os
    import sys

    job = _ddp(recipes).compose(profile="two-nodes", mode="batch")  # no `tunnel`: local by default
    path = job.env_vars()["PATH"].split(os.pathsep)
    assert path[0] == str(Path(sys.executable).parent)  # torchrun of the launching venv
    remote = _ddp(recipes).compose(profile="remote", mode="batch")
    assert "PATH" not in remote.env_vars()  # over SSH the cluster's own PATH


@pytest.mark.parametrize("args", [["--hf-token", "hf_abc"], ["--api_key=abc"], ["--wandb-api-key=x"]])
def test_a_secret_looking_script_argument_is_refused_before_anything_is_written(
    recipes: Path, args: list[str]
) -> None:
    job = _ddp(recipes).compose(profile="local", passthrough=args)
    with pytest.raises(nrs.errors.LaunchError, match="looks like a secret") as info:
        job.launch()
    assert info.value.key == args[0].split("=")[0]
    assert "environment variable" in str(info.value)
    jobs = recipes / ".nemotron" / "jobs"
    assert not jobs.exists() or not any(jobs.iterdir())  # nothing was written
    with pytest.raises(nrs.errors.LaunchError, match="looks like a secret"):
        job.preview()


def test_ordinary_script_arguments_pass(recipes: Path) -> None:
    job = _ddp(recipes).compose(profile="local", passthrough=["--keyboard-layout", "us", "--note=token-free"])
    assert job.preview().script.splitlines()[-4].endswith("--keyboard-layout us --note=token-free")
