"""JobMonitor driven by a scripted FakeJob: badge, elapsed time, log tail, background refresh, Cancel."""

from __future__ import annotations

import time
from pathlib import Path

from nemo_runspec_nb.launch import JobStatus
from nemo_runspec_nb.notebook import JobMonitor
from nemo_runspec_nb.testing import FakeJob


def scripted_job(tmp_path: Path, *states: JobStatus, logs: str = "") -> FakeJob:
    """A FakeJob whose status follows ``states``; ``cancel()`` ends it."""
    return FakeJob(
        *states,
        name="tiny/prep",
        job_id="4242",
        job_dir=tmp_path / "20260101-000000-tiny-prep",
        logs=logs,
        submitted="2026-01-01T00:00:00+00:00",
    )


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_first_refresh_shows_status_and_log_tail(tmp_path: Path) -> None:
    handle = scripted_job(tmp_path, JobStatus.RUNNING, logs="one\ntwo <b>\nthree\n")
    monitor = JobMonitor(handle, tail=2, start=False)
    assert monitor.status == "RUNNING"
    assert "RUNNING" in monitor.badge.value and "nrs-badge-running" in monitor.badge.value
    assert "two &lt;b&gt;\nthree" in monitor.log_view.value and "one" not in monitor.log_view.value
    assert monitor.activity.value == "running"
    assert not monitor.cancel_button.disabled
    assert "nrs-job-monitor" in monitor._dom_classes
    assert "nrs-job-status" in monitor.badge._dom_classes


def test_background_refresh_follows_the_job_to_the_end(tmp_path: Path) -> None:
    handle = scripted_job(tmp_path, JobStatus.PENDING, JobStatus.RUNNING, JobStatus.SUCCEEDED)
    monitor = JobMonitor(handle, poll=0.01)
    assert wait_for(lambda: monitor.status == "SUCCEEDED")
    assert "SUCCEEDED (exit 0)" in monitor.badge.value
    assert monitor.cancel_button.disabled
    assert wait_for(lambda: not monitor._thread.is_alive())
    calls = handle.calls
    time.sleep(0.05)
    assert handle.calls == calls  # stopped polling once done


def test_construction_does_not_wait_for_the_job(tmp_path: Path) -> None:
    handle = scripted_job(tmp_path, JobStatus.PENDING)
    monitor = JobMonitor(handle, poll=0.01)  # returns although the job never ends
    assert monitor.status == "PENDING" and "queue" in monitor.activity.value
    monitor.stop()
    assert not monitor._thread.is_alive()


def test_cancel_button(tmp_path: Path) -> None:
    handle = scripted_job(tmp_path, JobStatus.RUNNING)
    monitor = JobMonitor(handle, start=False)
    monitor.cancel_button.click()
    assert monitor.cancel_button.disabled
    assert wait_for(lambda: monitor.status == "CANCELLED")
    assert handle.cancelled.is_set()


def test_wait_returns_the_final_state(tmp_path: Path) -> None:
    handle = scripted_job(tmp_path, JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.SUCCEEDED)
    monitor = JobMonitor(handle, poll=5, start=False)
    assert monitor.wait(timeout=5).status is JobStatus.SUCCEEDED
    assert monitor.status == "SUCCEEDED"


def test_elapsed_uses_the_record_times(tmp_path: Path) -> None:
    handle = scripted_job(tmp_path, JobStatus.SUCCEEDED)
    handle.started, handle.finished = "2026-01-01T00:00:00+00:00", "2026-01-01T00:01:05+00:00"
    monitor = JobMonitor(handle, start=False)
    assert monitor.elapsed.value == "1:05"
