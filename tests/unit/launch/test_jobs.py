"""Job records, previews and listings (no process started, no nemo-run import)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import (
    JobHandle,
    JobStatus,
    LaunchRequest,
    SlurmQuery,
    jobs,
    refresh_statuses,
    render_run_sh,
)
from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun


def _request(tmp_path: Path, **kw) -> LaunchRequest:
    script = tmp_path / "recipe.py"
    script.write_text("print('hi')\n")
    runspec = Runspec(
        script_path=script,
        name="demo",
        run=RunspecRun(launch="direct"),
        resources=RunspecResources(nodes=1, gpus_per_node=0),
        env={"FROM_SPEC": "1"},
    )
    job_dir = tmp_path / ".nemotron" / "jobs" / "20260101-000000-demo"
    return LaunchRequest(name="demo", job_dir=job_dir, script_path=script, runspec=runspec, **kw)


def _record(job_dir: Path, **fields) -> Path:
    job_dir.mkdir(parents=True)
    base = {"format": 1, "name": job_dir.name, "executor": "slurm", "status": "PENDING", "job_id": None}
    (job_dir / "job.json").write_text(json.dumps({**base, **fields}))
    return job_dir


def test_request_defaults(tmp_path):
    req = _request(tmp_path)
    assert req.train_config == req.job_dir / "train.yaml"
    assert req.executor_name == "local"
    assert req.resolved_nemorun_home == tmp_path / ".nemotron" / "nemorun"
    with pytest.raises(LaunchError, match="unknown launch mode"):
        _request(tmp_path, mode="detach")
    with pytest.raises(TypeError):
        req.profile["executor"] = "slurm"  # type: ignore[index]


def test_preview_never_shows_secret_values(tmp_path):
    req = _request(tmp_path, env_vars={"HF_TOKEN": "hf_abc123", "WANDB_PROJECT": "p"})
    text = render_run_sh(req)
    assert "hf_abc123" not in text
    assert "HF_TOKEN" not in text
    assert "export WANDB_PROJECT=p" in text
    assert "export FROM_SPEC=1" in text
    assert ".runspec-secrets.sh" in text
    assert f"python {req.script_path} --config {req.job_dir / 'train.yaml'}" in text
    assert not req.job_dir.exists()  # a preview writes nothing


def test_preview_does_not_import_nemo_run(tmp_path):
    render_run_sh(_request(tmp_path))
    import subprocess

    code = "import nemo_runspec_nb.launch, sys; print('nemo_run' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_from_job_dir_without_a_record(tmp_path):
    with pytest.raises(LaunchError, match="no job record"):
        JobHandle.from_job_dir(tmp_path)


class CountingSlurm:
    def __init__(self, running: set[str], ended: dict[str, str]) -> None:
        self.running, self.ended = running, ended

    def __call__(self, argv):
        ids = argv[argv.index("-j") + 1].split(",")
        if argv[0] == "squeue":
            return "".join(f"{i}|RUNNING|None\n" for i in ids if i in self.running)
        return "".join(f"{i}|{self.ended[i]}\n" for i in ids if i in self.ended)


def test_refreshing_many_slurm_jobs_is_batched_and_final_states_are_kept(tmp_path):
    root = tmp_path / "jobs"
    handles = [
        JobHandle(_record(root / f"2026010{i}-job{i}", job_id=str(i), submitted=f"2026-01-0{i}"))
        for i in range(1, 6)
    ]
    fake = CountingSlurm({"1", "2", "3"}, {"4": "FAILED|3:0", "5": "COMPLETED|0:0"})
    query = SlurmQuery(runner=fake)
    states = refresh_statuses(handles, query=query)
    assert [s.status for s in states] == [JobStatus.RUNNING] * 3 + [JobStatus.FAILED, JobStatus.SUCCEEDED]
    assert (states[3].exit_code, states[3].job_id) == (3, "4")
    assert query.calls == 2
    # ended jobs are answered from their records from now on
    query2 = SlurmQuery(runner=CountingSlurm({"1", "2", "3"}, {}))
    refresh_statuses(handles[3:], query=query2)
    assert query2.calls == 0
    assert json.loads((handles[3].job_dir / "job.json").read_text())["exit_code"] == 3


def test_a_cancel_marker_turns_a_failed_slurm_job_into_cancelled(tmp_path):
    handle = JobHandle(_record(tmp_path / "j", job_id="9"))
    (handle.job_dir / "cancel_requested").write_text("now")
    state = refresh_statuses([handle], query=SlurmQuery(runner=CountingSlurm(set(), {"9": "FAILED|0:15"})))[0]
    assert state.status is JobStatus.CANCELLED


def test_jobs_lists_records_newest_first(tmp_path):
    root = tmp_path / "jobs"
    _record(root / "a", job_id="1", status="SUCCEEDED", exit_code=0, submitted="2026-01-01T00:00:00")
    _record(root / "b", job_id="2", status="FAILED", exit_code=3, submitted="2026-01-02T00:00:00")
    (root / "not-a-job").mkdir()
    frame = jobs(root, refresh=False)
    assert list(frame["job_id"]) == ["2", "1"]
    assert list(frame["status"]) == ["FAILED", "SUCCEEDED"]
    assert list(frame.columns)[:3] == ["name", "status", "exit_code"]
    assert jobs(tmp_path / "missing").empty


def test_a_local_job_whose_runner_vanished_is_settled_from_its_exit_code(tmp_path):
    # (without an exit code it reads as FAILED with the reason: see test_fault_records.py)
    job_dir = _record(tmp_path / "l", executor="local", runner_pid=2**22 + 7, status="RUNNING")
    (job_dir / "exit_code").write_text("3\n")
    state = JobHandle(job_dir).status()
    assert (state.status, state.exit_code) == (JobStatus.FAILED, 3)
    assert json.loads((job_dir / "job.json").read_text())["status"] == "FAILED"


def test_a_handle_renders_as_html(tmp_path):
    job_dir = _record(tmp_path / "h", job_id="5", status="SUCCEEDED", exit_code=0, name="a<b")
    html = JobHandle(job_dir)._repr_html_()
    assert "SUCCEEDED (exit 0)" in html
    assert "a&lt;b" in html


def test_the_launch_package_exports_the_job_api():
    import nemo_runspec_nb.launch as launch

    mine = {
        "EXECUTORS",
        "JobHandle",
        "JobState",
        "JobStatus",
        "LaunchRequest",
        "NemoRun",
        "Resources",
        "SlurmQuery",
        "build_command",
        "build_executor",
        "check_reachable",
        "jobs",
        "launch",
        "refresh_statuses",
        "render_run_sh",
        "render_submission_script",
        "resolve_resources",
        "submit",
        "wrap_run_sh",
    }
    assert mine <= set(launch.__all__)
    assert all(hasattr(launch, name) for name in launch.__all__)


def test_preview_of_a_packaged_job_names_the_package_paths(tmp_path):
    import subprocess

    from nemo_runspec_nb.launch import make_packager

    req = _request(tmp_path, packager=make_packager({"packager": "code"}))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    text = render_run_sh(req)
    code = req.job_dir / "code"
    assert f"python {code / 'recipe.py'} --config {code / '_runspec' / 'train.yaml'}" in text
    assert f"export PYTHONPATH={code}" in text
    assert f"cd {code} || exit 1" in text
    assert not req.job_dir.exists()


def test_log_follower_follows_each_file_from_its_own_offset(tmp_path):
    from nemo_runspec_nb.launch import LogFollower
    from nemo_runspec_nb.testing import FakeJob

    batch_out = tmp_path / "sbatch_1.out"
    task_log = tmp_path / "log-1.out"

    handle = FakeJob(log_files=[batch_out])
    follower = LogFollower(handle, whole_lines=True)
    batch_out.write_text("starting\npart")
    assert follower.read() == "starting\n"  # a partial line waits for its newline
    batch_out.write_text("starting\npartial done\n")
    assert follower.read() == "partial done\n"
    # The job's own log appears and replaces the batch output in the list.
    handle.files = [task_log]
    task_log.write_text("epoch 1\nepoch 2\n")
    assert follower.read() == "epoch 1\nepoch 2\n"
    assert follower.read() == ""
    task_log.write_text("epoch 1\nepoch 2\nno newline at the end")
    assert follower.read(final=True) == "no newline at the end\n"
    assert follower.read(final=True) == ""


def test_a_handle_reads_typed_fields_from_its_record(tmp_path):
    job_dir = _record(tmp_path / "t", job_id=17, status="RUNNING", submitted="2026-01-01T00:00:00+00:00")
    handle = JobHandle(job_dir)
    assert handle.job_id == "17"  # an integer job id in a hand-written record reads as text
    from datetime import datetime

    half_a_minute_later = datetime.fromisoformat("2026-01-01T00:00:30+00:00").timestamp()
    assert handle.elapsed(now=half_a_minute_later) == 30  # running: from submission to now
    assert handle.to_dict()["job_id"] == 17  # the record itself is kept as written


def test_a_job_dir_without_a_record_is_a_job_not_found_error(tmp_path):
    from nemo_runspec_nb.errors import JobNotFoundError

    with pytest.raises(JobNotFoundError, match="no job record"):
        JobHandle.from_job_dir(tmp_path)


def test_an_executor_that_cannot_submit_is_an_executor_error(tmp_path):
    from nemo_runspec_nb.errors import ExecutorError
    from nemo_runspec_nb.launch import submit

    with pytest.raises(ExecutorError, match="not supported yet"):
        submit(_request(tmp_path, profile={"executor": "docker"}))
    assert not (tmp_path / ".nemotron").exists()


def test_every_record_kind_has_a_backend_and_the_table_names_them():
    from nemo_runspec_nb.launch._jobs._backends import BACKENDS

    assert set(BACKENDS) == {"local", "slurm", "ssh"}
    assert {b.executor for b in BACKENDS.values()} == {"local", "slurm"}
