"""``%jobs`` and the job monitor next to a damaged job record or a dead runner."""

from __future__ import annotations

import json
from pathlib import Path

from nemo_runspec_nb.launch import JobHandle


def _record(job_dir: Path, **fields: object) -> Path:
    job_dir.mkdir(parents=True)
    base = {"format": 1, "name": "tiny/prep", "executor": "local", "status": "SUCCEEDED", "exit_code": 0}
    (job_dir / "job.json").write_text(json.dumps({**base, "submitted": job_dir.name, **fields}))
    return job_dir


def test_jobs_magic_shows_a_damaged_record_as_a_row(shell, project: Path) -> None:
    root = project / ".nemotron" / "jobs"
    _record(root / "20260102-000000-tiny-prep")
    bad = _record(root / "20260101-000000-tiny-prep")
    (bad / "job.json").write_text('{"name": "tiny/prep", "status": "RUN')
    shell.run_line_magic("runspec", "prep/prep.py")
    frame = shell.run_line_magic("jobs", "")
    assert list(frame["status"]) == ["SUCCEEDED", "DAMAGED"]
    assert frame["reason"].iloc[1].startswith(f"{bad / 'job.json'}:1: not valid JSON")


def test_the_monitor_shows_why_a_job_whose_runner_died_failed(project: Path) -> None:
    from nemo_runspec_nb.notebook._monitor import JobMonitor

    job_dir = _record(
        project / ".nemotron" / "jobs" / "20260101-000000-tiny-prep",
        status="RUNNING",
        exit_code=None,
        runner_pid=2**22 + 7,
    )
    monitor = JobMonitor(JobHandle(job_dir), start=False)
    monitor.refresh()
    assert monitor.status == "FAILED"
    assert "runner (pid 4194311) died" in monitor.activity.value
