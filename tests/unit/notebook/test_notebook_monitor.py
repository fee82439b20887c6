"""JobMonitor driven by a scripted handle: badge, elapsed time, log tail, background refresh, Cancel."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from nemo_runspec_nb.launch import JobState, JobStatus
from nemo_runspec_nb.notebook import JobMonitor


class ScriptedHandle:
    """Stands in for a JobHandle: its status follows ``states``; ``cancel()`` ends it."""

    def __init__(self, tmp_path: Path, *states: JobStatus, logs: str = "") -> None:
        self.name = "tiny/prep"
        self.executor = "local"
        self.job_id = "4242"
        self.job_dir = tmp_path / "20260101-000000-tiny-prep"
        self._record = {"submitted": "2026-01-01T00:00:00+00:00"}
        self.states = list(states)
        self.text = logs
        self.calls = 0
        self.cancelled = threading.Event()

    def status(self) -> JobState:
        self.calls += 1
        if self.cancelled.is_set():
            return JobState(JobStatus.CANCELLED, 143, self.job_id)
        status = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return JobState(status, 0 if status is JobStatus.SUCCEEDED else None, self.job_id)

    def logs(self, tail: int | None = None) -> str:
        lines = self.text.splitlines(keepends=True)
        return "".join(lines[-tail:] if tail else lines)

    def cancel(self) -> JobState:
        self.cancelled.set()
        return self.status()

    def wait(self, timeout=None, poll=1.0, on_output=None) -> JobState:
        deadline = time.monotonic() + (timeout or 10)
        while not self.status().done and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.status()


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_first_refresh_shows_status_and_log_tail(tmp_path: Path) -> None:
    handle = ScriptedHandle(tmp_path, JobStatus.RUNNING, logs="one\ntwo <b>\nthree\n")
    monitor = JobMonitor(handle, tail=2, start=False)
    assert monitor.status == "RUNNING"
    assert "RUNNING" in monitor.badge.value and "nrs-badge-running" in monitor.badge.value
    assert "two &lt;b&gt;\nthree" in monitor.log_view.value and "one" not in monitor.log_view.value
    assert monitor.activity.value == "running"
    assert not monitor.cancel_button.disabled
    assert "nrs-job-monitor" in monitor._dom_classes
    assert "nrs-job-status" in monitor.badge._dom_classes


def test_background_refresh_follows_the_job_to_the_end(tmp_path: Path) -> None:
    handle = ScriptedHandle(tmp_path, JobStatus.PENDING, JobStatus.RUNNING, JobStatus.SUCCEEDED)
    monitor = JobMonitor(handle, poll=0.01)
    assert wait_for(lambda: monitor.status == "SUCCEEDED")
    assert "SUCCEEDED (exit 0)" in monitor.badge.value
    assert monitor.cancel_button.disabled
    assert wait_for(lambda: not monitor._thread.is_alive())
    calls = handle.calls
    time.sleep(0.05)
    assert handle.calls == calls  # stopped polling once done


def test_construction_does_not_wait_for_the_job(tmp_path: Path) -> None:
    handle = ScriptedHandle(tmp_path, JobStatus.PENDING)
    monitor = JobMonitor(handle, poll=0.01)  # returns although the job never ends
    assert monitor.status == "PENDING" and "queue" in monitor.activity.value
    monitor.stop()
    assert not monitor._thread.is_alive()


def test_cancel_button(tmp_path: Path) -> None:
    handle = ScriptedHandle(tmp_path, JobStatus.RUNNING)
    monitor = JobMonitor(handle, start=False)
    monitor.cancel_button.click()
    assert monitor.cancel_button.disabled
    assert wait_for(lambda: monitor.status == "CANCELLED")
    assert handle.cancelled.is_set()


def test_wait_returns_the_final_state(tmp_path: Path) -> None:
    handle = ScriptedHandle(tmp_path, JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.SUCCEEDED)
    monitor = JobMonitor(handle, poll=5, start=False)
    assert monitor.wait(timeout=5).status is JobStatus.SUCCEEDED
    assert monitor.status == "SUCCEEDED"


def test_elapsed_uses_the_record_times(tmp_path: Path) -> None:
    handle = ScriptedHandle(tmp_path, JobStatus.SUCCEEDED)
    handle._record.update(started="2026-01-01T00:00:00+00:00", finished="2026-01-01T00:01:05+00:00")
    monitor = JobMonitor(handle, start=False)
    assert monitor.elapsed.value == "1:05"
