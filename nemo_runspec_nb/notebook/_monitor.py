"""``JobMonitor``: a job's status, elapsed time and log tail, live, without blocking the kernel.

A daemon thread polls :meth:`JobHandle.status` every ``poll`` seconds, reads
the log text added since (a :class:`~nemo_runspec_nb.launch.LogFollower`, whole
lines, the sbatch output only when the job left no log of its own) and assigns
widget traits; ipykernel sends those
updates from any thread, so the cell returns at once and the kernel stays
free. The thread stops when the job is done (or on :meth:`JobMonitor.stop`).
Cancel runs in its own thread too (``scancel``/SIGTERM can take seconds).
"""

from __future__ import annotations

import html
import threading
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from traitlets import Unicode

from ..errors import RunspecError
from ..launch import LogFollower
from ._badge import status_badge_html

if TYPE_CHECKING:
    from ..launch import JobHandle, JobState

__all__ = ["JobMonitor"]

_WAITING = {
    "PENDING": "waiting to start (in the queue)",
    "UNKNOWN": "starting",
    "RUNNING": "running",
}


def _format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes}:{sec:02d}"


class JobMonitor(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """Live view of one job: status badge, elapsed time, log tail, Cancel.

    Args:
        handle: the job (from ``ComposedJob.launch()``, ``%%recipe`` or ``JobHandle.from_job_dir``).
        poll: seconds between refreshes.
        tail: log lines shown.
        start: start the background refresh (False: call :meth:`refresh` yourself).

    ``status`` (a trait) holds the last status seen, e.g. ``"SUCCEEDED"``.

    """

    status = Unicode("UNKNOWN", help="The last status seen (a JobStatus value).")

    def __init__(self, handle: JobHandle, *, poll: float = 1.0, tail: int = 30, start: bool = True) -> None:
        self.handle = handle
        self.poll = poll
        self.tail = tail
        self.state: JobState | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._t0 = time.time()
        self._follower = LogFollower(handle, whole_lines=True, sbatch_fallback=True)
        self._log_lines: list[str] = []

        self.title = widgets.HTML(
            f"<b>{html.escape(handle.name)}</b> <span style='color:#6e7781'>"
            f"{html.escape(handle.executor)} job {html.escape(handle.job_id or '-')} &middot; "
            f"<code>{html.escape(handle.job_dir.name)}</code></span>"
        )
        self.badge = widgets.HTML(status_badge_html("UNKNOWN"))
        self.badge.add_class("nrs-job-status")
        self.elapsed = widgets.Label("0:00")
        self.elapsed.add_class("nrs-job-elapsed")
        self.activity = widgets.Label("")
        self.activity.add_class("nrs-job-activity")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", button_style="danger")
        self.cancel_button.layout.width = "8em"
        self.cancel_button.add_class("nrs-cancel-button")
        self.cancel_button.on_click(self._on_cancel)
        self.log_view = widgets.HTML("")
        self.log_view.add_class("nrs-job-log")
        header = widgets.HBox([self.badge, self.elapsed, self.activity, self.cancel_button])
        header.layout.align_items = "center"
        header.layout.grid_gap = "1em"
        super().__init__([self.title, header, self.log_view])
        self.add_class("nrs-job-monitor")
        self.refresh()
        if start and not self.done:
            self.start()

    # -- state ------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.state is not None and self.state.done

    def refresh(self) -> JobState:
        """Read the job's status and log tail once and update the widgets."""
        with self._lock:
            try:
                state = self.handle.status()
            except RunspecError as exc:
                self.activity.value = f"status unavailable: {exc}"
                return self.state if self.state is not None else _unknown()
            self.state = state
            code = f"(exit {state.exit_code})" if state.done and state.exit_code is not None else ""
            self.badge.value = status_badge_html(state.status.value, code)
            self.status = state.status.value
            self.elapsed.value = _format_elapsed(self._elapsed())
            self.activity.value = state.detail or ("" if state.done else _WAITING.get(state.status.value, ""))
            text = self._log_tail(final=state.done)
            shown = html.escape(text) if text else "(no output yet)"
            self.log_view.value = (
                "<pre style='max-height:18em;overflow:auto;margin:0;padding:0.4em;"
                f"background:rgba(127,127,127,0.08);font-size:0.85em'>{shown}</pre>"
            )
            if state.done:
                self.cancel_button.disabled = True
                self.cancel_button.layout.display = "none"
            return state

    def _log_tail(self, *, final: bool) -> str:
        """The last ``tail`` lines, after reading what the log files gained since the last refresh."""
        self._log_lines += self._follower.read(final=final).splitlines(keepends=True)
        del self._log_lines[: max(0, len(self._log_lines) - self.tail)]
        return "".join(self._log_lines)

    def _elapsed(self) -> float:
        elapsed = self.handle.elapsed()
        return elapsed if elapsed is not None else time.time() - self._t0

    # -- background refresh -----------------------------------------------------------------
    def start(self) -> None:
        """Refresh in a background thread until the job is done."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"nrs-monitor-{self.handle.job_dir.name}")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop the background refresh (the job keeps running)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                if self.refresh().done:
                    return
            except Exception as exc:  # keep the kernel quiet; show what went wrong
                self.activity.value = f"monitor stopped: {type(exc).__name__}: {exc}"
                return

    def wait(self, timeout: float | None = None) -> JobState:
        """Block until the job is done (or ``timeout``), then refresh and return its state."""
        self.handle.wait(timeout=timeout, poll=min(self.poll, 0.5))
        self.stop()
        return self.refresh()

    # -- cancel -----------------------------------------------------------------------------
    def _on_cancel(self, _button: Any = None) -> None:
        self.cancel_button.disabled = True
        self.activity.value = "cancelling..."
        threading.Thread(target=self._cancel, daemon=True, name="nrs-cancel").start()

    def _cancel(self) -> None:
        try:
            self.handle.cancel()
        except Exception as exc:
            self.activity.value = f"cancel failed: {exc}"
            self.cancel_button.disabled = False
            return
        self.refresh()

    def __repr__(self) -> str:
        return f"JobMonitor({self.handle.name!r}, status={self.status!r}, job_dir='{self.handle.job_dir}')"


def _unknown() -> JobState:
    from ..launch import JobState, JobStatus

    return JobState(JobStatus.UNKNOWN)
