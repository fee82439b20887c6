"""SSH-tunnel jobs without a server: remote paths in run.sh, targets, log chunks, batching per host."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import (
    JobHandle,
    JobStatus,
    LaunchRequest,
    LogFollower,
    SlurmQuery,
    refresh_statuses,
    render_run_sh,
)
from nemo_runspec_nb.launch._remote import SSHTarget, parse_log_chunks, ssh_target
from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun
from nemo_runspec_nb.testing import FakeJob

SSH = {
    "executor": "slurm",
    "account": "a",
    "host": "login.example",
    "user": "me",
    "port": 2200,
    "identity": "~/.ssh/id_test",
    "remote_job_dir": "/lustre/me/nemo-run",
}


def _request(tmp_path: Path, profile=SSH, **kw) -> LaunchRequest:
    script = tmp_path / "recipes" / "recipe.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("print('hi')\n")
    runspec = Runspec(
        script_path=script,
        name="demo",
        run=RunspecRun(launch="direct", workdir=".."),
        resources=RunspecResources(nodes=1, gpus_per_node=0),
    )
    job_dir = tmp_path / ".nemotron" / "jobs" / "20260101-000000-demo"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return LaunchRequest(
        name="demo", job_dir=job_dir, script_path=script, runspec=runspec, profile=profile, **kw
    )


def test_run_sh_of_an_ssh_job_names_remote_paths_only(tmp_path):
    req = _request(tmp_path, env_vars={"HF_TOKEN": "hf_secret", "PLAIN": "1"})
    text = render_run_sh(req)
    remote = PurePosixPath("/lustre/me/nemo-run/20260101-000000-demo")
    code = remote / "code"
    # no packager in the request: an SSH job ships its code with "code"
    assert f"python {code}/recipes/recipe.py --config {code}/_runspec/train.yaml" in text
    assert f"export PYTHONPATH={code}" in text
    assert f"cd {code} || exit 1" in text  # run.workdir ".." from recipes/
    assert f"echo $$ > {remote}/job.pid" in text
    assert f"mv {remote}/exit_code.tmp {remote}/exit_code" in text
    assert str(tmp_path) not in text
    assert "hf_secret" not in text and "HF_TOKEN" not in text
    assert not req.job_dir.exists()  # a preview writes nothing


def test_a_script_outside_the_job_dir_is_not_shipped(tmp_path):
    from nemo_runspec_nb.launch._code import JobCode
    from nemo_runspec_nb.launch._jobs._render import remote_code as _remote_code

    code = JobCode(tmp_path / "x.py", tmp_path / "job" / "t.yaml", tmp_path / "job")
    with pytest.raises(LaunchError, match="outside the job directory"):
        _remote_code(code, tmp_path / "job", PurePosixPath("/r/job"))


def test_ssh_target_from_profile_and_record():
    target = ssh_target(SSH)
    assert target is not None
    assert target.key == "me@login.example:2200"
    assert target.identity and target.identity.endswith("/.ssh/id_test") and "~" not in target.identity
    assert SSHTarget.from_record(json.loads(json.dumps(target.to_record()))) == target
    argv = target.ssh_argv("squeue")
    assert argv[0] == "ssh" and argv[-2:] == ["--", "squeue"]
    assert "BatchMode=yes" in argv and "StrictHostKeyChecking=accept-new" in argv
    assert argv[argv.index("-p") : argv.index("-p") + 2] == ["-p", "2200"]
    assert target.job_dir(Path("/x/.nemotron/jobs/j1")) == PurePosixPath("/lustre/me/nemo-run/j1")
    assert ssh_target({"executor": "slurm", "account": "a"}) is None
    assert ssh_target({**SSH, "tunnel": "local"}) is None
    with pytest.raises(LaunchError, match="remote_job_dir"):
        ssh_target({**SSH, "remote_job_dir": ""})
    with pytest.raises(LaunchError, match="absolute"):
        ssh_target({**SSH, "remote_job_dir": "nemo-run"})
    with pytest.raises(LaunchError, match="needs 'host'"):
        ssh_target({"executor": "slurm", "tunnel": "ssh", "remote_job_dir": "/r"})


def test_an_unreachable_host_is_one_line_launch_error():
    target = SSHTarget(host="127.0.0.1", user="nobody", remote_job_dir="/r", port=9, connect_timeout=2)
    with pytest.raises(LaunchError) as info:
        target.run("true", what="check the login")
    assert "SSH to nobody@127.0.0.1:9 failed while trying to check the login" in str(info.value)
    assert info.value.hint and "ssh -p 9" in info.value.hint


def test_log_chunks_are_framed_by_byte_count():
    data = b"@@nrs-chunk 6 t/log-a_1_0.out\nab\ncd\n@@nrs-chunk 4 t/log-b_1_0.out\n@@nr"
    assert parse_log_chunks(data) == [("t/log-a_1_0.out", b"ab\ncd\n"), ("t/log-b_1_0.out", b"@@nr")]
    assert parse_log_chunks(b"") == []


def _record(job_dir: Path, **fields) -> Path:
    job_dir.mkdir(parents=True)
    base = {"format": 1, "name": job_dir.name, "executor": "slurm", "status": "PENDING"}
    (job_dir / "job.json").write_text(json.dumps({**base, **fields}))
    return job_dir


class Slurm:
    """A fake Slurm CLI: every id runs; records the ids it was asked about."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def __call__(self, argv):
        ids = argv[argv.index("-j") + 1].split(",")
        self.asked.append(ids)
        return "".join(f"{i}|RUNNING|None\n" for i in ids) if argv[0] == "squeue" else ""


