"""Slurm jobs over an SSH tunnel, end to end, against the sshd of scripts/local-ssh/start.sh.

The "cluster" is the local Slurm reached as root@127.0.0.1:2222 with a
dedicated key; every job gets a remote_job_dir of its own under /tmp, distinct
from the local job dir, so a job that runs proves it ran from the uploaded copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nemo_runspec_nb as nrs
from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import JobHandle, JobStatus, SlurmQuery, refresh_statuses, submit

SSH_PORT = int(os.environ.get("NRS_SSH_PORT", "2222"))
SSH_KEY = os.environ.get("NRS_SSH_KEY", "/root/.ssh/nrs_local_ssh")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
RECIPES = PACKAGE_ROOT / "notebooks" / "recipes"
TIMEOUT = 120

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.ssh,
    pytest.mark.usefixtures("slurm_cluster", "ssh_server"),
    pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning"),
]

WHERE = (
    "import os\n"
    "print('script at', os.path.abspath(__file__), flush=True)\n"
    "print('cwd', os.getcwd(), flush=True)\n"
)


def ssh_down_reason() -> str | None:
    """Why the test sshd cannot be used, or None when a key login works."""
    if shutil.which("ssh") is None or shutil.which("rsync") is None:
        return "ssh/rsync not installed; run scripts/local-ssh/start.sh"
    if not Path(SSH_KEY).is_file():
        return f"no key {SSH_KEY}; run scripts/local-ssh/start.sh"
    argv = ["ssh", "-p", str(SSH_PORT), "-i", SSH_KEY, "-o", "BatchMode=yes"]
    argv += ["-o", "StrictHostKeyChecking=accept-new", "-o", "ConnectTimeout=5", "root@127.0.0.1", "true"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    except subprocess.TimeoutExpired:
        return f"ssh to 127.0.0.1:{SSH_PORT} timed out"
    if proc.returncode != 0:
        return f"no ssh login to 127.0.0.1:{SSH_PORT} ({proc.stderr.strip()}); run scripts/local-ssh/start.sh"
    return None


@pytest.fixture(scope="session")
def ssh_server() -> None:
    reason = ssh_down_reason()
    if reason:
        print(f"SKIP ssh tests: {reason}")
        pytest.skip(reason)


@pytest.fixture
def remote_root() -> Iterator[Path]:
    root = Path(f"/tmp/nrs-remote-{uuid.uuid4().hex[:10]}")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def ssh_profile(remote_root: Path, **extra: Any) -> dict[str, Any]:
    # The remote shell is a non-login shell: give the job this interpreter and this package.
    return {
        "executor": "slurm",
        "account": "default",
        "partition": "debug",
        "gpus_per_node": 0,
        "time": "00:05:00",
        "host": "127.0.0.1",
        "port": SSH_PORT,
        "user": "root",
        "identity": SSH_KEY,
        "remote_job_dir": str(remote_root),
        "container_image": "",
        "env_vars": {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": str(PACKAGE_ROOT),
        },
        **extra,
    }


@pytest.fixture
def ssh_project(project: Path) -> Path:
    """The integration project as a git repo (SSH jobs ship their code with the code packager)."""
    (project / "ssh_recipe.py").write_text(WHERE + (project / "recipe.py").read_text())
    (project / ".gitignore").write_text(".nemotron/\n")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    return project


def _files_under(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.exists():
            yield from (p for p in root.rglob("*") if p.is_file())


def test_a_job_runs_from_the_uploaded_copy_and_its_logs_come_back_over_ssh(
    ssh_project, make_request, launched, remote_root, gone_within
):
    request = make_request(
        ssh_profile(remote_root),
        env={"GREETING": "hello-over-ssh", "DEMO_TOKEN": "tok-ssh-secret-77"},
        script_name="ssh_recipe.py",
    )
    handle = submit(request)
    launched.append(handle)
    remote_dir = remote_root / request.job_dir.name
    record = handle.to_dict()
    assert record["ssh"] == {
        "host": "127.0.0.1",
        "user": "root",
        "port": SSH_PORT,
        "identity": SSH_KEY,
        "remote_job_dir": str(remote_root),
    }
    assert record["remote_dir"] == str(remote_dir)
    # run.sh names remote paths only
    run_sh = (request.job_dir / "run.sh").read_text()
    assert f"cd {remote_dir}/code" in run_sh and str(remote_dir / "exit_code") in run_sh
    assert str(request.job_dir) not in run_sh
    assert f"bash {remote_dir}/run.sh" in (request.job_dir / "sbatch.sh").read_text()

    state = handle.wait(timeout=TIMEOUT, poll=0.5)
    assert (state.status, state.exit_code) == (JobStatus.SUCCEEDED, 0), handle.logs()
    logs = handle.logs()
    assert f"script at {remote_dir}/code/ssh_recipe.py" in logs
    assert f"cwd {remote_dir}/code" in logs
    assert "greeting: hello-over-ssh" in logs
    assert "token visible: True" in logs
    assert (remote_dir / "exit_code").read_text().strip() == "0"
    assert handle.log_files() and all(str(p).startswith(str(remote_root)) for p in handle.log_files())
    # the secret reached the job, but no file of ours (local or remote) holds it, nor the record
    # kept while the job may be requeued; a cleanup job (afterany) removes it right after the end
    assert gone_within(remote_dir / ".runspec-secrets.sh")
    for path in _files_under(request.job_dir, remote_root, request.resolved_nemorun_home):
        assert "tok-ssh-secret-77" not in path.read_text(errors="replace"), path
    assert "tok-ssh-secret-77" not in logs


def test_the_secrets_file_is_owner_only_on_the_remote(ssh_project, make_request, launched, remote_root):
    # A job held in the queue (begin in the future) leaves its secrets file in place to inspect.
    profile = ssh_profile(remote_root, additional_parameters={"begin": "now+1hour"})
    request = make_request(profile, env={"DEMO_TOKEN": "tok-held"}, script_name="ssh_recipe.py")
    handle = submit(request)
    launched.append(handle)
    secrets = remote_root / request.job_dir.name / ".runspec-secrets.sh"
    assert secrets.is_file()
    assert secrets.stat().st_mode & 0o777 == 0o600
    assert not (request.job_dir / ".runspec-secrets.sh").exists()  # never written locally
    assert handle.status().status is JobStatus.PENDING
    assert handle.cancel().status is JobStatus.CANCELLED


def test_a_failing_ssh_job_reports_exit_code_3(ssh_project, make_request, launched, remote_root):
    handle = submit(make_request(ssh_profile(remote_root), exit_code=3, script_name="ssh_recipe.py"))
    launched.append(handle)
    state = handle.wait(timeout=TIMEOUT, poll=0.5)
    assert (state.status, state.exit_code) == (JobStatus.FAILED, 3)
    assert handle.logs(tail=1).strip() == "recipe exiting with 3"


def test_an_ssh_job_is_cancelled_over_ssh(ssh_project, make_request, launched, remote_root):
    handle = submit(make_request(ssh_profile(remote_root), sleep=300, script_name="ssh_recipe.py"))
    launched.append(handle)
    deadline = time.monotonic() + TIMEOUT
    while handle.status().status is not JobStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.3)
    state = handle.cancel()
    assert state.status is JobStatus.CANCELLED
    assert JobHandle.from_job_dir(handle.job_dir).status().status is JobStatus.CANCELLED


def test_an_ssh_job_is_reconnected_and_streamed_from_a_new_process(
    ssh_project, make_request, launched, remote_root
):
    handle = submit(
        make_request(
            ssh_profile(remote_root), sleep=2, env={"GREETING": "from-afar"}, script_name="ssh_recipe.py"
        )
    )
    launched.append(handle)
    code = (
        "import json, sys\n"
        "from nemo_runspec_nb.launch import JobHandle\n"
        "h = JobHandle.from_job_dir(sys.argv[1])\n"
        "chunks = []\n"
        "s = h.wait(timeout=120, poll=0.3, on_output=chunks.append)\n"
        "print(json.dumps({'status': s.status.value, 'exit_code': s.exit_code, 'job_id': s.job_id,"
        " 'streamed': ''.join(chunks), 'logs': h.logs()}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(handle.job_dir)],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
        env=env,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert (seen["status"], seen["exit_code"], seen["job_id"]) == ("SUCCEEDED", 0, handle.job_id)
    assert "greeting: from-afar" in seen["logs"]
    # streamed by offset: every line once, nothing lost
    assert seen["streamed"].count("greeting: from-afar") == 1
    assert seen["streamed"].count("recipe exiting with 0") == 1


def test_ssh_jobs_cost_one_squeue_per_refresh(ssh_project, make_request, launched, remote_root):
    handles = [
        submit(
            make_request(ssh_profile(remote_root), name=f"b{i}", exit_code=i % 2, script_name="ssh_recipe.py")
        )
        for i in range(3)
    ]
    launched.extend(handles)
    host = handles[0].host_key
    assert host == f"root@127.0.0.1:{SSH_PORT}"
    query = SlurmQuery(runner=handles[0].remote.runner)  # type: ignore[union-attr]
    deadline = time.monotonic() + TIMEOUT
    while True:
        before = query.calls
        states = refresh_statuses(handles, queries={host: query})
        assert query.calls - before <= 2
        if all(s.done for s in states) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [(s.status, s.exit_code) for s in states] == [
        (JobStatus.SUCCEEDED, 0),
        (JobStatus.FAILED, 1),
        (JobStatus.SUCCEEDED, 0),
    ]


def test_a_bad_key_is_one_line_launch_error(ssh_project, make_request, tmp_path, remote_root):
    bad_key = tmp_path / "not-a-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(bad_key)], check=True)
    request = make_request(ssh_profile(remote_root, identity=str(bad_key)), script_name="ssh_recipe.py")
    with pytest.raises(LaunchError) as info:
        submit(request)
    assert "\n" not in str(info.value).split(" Hint:")[0]
    assert "SSH to root@127.0.0.1" in str(info.value)
    assert info.value.hint and "identity" in info.value.hint
    assert not remote_root.exists()


@pytest.fixture
def ssh_repo(tmp_path: Path, monkeypatch, remote_root: Path) -> Path:
    """A git repo with the prep recipe and an env.toml holding an SSH profile."""
    root = tmp_path / "repo"
    (root / "recipes").mkdir(parents=True)
    shutil.copytree(RECIPES / "prep", root / "recipes" / "prep", ignore=shutil.ignore_patterns(".nemotron"))
    profile = ssh_profile(remote_root)
    env_vars = profile.pop("env_vars")
    lines = ["[ssh-slurm]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in profile.items()]
    lines += ["[ssh-slurm.env_vars]", *(f"{k} = {json.dumps(v)}" for k, v in env_vars.items())]
    (root / "recipes" / "env.toml").write_text("\n".join(lines) + "\n")
    (root / ".gitignore").write_text(".nemotron/\n")
    for cmd in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *cmd], cwd=root, check=True)
    monkeypatch.chdir(root)
    monkeypatch.delenv("NEMOTRON_ENV_FILE", raising=False)
    # the artifact registry: a path the job (on the "cluster") can write, passed through the env
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", str(tmp_path / "artifacts"))
    return root


def test_the_facade_launches_the_prep_recipe_over_ssh(ssh_repo: Path, remote_root: Path, tmp_path: Path):
    prep = nrs.Recipe(ssh_repo / "recipes" / "prep" / "prep.py")
    job = prep.compose(profile="ssh-slurm", mode="batch")
    preview = job.preview()
    assert preview.script_kind == "sbatch"
    assert f"bash {remote_root / job.job_dir.name}/run.sh" in preview.script
    handle = job.launch()
    try:
        state = handle.wait(timeout=180)
    finally:
        if not handle.status().done:
            handle.cancel()
    assert state.status.value == "SUCCEEDED", handle.logs()
    remote_dir = remote_root / handle.job_dir.name
    assert (remote_dir / "code" / "recipes" / "prep" / "prep.py").is_file()  # ran from the upload
    assert "published tiny-data:v1" in handle.logs()
    assert prep.session.registry().get("tiny-data:v1").path
    assert str(tmp_path / "artifacts") in str(prep.session.registry().root)


def test_the_cli_follower_streams_an_ssh_job(ssh_project, make_request, launched, remote_root):
    from nemo_runspec_nb.launch import LogFollower

    handle = submit(make_request(ssh_profile(remote_root), sleep=1, script_name="ssh_recipe.py"))
    launched.append(handle)
    chunks: list[str] = []
    follower = LogFollower(handle, sbatch_fallback=True)  # the follower of `runspec logs --follow`
    state = handle.wait(poll=0.3, on_output=chunks.append, follower=follower)
    assert state.status is JobStatus.SUCCEEDED
    text = "".join(chunks)
    assert text.count("recipe exiting with 0") == 1
    assert text.count("token visible: False") == 1
