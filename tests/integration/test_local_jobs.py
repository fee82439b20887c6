"""Real local jobs through nemo-run's LocalExecutor, run by our detached runner."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nemo_runspec_nb.launch import JobHandle, JobStatus, jobs, launch, submit

pytestmark = pytest.mark.nemorun

TIMEOUT = 120


def _gone(pid: int) -> bool:
    """True when ``pid`` has exited (a zombie awaiting its reaper counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_a_local_job_succeeds_without_blocking(make_request, launched):
    request = make_request(sleep=1, env={"GREETING": "hi-local", "DEMO_TOKEN": "tok-local-999"})
    handle = submit(request)
    launched.append(handle)
    assert handle.status().status in (JobStatus.PENDING, JobStatus.RUNNING)
    state = handle.wait(timeout=TIMEOUT, poll=0.3)
    assert (state.status, state.exit_code) == (JobStatus.SUCCEEDED, 0)
    logs = handle.logs()
    assert "greeting: hi-local" in logs
    assert "token visible: True" in logs
    assert "recipe exiting with 0" in logs
    for path in request.job_dir.parent.parent.rglob("*"):
        if path.is_file():
            assert "tok-local-999" not in path.read_text(errors="replace"), path
    record = handle.to_dict()
    assert record["status"] == "SUCCEEDED"
    assert record["experiment_dir"]


def test_a_failing_local_job_has_exit_code_3(make_request, launched):
    handle = submit(make_request(exit_code=3))
    launched.append(handle)
    state = handle.wait(timeout=TIMEOUT, poll=0.3)
    assert (state.status, state.exit_code) == (JobStatus.FAILED, 3)
    assert handle.logs(tail=1).strip() == "recipe exiting with 3"


def test_a_local_job_can_be_cancelled(make_request, launched):
    handle = submit(make_request(sleep=300))
    launched.append(handle)
    deadline = time.monotonic() + TIMEOUT
    while handle.status().status is not JobStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.2)
    while "recipe started" not in handle.logs() and time.monotonic() < deadline:
        time.sleep(0.2)
    state = handle.cancel()
    assert state.status is JobStatus.CANCELLED
    time.sleep(0.5)
    assert _gone(int((handle.job_dir / "job.pid").read_text()))


def test_attached_mode_streams_logs_until_done(make_request, launched):
    chunks: list[str] = []
    handle = launch(make_request(mode="run", env={"GREETING": "attached"}), on_output=chunks.append, poll=0.3)
    launched.append(handle)
    assert handle.status().status is JobStatus.SUCCEEDED
    assert "greeting: attached" in "".join(chunks)


def test_a_job_outlives_the_process_that_launched_it(make_request, project):
    request = make_request(sleep=3, env={"GREETING": "survivor"})
    launcher = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from nemo_runspec_nb.launch import LaunchRequest, submit
        from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun
        rs = Runspec(script_path=Path({str(request.script_path)!r}), name="demo",
                     run=RunspecRun(launch="direct"), resources=RunspecResources(nodes=1, gpus_per_node=0))
        req = LaunchRequest(name="demo", job_dir=Path({str(request.job_dir)!r}), script_path=rs.script_path,
                            runspec=rs, env_vars={dict(request.env_vars)!r})
        h = submit(req)
        print(json.dumps({{"job_dir": str(h.job_dir), "status": h.status().status.value}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", launcher], capture_output=True, text=True, timeout=60, check=True
    )
    launched_info = json.loads(out.stdout.strip().splitlines()[-1])
    # the launcher has exited; a new process reconnects and watches the job to its end
    watcher = (
        "import json, sys\n"
        "from nemo_runspec_nb.launch import JobHandle\n"
        "h = JobHandle.from_job_dir(sys.argv[1])\n"
        "first = h.status().status.value\n"
        "s = h.wait(timeout=120, poll=0.3)\n"
        "print(json.dumps({'first': first, 'status': s.status.value,"
        " 'exit_code': s.exit_code, 'logs': h.logs()}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", watcher, launched_info["job_dir"]],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["first"] in ("PENDING", "RUNNING")
    assert (seen["status"], seen["exit_code"]) == ("SUCCEEDED", 0)
    assert "greeting: survivor" in seen["logs"]
    frame = jobs(project / ".nemotron" / "jobs")
    assert list(frame["status"]) == ["SUCCEEDED"]
    assert JobHandle.from_job_dir(launched_info["job_dir"]).status().status is JobStatus.SUCCEEDED


def test_a_local_job_cancelled_right_after_submit_never_runs(make_request, launched):
    handle = submit(make_request(sleep=300))
    launched.append(handle)
    state = handle.cancel()
    assert state.status is JobStatus.CANCELLED
    time.sleep(1.0)
    assert handle.status().status is JobStatus.CANCELLED
    job_pid_file = handle.job_dir / "job.pid"
    if job_pid_file.exists():  # the job may have started just before the signal
        assert _gone(int(job_pid_file.read_text()))


def test_a_local_job_runs_a_self_contained_package(make_request, launched, project):
    from nemo_runspec_nb.launch import make_packager

    (project / "helper.py").write_text("WORD = 'inlined'\n")
    (project / "sc_recipe.py").write_text("import helper\nprint('word', helper.WORD, flush=True)\n")
    request = make_request(packager=make_packager({"packager": "self_contained"}), script_name="sc_recipe.py")
    handle = submit(request)
    launched.append(handle)
    (project / "helper.py").unlink()  # the package does not need the repo any more
    state = handle.wait(timeout=TIMEOUT, poll=0.3)
    assert state.status is JobStatus.SUCCEEDED, handle.logs()
    assert "word inlined" in handle.logs()
    assert (request.job_dir / "package" / "sc_recipe.py").exists()
