"""Real jobs never leave a secret on disk in clear text, yet receive every one, even after a requeue.

Unique values are planted in a profile's ``env_vars``, the env.toml ``[wandb]``
api key, a ``+a.api_key=`` override and a variable forwarded from the
launching environment. A probe recipe prints the SHA-256 of each value it
gets; afterwards every file the job left behind (job dir, nemo-run's dirs and
the Slurm output files inside them, the remote dir of an SSH job) is searched
for the values, and the owner-only secrets file must be gone.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nemo_runspec_nb as nrs
from nemo_runspec_nb.launch import JobHandle

TIMEOUT = 180

pytestmark = [
    # nemo-run -> leptonai -> fastapi imports starlette.middleware.wsgi, deprecated in starlette.
    pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning"),
]

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
    import hashlib, os, sys, time
    from omegaconf import OmegaConf

    cfg = OmegaConf.to_container(OmegaConf.load(sys.argv[sys.argv.index("--config") + 1]), resolve=True)
    restart = os.environ.get("SLURM_RESTART_COUNT", "0")

    def digest(value):
        return hashlib.sha256(value.encode()).hexdigest() if value else "missing"

    for name in ("HF_TOKEN", "WANDB_API_KEY", "NGC_API_KEY"):
        print(f"run {restart} env {name} {digest(os.environ.get(name))}", flush=True)
    print(f"run {restart} cfg a.api_key {digest(cfg['a']['api_key'])}", flush=True)
    print(f"run {restart} cfg wandb_key {digest(cfg['wandb_key'])}", flush=True)
    if restart == "0":
        time.sleep(float(cfg.get("first_run_sleep", 0)))
    print(f"run {restart} done", flush=True)
    '''
)


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Project:
    """A git repo with the probe recipe and an env.toml whose profiles carry planted secrets."""

    def __init__(self, root: Path, profiles: dict[str, dict[str, Any]]) -> None:
        tag = uuid.uuid4().hex
        self.values = {
            "profile": f"sk-PLANTED-profile-{tag}",
            "wandb": f"sk-PLANTED-wandb-{tag}",
            "override": f"sk-PLANTED-override-{tag}",
            "forwarded": f"sk-PLANTED-forwarded-{tag}",
        }
        self.root = root
        (root / "probe" / "config").mkdir(parents=True)
        (root / "probe" / "probe.py").write_text(PROBE)
        (root / "probe" / "config" / "default.yaml").write_text(
            "lr: 0.1\nfirst_run_sleep: 0\nwandb_key: ${run.wandb.api_key}\n"
        )
        lines = ["[wandb]", 'project = "leaks"', f"api_key = {json.dumps(self.values['wandb'])}", ""]
        for name, profile in profiles.items():
            profile = dict(profile)
            env_vars = {**profile.pop("env_vars", {}), "HF_TOKEN": self.values["profile"]}
            lines += [f"[{name}]", *(f"{k} = {json.dumps(v)}" for k, v in profile.items())]
            lines += [f"[{name}.env_vars]", *(f"{k} = {json.dumps(v)}" for k, v in env_vars.items()), ""]
        (root / "env.toml").write_text("\n".join(lines))
        # env.toml holds the user's secrets: like a real project, it is not committed (nor shipped)
        (root / ".gitignore").write_text(".nemotron/\nenv.toml\n")
        for cmd in (
            ["init", "-q"],
            ["add", "."],
            ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
        ):
            subprocess.run(["git", *cmd], cwd=root, check=True)

    def compose(self, profile: str, *overrides: str) -> nrs.ComposedJob:
        recipe = nrs.Recipe(self.root / "probe" / "probe.py")
        return recipe.compose(
            overrides=[f"+a.api_key={self.values['override']}", *overrides], profile=profile, mode="batch"
        )

    def expected_lines(self, run: int = 0) -> list[str]:
        return [
            f"run {run} env HF_TOKEN {sha(self.values['profile'])}",
            f"run {run} env WANDB_API_KEY {sha(self.values['wandb'])}",
            f"run {run} env NGC_API_KEY {sha(self.values['forwarded'])}",
            f"run {run} cfg a.api_key {sha(self.values['override'])}",
            f"run {run} cfg wandb_key {sha(self.values['wandb'])}",
        ]

    def leaks(self, *roots: Path) -> list[str]:
        """Planted values in any file under ``roots`` and the project's ``.nemotron`` (ours, all of it)."""
        roots = (self.root / ".nemotron", *roots)
        found = []
        for root in roots:
            for path in (p for p in root.rglob("*") if p.is_file()) if root.exists() else ():
                data = path.read_bytes()
                found += [f"{src} value in {path}" for src, v in self.values.items() if v.encode() in data]
        return found


