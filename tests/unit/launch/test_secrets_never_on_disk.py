"""Secrets never land on disk in clear text, yet the job still gets them.

Unique values are planted in every source a secret comes from: a profile's
``env_vars``, the env.toml ``[wandb]`` api key, a ``+a.api_key=`` override and a
variable forwarded from the launching environment. Every byte we write (job
dir, nemo-run dir, previews, the sbatch script nemo-run renders) is searched
for them; the job itself proves it received each one by printing its SHA-256.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import os
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from omegaconf import OmegaConf

import nemo_runspec_nb as nrs
from nemo_runspec_nb.config import save_configs
from nemo_runspec_nb.config._redact import seal_secrets
from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import LaunchRequest, render_submission_script, submit
from nemo_runspec_nb.launch import _secrets as secrets_module
from nemo_runspec_nb.launch._secrets import SECRET_FILE_NAME, cleanup_job_argv, write_secret_file
from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun

PROBE = textwrap.dedent(
    '''\
    # /// script
    # [tool.runspec]
    # schema = "1"
    # name = "leak/probe"
    #
    # [tool.runspec.run]
    # launch = "direct"
    # cmd = "python {script} --config {config}"
    #
    # [tool.runspec.config]
    # dir = "./config"
    # default = "default"
    # ///
    """Prints the SHA-256 of each secret it receives (never the value)."""
    import hashlib, os, sys
    from omegaconf import OmegaConf

    cfg = OmegaConf.to_container(OmegaConf.load(sys.argv[sys.argv.index("--config") + 1]), resolve=True)

    def digest(value):
        return hashlib.sha256(value.encode()).hexdigest() if value else "missing"

    for name in ("HF_TOKEN", "WANDB_API_KEY", "NGC_API_KEY"):
        print("env", name, digest(os.environ.get(name)), flush=True)
    print("cfg a.api_key", digest(cfg["a"]["api_key"]), flush=True)
    print("cfg wandb_key", digest(cfg["wandb_key"]), flush=True)
    '''
)


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Planted:
    """One unique value per source, and the project that carries them."""

    def __init__(self, root: Path) -> None:
        tag = uuid.uuid4().hex
        self.profile = f"sk-PLANTED-profile-{tag}"
        self.wandb = f"sk-PLANTED-wandb-{tag}"
        self.override = f"sk-PLANTED-override-{tag}"
        self.forwarded = f"sk-PLANTED-forwarded-{tag}"
        self.root = root

    @property
    def values(self) -> dict[str, str]:
        return {
            "profile": self.profile,
            "wandb": self.wandb,
            "override": self.override,
            "forwarded": self.forwarded,
        }

    def hits(self, data: bytes | str, where: object) -> list[str]:
        raw = data.encode() if isinstance(data, str) else data
        return [
            f"{source} value in {where}" for source, value in self.values.items() if value.encode() in raw
        ]


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Planted:
    plant = Planted(tmp_path)
    recipe = tmp_path / "probe"
    (recipe / "config").mkdir(parents=True)
    (recipe / "probe.py").write_text(PROBE)
    # the recipe reads the [wandb] key through the run section, as a recipe author would
    (recipe / "config" / "default.yaml").write_text("lr: 0.1\nwandb_key: ${run.wandb.api_key}\n")
    (tmp_path / "env.toml").write_text(
        textwrap.dedent(
            f"""\
            [wandb]
            project = "leaks"
            api_key = "{plant.wandb}"

            [here]
            executor = "local"

            [here.env_vars]
            HF_TOKEN = "{plant.profile}"

            [cluster]
            executor = "slurm"
            account = "acct"
            partition = "debug"
            gpus_per_node = 0

            [cluster.env_vars]
            HF_TOKEN = "{plant.profile}"
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEMOTRON_ENV_FILE", raising=False)
    monkeypatch.delenv("NEMOTRON_ARTIFACTS_ROOT", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("NGC_API_KEY", plant.forwarded)  # forwarded from the launching environment
    return plant


def compose(plant: Planted, profile: str, mode: str = "batch") -> nrs.ComposedJob:
    recipe = nrs.Recipe(plant.root / "probe" / "probe.py")
    return recipe.compose(overrides=[f"+a.api_key={plant.override}"], profile=profile, mode=mode)


def files_under(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.exists():
            yield from (p for p in root.rglob("*") if p.is_file())


def leaks_on_disk(plant: Planted, *roots: Path) -> list[str]:
    found: list[str] = []
    for path in files_under(*roots):
        found += plant.hits(path.read_bytes(), path)
    return found


# -- the configs ----------------------------------------------------------------------------------
def test_saved_configs_hold_placeholders_that_resolve_in_the_job(planted: Planted):
    job = compose(planted, "here")
    job_yaml, train_yaml = job.save()
    assert leaks_on_disk(planted, job.job_dir) == []
    env = job.env_vars()
    # inside the job, with its secrets file sourced, train.yaml resolves to the real values
    saved = os.environ.copy()
    try:
        os.environ.update({k: v for k, v in env.items() if k.startswith("RUNSPEC_SECRET_")})
        train = OmegaConf.to_container(OmegaConf.load(train_yaml), resolve=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert train["a"]["api_key"] == planted.override
    assert train["wandb_key"] == planted.wandb
    saved_job = OmegaConf.to_container(OmegaConf.load(job_yaml), resolve=False)
    assert saved_job["run"]["env"]["env_vars"]["HF_TOKEN"] == "${oc.env:HF_TOKEN}"
    assert env["HF_TOKEN"] == planted.profile
    assert env["WANDB_API_KEY"] == planted.wandb
    assert env["NGC_API_KEY"] == planted.forwarded


def test_save_configs_seals_what_it_is_given(tmp_path: Path):
    job = {"run": {"cli": {"dotlist": ["+a.api_key=sk-x1"]}}, "a": {"api_key": "sk-x1"}}
    save_configs(job, {"a": {"api_key": "sk-x1"}, "password": "pw-x2"}, tmp_path)
    for name in ("job.yaml", "train.yaml"):
        text = (tmp_path / name).read_text()
        assert "sk-x1" not in text and "pw-x2" not in text, text
    train = OmegaConf.to_container(OmegaConf.load(tmp_path / "train.yaml"), resolve=False)
    assert train["a"]["api_key"] == "${oc.env:RUNSPEC_SECRET_A_API_KEY}"


def test_sealing_names_one_value_once_and_keeps_the_rest():
    sealed, values = seal_secrets(
        {
            "a": {"api_key": "v1", "b_key": "v2"},
            "b": {"key": "v2"},
            "c": {"api_key": "v3"},
            "c_api_key": "v4",
            "n_key": 3,
            "ref_token": "${oc.env:HF_TOKEN}",
            "lr": 0.1,
        }
    )
    assert values["RUNSPEC_SECRET_A_API_KEY"] == "v1"
    assert sealed["c"]["api_key"] == "${oc.env:RUNSPEC_SECRET_C_API_KEY}"
    assert sealed["c_api_key"] == "${oc.env:RUNSPEC_SECRET_C_API_KEY_2}"  # same name, other value
    assert values["RUNSPEC_SECRET_C_API_KEY_2"] == "v4"
    assert (sealed["n_key"], sealed["ref_token"], sealed["lr"]) == (3, "${oc.env:HF_TOKEN}", 0.1)
    assert seal_secrets(sealed) == (sealed, {})  # sealing twice changes nothing


# -- previews and the scheduler's script ----------------------------------------------------------
@pytest.mark.parametrize("profile", ["here", "cluster"])
def test_previews_and_rendered_scripts_hold_no_secret(planted: Planted, profile: str):
    job = compose(planted, profile)
    preview = job.preview()
    texts = {
        "preview": str(preview),
        "preview html": preview._repr_html_(),
        "job.yaml preview": preview.job_yaml,
        "train.yaml preview": preview.train_yaml,
        "script preview": preview.script,
        "env preview": repr(preview.env),
        "provenance": preview.provenance.to_string(),
        # what would be handed to the scheduler, before any masking
        "rendered script": render_submission_script(job._request()),
    }
    found = [hit for where, text in texts.items() for hit in planted.hits(text, where)]
    assert found == []
    if profile == "cluster":
        assert "#SBATCH" in texts["rendered script"]  # nemo-run's own sbatch dry run
        assert ".runspec-secrets.sh" in texts["rendered script"]


# -- a real local job -----------------------------------------------------------------------------
@pytest.mark.nemorun
def test_a_local_job_gets_every_secret_and_nothing_on_disk_holds_one(planted: Planted):
    job = compose(planted, "here")
    handle = job.launch()
    state = handle.wait(timeout=120)
    logs = handle.logs()
    assert state.done and state.exit_code == 0, (state, logs, (handle.job_dir / "runner.log").read_text())
    assert f"env HF_TOKEN {sha(planted.profile)}" in logs
    assert f"env WANDB_API_KEY {sha(planted.wandb)}" in logs
    assert f"env NGC_API_KEY {sha(planted.forwarded)}" in logs
    assert f"cfg a.api_key {sha(planted.override)}" in logs
    assert f"cfg wandb_key {sha(planted.wandb)}" in logs
    assert not list(handle.job_dir.glob(f"{SECRET_FILE_NAME}*")), "removed when the job ended"
    # the job dir, nemo-run's home and the artifacts all live under <project>/.nemotron
    assert leaks_on_disk(planted, planted.root / ".nemotron", Path.home() / ".nemo_run") == []
    assert planted.hits(logs, "logs") == []


# -- a failed secrets write -----------------------------------------------------------------------
class _FullDisk:
    """A file object whose write stores half the bytes, then fails like a full disk."""

    def __init__(self, handle: object) -> None:
        self.handle = handle

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()  # type: ignore[attr-defined]

    def write(self, data: bytes) -> int:
        self.handle.write(data[: len(data) // 2])  # type: ignore[attr-defined]
        self.handle.flush()  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, "No space left on device")


def _fail_fsync(_fd: int) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_a_failed_secrets_write_leaves_nothing_and_can_be_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
):
    value = f"sk-PLANTED-{uuid.uuid4().hex}"
    with monkeypatch.context() as patch:
        if where == "write":
            real = os.fdopen
            patch.setattr(secrets_module.os, "fdopen", lambda *a, **k: _FullDisk(real(*a, **k)))
        else:
            patch.setattr(secrets_module.os, "fsync", _fail_fsync)
        with pytest.raises(LaunchError, match="could not write the secrets file") as info:
            write_secret_file(tmp_path, {"HF_TOKEN": value, "WANDB_API_KEY": value})
    assert info.value.hint and "space" in info.value.hint
    assert list(tmp_path.iterdir()) == [], "no half file, no temporary file"
    path = write_secret_file(tmp_path, {"HF_TOKEN": value})  # the same dir works again
    assert value in path.read_text()


def _request(tmp_path: Path, value: str) -> LaunchRequest:
    script = tmp_path / "recipe.py"
    script.write_text("print('hi')\n")
    runspec = Runspec(
        script_path=script,
        name="demo",
        run=RunspecRun(launch="direct"),
        resources=RunspecResources(nodes=1, gpus_per_node=0),
    )
    job_dir = tmp_path / ".nemotron" / "jobs" / "one"
    job_dir.mkdir(parents=True)
    (job_dir / "train.yaml").write_text("lr: 0.1\n")
    return LaunchRequest(
        name="demo", job_dir=job_dir, script_path=script, runspec=runspec, env_vars={"DEMO_TOKEN": value}
    )


def test_a_submit_that_fails_after_the_secrets_file_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    value = f"sk-PLANTED-{uuid.uuid4().hex}"
    request = _request(tmp_path, value)
    jobs_module = importlib.import_module("nemo_runspec_nb.launch._jobs._submit")

    def full_disk(_request: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jobs_module, "prepare_code", full_disk)
    with pytest.raises(OSError, match="No space"):
        submit(request)
    assert not list(request.job_dir.glob(f"{SECRET_FILE_NAME}*"))
    assert all(value.encode() not in p.read_bytes() for p in files_under(request.job_dir))
    write_secret_file(request.job_dir, {"DEMO_TOKEN": value})  # no "a secrets file already exists"


# -- removal after the job ------------------------------------------------------------------------
def test_the_cleanup_job_waits_for_the_job_to_end_for_good():
    argv = cleanup_job_argv(
        "/jobs/one/.runspec-secrets.sh", "42", name="c-42", partition="debug", account="a"
    )
    assert argv[:2] == ["sbatch", "--parsable"]
    assert "--dependency=afterany:42" in argv  # a requeue does not satisfy afterany
    assert "--no-requeue" in argv and "--partition=debug" in argv and "--account=a" in argv
    assert argv[-1] == "--wrap=rm -f /jobs/one/.runspec-secrets.sh"