def test_refresh_costs_one_squeue_per_host(tmp_path):
    def ssh(host: str) -> dict:
        return {"host": host, "user": "me", "port": None, "identity": None, "remote_job_dir": "/r"}

    handles = [
        JobHandle(_record(tmp_path / f"a{i}", job_id=str(10 + i), ssh=ssh("a.example"))) for i in range(3)
    ]
    handles += [
        JobHandle(_record(tmp_path / f"b{i}", job_id=str(20 + i), ssh=ssh("b.example"))) for i in range(2)
    ]
    handles += [JobHandle(_record(tmp_path / "local", job_id="30"))]
    fakes = {"me@a.example:22": Slurm(), "me@b.example:22": Slurm(), "": Slurm()}
    queries = {key: SlurmQuery(runner=fake) for key, fake in fakes.items()}
    states = refresh_statuses(handles, queries=queries)
    assert [s.status for s in states] == [JobStatus.RUNNING] * 6
    assert {key: q.calls for key, q in queries.items()} == {"me@a.example:22": 1, "me@b.example:22": 1, "": 1}
    assert fakes["me@a.example:22"].asked == [["10", "11", "12"]]
    assert fakes["me@b.example:22"].asked == [["20", "21"]]
    assert fakes[""].asked == [["30"]]


def test_an_unreachable_host_fails_a_strict_refresh_only(tmp_path):
    def down(argv):
        raise LaunchError("SSH to me@down:22 failed while trying to run squeue: timed out")

    ssh = {"host": "down", "user": "me", "remote_job_dir": "/r"}
    handle = JobHandle(_record(tmp_path / "j", job_id="5", ssh=ssh))
    queries = {"me@down:22": SlurmQuery(runner=down)}
    with pytest.raises(LaunchError, match="SSH to me@down"):
        refresh_statuses([handle], queries=queries)
    state = refresh_statuses([handle], queries=queries, strict=False)[0]
    assert state.status is JobStatus.UNKNOWN and "SSH to me@down" in state.detail


def test_log_follower_streams_remote_chunks_by_offset(tmp_path):
    job = FakeJob()  # read_logs(offsets) -> chunks by key, as an SSH job's handle answers
    follower = LogFollower(job, whole_lines=True)
    job.write_log(b"one\ntw", "t/log-1.out")
    assert follower.read() == "one\n"
    job.write_log(b"o\nthree", "t/log-1.out")
    assert follower.read() == "two\n"
    assert follower.read(final=True) == "three\n"
    assert follower.read(final=True) == ""