@pytest.fixture
def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    for name in ("NEMOTRON_ENV_FILE", "NEMOTRON_ARTIFACTS_ROOT", "WANDB_API_KEY", "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def make(profiles: dict[str, dict[str, Any]]) -> Project:
        project = Project(tmp_path / "repo", profiles)
        monkeypatch.setenv("NGC_API_KEY", project.values["forwarded"])  # forwarded to the job
        monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", str(tmp_path / "artifacts"))
        return project

    return make


@pytest.fixture
def handles() -> Iterator[list[JobHandle]]:
    out: list[JobHandle] = []
    yield out
    for handle in out:
        try:
            if not handle.status().done:
                handle.cancel()
        except Exception as exc:  # cleanup must not hide the test's own failure
            print(f"cleanup of {handle.job_dir} failed: {exc}")


LOCAL_SLURM = {
    "executor": "slurm",
    "tunnel": "local",
    "account": "local",
    "partition": "debug",
    "gpus_per_node": 0,
    "time": "00:10:00",
    "packager": "none",
    "container_image": "",
}


@pytest.mark.nemorun
def test_a_local_job(make_project, handles, gone_within):
    project = make_project({"here": {"executor": "local"}})
    handle = project.compose("here").launch()
    handles.append(handle)
    state = handle.wait(timeout=TIMEOUT)
    logs = handle.logs()
    assert (state.status.value, state.exit_code) == ("SUCCEEDED", 0), logs
    for line in project.expected_lines():
        assert line in logs
    assert gone_within(handle.job_dir / ".runspec-secrets.sh", 10)
    assert project.leaks(Path.home() / ".nemo_run") == []


@pytest.mark.slurm
@pytest.mark.usefixtures("slurm_cluster")
def test_a_slurm_job(make_project, handles, gone_within):
    project = make_project({"cluster": LOCAL_SLURM})
    job = project.compose("cluster")
    handle = job.launch()
    handles.append(handle)
    state = handle.wait(timeout=TIMEOUT, poll=0.5)
    logs = handle.logs()
    assert (state.status.value, state.exit_code) == ("SUCCEEDED", 0), logs
    for line in project.expected_lines():
        assert line in logs
    assert handle.to_dict().get("secrets_cleanup_job")
    assert gone_within(handle.job_dir / ".runspec-secrets.sh"), "the cleanup job removes it"
    # job dir, nemo-run's experiment dir and the Slurm output files are all under the project
    assert project.leaks(Path.home() / ".nemo_run") == []


def _wait_for(handle: JobHandle, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        logs = handle.logs()
        if text in logs:
            return logs
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not in the logs after {seconds:g} s:\n{handle.logs()}")


@pytest.mark.slurm
@pytest.mark.usefixtures("slurm_cluster")
def test_a_requeued_slurm_job_still_gets_its_secrets(make_project, handles, gone_within):
    project = make_project({"cluster": LOCAL_SLURM})
    handle = project.compose("cluster", "first_run_sleep=60").launch()
    handles.append(handle)
    first = _wait_for(handle, "run 0 cfg wandb_key", TIMEOUT)
    for line in project.expected_lines(0):
        assert line in first
    secrets = handle.job_dir / ".runspec-secrets.sh"
    subprocess.run(["scontrol", "requeue", str(handle.job_id)], check=True, timeout=30)
    time.sleep(2)
    assert secrets.exists(), "a requeue (which kills the batch script) keeps the secrets file"
    # Slurm holds a requeued job for about two minutes before it starts again
    second = _wait_for(handle, "run 1 done", 300)
    for line in project.expected_lines(1):
        assert line in second
    state = handle.wait(timeout=TIMEOUT, poll=1.0)
    assert (state.status.value, state.exit_code) == ("SUCCEEDED", 0), handle.logs()
    assert gone_within(secrets), "removed once the job ended for good"
    assert project.leaks(Path.home() / ".nemo_run") == []


@pytest.mark.slurm
@pytest.mark.ssh
@pytest.mark.usefixtures("slurm_cluster")
def test_an_ssh_job(make_project, handles, gone_within, tmp_path: Path):
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from test_slurm_ssh import ssh_down_reason, ssh_profile
    finally:
        sys.path.pop(0)
    reason = ssh_down_reason()
    if reason:
        pytest.skip(f"SSH login not available: {reason}")
    remote_root = Path(f"/tmp/nrs-remote-{uuid.uuid4().hex[:10]}")
    try:
        project = make_project({"ssh": ssh_profile(remote_root)})
        handle = project.compose("ssh").launch()
        handles.append(handle)
        state = handle.wait(timeout=TIMEOUT, poll=0.5)
        logs = handle.logs()
        assert (state.status.value, state.exit_code) == ("SUCCEEDED", 0), logs
        for line in project.expected_lines():
            assert line in logs
        remote_dir = remote_root / handle.job_dir.name
        assert (remote_dir / "run.sh").is_file()  # the job ran from the remote copy
        assert handle.to_dict().get("secrets_cleanup_job")
        assert gone_within(remote_dir / ".runspec-secrets.sh"), "the remote cleanup job removes it"
        assert not list(handle.job_dir.glob(".runspec-secrets.sh*")), "never written locally"
        assert project.leaks(remote_root, Path.home() / ".nemo_run") == []
    finally:
        subprocess.run(["rm", "-rf", str(remote_root)], check=False)
