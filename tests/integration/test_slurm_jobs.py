"""Real jobs on the local Slurm cluster (scripts/local-slurm/start.sh), through the public API."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from nemo_runspec_nb.launch import (
    JobHandle,
    JobStatus,
    SlurmQuery,
    jobs,
    refresh_statuses,
    render_submission_script,
    submit,
)
from nemo_runspec_nb.launch._secrets import SECRET_FILE_NAME

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.usefixtures("slurm_cluster"),
    # nemo-run -> leptonai -> fastapi imports starlette.middleware.wsgi, deprecated in starlette.
    pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning"),
]

TIMEOUT = 120


def test_a_job_succeeds_and_its_logs_are_readable(slurm_profile, make_request, launched, gone_within):
    request = make_request(slurm_profile, env={"GREETING": "hello-slurm", "DEMO_TOKEN": "tok-secret-123"})
    handle = submit(request)
    launched.append(handle)
    assert handle.job_id and handle.job_id.isdigit()
    state = handle.wait(timeout=TIMEOUT, poll=0.5)
    assert (state.status, state.exit_code) == (JobStatus.SUCCEEDED, 0)
    logs = handle.logs()
    assert "recipe started ['--config'" in logs
    assert "greeting: hello-slurm" in logs
    assert "token visible: True" in logs
    # kept while the job may be requeued; a cleanup job (afterany) removes it right after the end
    assert gone_within(request.job_dir / SECRET_FILE_NAME)
    # the secret reached the job, and no file of ours holds it
    for path in request.job_dir.rglob("*"):
        if path.is_file():
            assert "tok-secret-123" not in path.read_text(errors="replace"), path
    sbatch = (request.job_dir / "sbatch.sh").read_text()
    assert "#SBATCH --partition=debug" in sbatch
    assert "DEMO_TOKEN" not in sbatch


def test_a_failing_job_reports_its_exit_code_and_last_lines(slurm_profile, make_request, launched):
    handle = submit(make_request(slurm_profile, exit_code=3))
    launched.append(handle)
    state = handle.wait(timeout=TIMEOUT, poll=0.5)
    assert (state.status, state.exit_code) == (JobStatus.FAILED, 3)
    assert handle.logs(tail=1).strip() == "recipe exiting with 3"


def test_a_job_can_be_cancelled(slurm_profile, make_request, launched):
    handle = submit(make_request(slurm_profile, sleep=300))
    launched.append(handle)
    deadline = time.monotonic() + TIMEOUT
    while handle.status().status is not JobStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.3)
    state = handle.cancel()
    assert state.status is JobStatus.CANCELLED
    assert handle.status().status is JobStatus.CANCELLED


def test_a_detached_job_is_reconnected_from_a_new_process(slurm_profile, make_request, launched):
    handle = submit(make_request(slurm_profile, sleep=1, env={"GREETING": "from-afar"}))
    launched.append(handle)
    code = (
        "import json, sys\n"
        "from nemo_runspec_nb.launch import JobHandle\n"
        "h = JobHandle.from_job_dir(sys.argv[1])\n"
        "s = h.wait(timeout=120, poll=0.5)\n"
        "print(json.dumps({'status': s.status.value, 'exit_code': s.exit_code, 'job_id': s.job_id,"
        " 'logs': h.logs()}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(handle.job_dir)],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert (seen["status"], seen["exit_code"], seen["job_id"]) == ("SUCCEEDED", 0, handle.job_id)
    assert "greeting: from-afar" in seen["logs"]


def test_six_jobs_at_once_are_watched_with_batched_queries(slurm_profile, make_request, launched, project):
    handles = [submit(make_request(slurm_profile, name=f"six{i}", exit_code=i % 2)) for i in range(6)]
    launched.extend(handles)
    assert len({h.job_id for h in handles}) == 6
    query = SlurmQuery()
    deadline = time.monotonic() + TIMEOUT
    while True:
        before = query.calls
        states = refresh_statuses(handles, query=query)
        assert query.calls - before <= 2
        if all(s.done for s in states) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [(s.status, s.exit_code) for s in states] == [
        (JobStatus.SUCCEEDED, 0) if i % 2 == 0 else (JobStatus.FAILED, 1) for i in range(6)
    ]
    frame = jobs(project / ".nemotron" / "jobs")
    assert len(frame) == 6
    assert set(frame["status"]) == {"SUCCEEDED", "FAILED"}


def test_render_submission_script_is_the_sbatch_script_without_submitting(slurm_profile, make_request):
    request = make_request(slurm_profile, env={"DEMO_TOKEN": "never-shown"})
    text = render_submission_script(request)
    assert text.startswith("#!/bin/bash")
    assert "#SBATCH --account=default" in text
    assert f"bash {request.job_dir / 'run.sh'}" in text
    assert "never-shown" not in text
    assert not (request.job_dir / "run.sh").exists()
    assert JobHandle  # the handle type is the public one


def test_every_task_of_a_multi_task_job_gets_the_secrets(
    slurm_profile, make_request, launched, gone_within
):
    profile = {**slurm_profile, "ntasks_per_node": 2}
    request = make_request(profile, env={"DEMO_TOKEN": "tok-multi-42"})
    handle = submit(request)
    launched.append(handle)
    state = handle.wait(timeout=TIMEOUT, poll=0.5)
    assert state.status is JobStatus.SUCCEEDED
    logs = handle.logs()
    assert logs.count("token visible: True") == 2, logs
    assert gone_within(request.job_dir / SECRET_FILE_NAME)
    for path in [*request.job_dir.rglob("*"), *request.resolved_nemorun_home.rglob("*")]:
        if path.is_file():
            assert "tok-multi-42" not in path.read_text(errors="replace"), path


def test_a_refused_submission_is_one_clear_error_and_a_failed_record(slurm_profile, make_request):
    from nemo_runspec_nb.errors import LaunchError

    request = make_request({**slurm_profile, "partition": "no-such-partition"}, env={"DEMO_TOKEN": "t"})
    with pytest.raises(LaunchError, match=r"sbatch failed \(exit 1\).*Invalid partition") as info:
        submit(request)
    assert "\n" not in str(info.value)
    handle = JobHandle.from_job_dir(request.job_dir)
    assert handle.status().status is JobStatus.FAILED
    assert "Invalid partition" in handle.to_dict()["error"]
    assert not (request.job_dir / ".runspec-secrets.sh").exists()


def test_a_job_runs_from_its_code_package(slurm_profile, make_request, launched, project):
    import subprocess as sp

    from nemo_runspec_nb.launch import make_packager

    (project / "helper.py").write_text("WORD = 'from-the-package'\n")
    (project / "pkg_recipe.py").write_text(
        "import os, helper\nprint('cwd', os.getcwd(), flush=True)\nprint('word', helper.WORD, flush=True)\n"
    )
    (project / ".gitignore").write_text(".nemotron/\n")
    sp.run(["git", "init", "-q", str(project)], check=True)
    request = make_request(slurm_profile, packager=make_packager(slurm_profile), script_name="pkg_recipe.py")
    handle = submit(request)
    launched.append(handle)
    # change the working tree after submit: the job runs what was packaged
    (project / "helper.py").write_text("WORD = 'changed-after-submit'\n")
    state = handle.wait(timeout=TIMEOUT, poll=0.5)
    assert state.status is JobStatus.SUCCEEDED, handle.logs()
    logs = handle.logs()
    assert f"cwd {request.job_dir / 'code'}" in logs
    assert "word from-the-package" in logs
    assert handle.to_dict()["code"]["kind"] == "code"
    assert (request.job_dir / "code" / "_runspec" / "train.yaml").exists()
